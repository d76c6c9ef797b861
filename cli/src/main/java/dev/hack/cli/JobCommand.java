package dev.hack.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hack job ...}: processes without a terminal on any node, over SSH (the node's {@code job}
 * commands). {@code job run} streams the output live and exits with the job's exit code; if the
 * connection drops it reconnects and carries on from the last byte it printed.
 */
@Command(
    name = "job",
    description = "Run commands as jobs on your nodes: output to a log, exit code kept.",
    mixinStandardHelpOptions = true,
    subcommands = {
      JobCommand.Run.class,
      JobCommand.ListCmd.class,
      JobCommand.Logs.class,
      JobCommand.Cancel.class
    })
final class JobCommand {
  private static final Duration RECONNECT_FOR = Duration.ofMinutes(2);

  private JobCommand() {}

  @Command(
      name = "run",
      description =
          "Run CMD as a job, print its output as it comes, and exit with its exit code. Ctrl-C"
              + " cancels the job; a dropped connection does not.",
      mixinStandardHelpOptions = true)
  static final class Run implements Callable<Integer> {
    @Option(names = "--node", paramLabel = "NODE", description = "where to run (default: local)")
    String node;

    @Option(names = "--project", paramLabel = "P", description = "a project registered on NODE")
    String project;

    @Option(
        names = "--cwd",
        paramLabel = "DIR",
        description = "working directory on the node (relative: to the project root, else home)")
    String cwd;

    @Option(names = "--env", paramLabel = "K=V", description = "environment variable (repeatable)")
    List<String> env = new ArrayList<>();

    @Option(names = "--detach", description = "print the job id and return without waiting")
    boolean detach;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "command and arguments")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      Nodes nodes = new Nodes(HackHome.fromEnvironment());
      Nodes.Ref ref = nodes.resolve(node);
      List<String> words = new ArrayList<>(List.of("job", "start", "--json"));
      if (project != null) {
        words.addAll(List.of("--project", project));
      }
      if (cwd != null) {
        words.addAll(List.of("--cwd", cwd));
      }
      for (String e : env) {
        words.addAll(List.of("--env", e));
      }
      words.add("--");
      words.addAll(command);
      String jobId;
      try (NodeClient c = nodes.connect(ref)) {
        NodeClient.Result r = c.run(CommandLines.join(words), Duration.ofSeconds(30));
        if (r.exit() != 0) {
          System.err.print(r.err());
          return r.exit();
        }
        JsonObject meta = JsonParser.parseString(r.out()).getAsJsonObject();
        jobId = meta.get("jobId").getAsString();
        if (detach) {
          System.out.println(jobId);
          return 0;
        }
        if (System.console() != null) {
          System.err.println("hack: job " + jobId + " on " + ref.name());
        }
        return follow(nodes, ref, c, jobId, 0, true);
      }
    }
  }

  /**
   * Prints the job's log from {@code from} until the job ends and returns its exit code. Survives
   * dropped connections by reconnecting (with backoff, for up to two minutes) and resuming at the
   * first byte not yet printed. With {@code cancelOnInterrupt}, Ctrl-C cancels the job.
   */
  static int follow(
      Nodes nodes,
      Nodes.Ref ref,
      NodeClient first,
      String jobId,
      long from,
      boolean cancelOnInterrupt)
      throws IOException, InterruptedException {
    CountingOutputStream out = new CountingOutputStream(System.out, from);
    AtomicBoolean done = new AtomicBoolean();
    NodeClient[] current = {first};
    Thread hook = null;
    if (cancelOnInterrupt) {
      hook =
          new Thread(
              () -> {
                if (done.get()) {
                  return;
                }
                try {
                  NodeClient c = current[0];
                  if (c != null && c.isOpen()) {
                    c.run(
                        CommandLines.join(List.of("job", "cancel", jobId)), Duration.ofSeconds(5));
                    System.err.println("\nhack: cancelled job " + jobId);
                  }
                } catch (IOException | RuntimeException e) {
                  System.err.println(
                      "\nhack: could not cancel job " + jobId + ": " + e.getMessage());
                }
              },
              "cancel-job");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    try {
      NodeClient c = first;
      long lostSince = 0;
      long backoff = 250;
      while (true) {
        Integer code = null;
        if (c != null) {
          List<String> words =
              List.of("job", "logs", jobId, "--follow", "--from", Long.toString(out.count()));
          try {
            code = c.streamStatus(CommandLines.join(words), null, out, System.err, null);
          } catch (IOException e) {
            code = null;
          }
          out.flush();
        }
        if (code != null) {
          done.set(true);
          return code;
        }
        // the connection dropped: the job keeps running on the node; resume where we stopped
        if (lostSince == 0) {
          lostSince = System.nanoTime();
          System.err.println(
              "\nhack: lost the connection to "
                  + ref.name()
                  + "; reconnecting (job "
                  + jobId
                  + " keeps running)");
        }
        if (System.nanoTime() - lostSince > RECONNECT_FOR.toNanos()) {
          System.err.println(
              "hack: "
                  + ref.name()
                  + " is still unreachable; follow the job later with: hack job logs "
                  + jobId
                  + "@"
                  + ref.name()
                  + " -f --from "
                  + out.count());
          done.set(true);
          return 1;
        }
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        if (c != null && c != first) {
          c.close();
        }
        try {
          // a restarted local node may listen on another port: look it up again
          Nodes.Ref now = ref.local() ? nodes.resolve(Nodes.LOCAL) : nodes.resolve(ref.name());
          c = nodes.connect(now);
          current[0] = c;
        } catch (IOException e) {
          c = null;
        }
      }
    } finally {
      if (current[0] != first && current[0] != null) {
        current[0].close();
      }
      if (hook != null && done.get()) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
          // already shutting down
        }
      }
    }
  }

  /** Counts what went through, so a resumed stream starts at the first missing byte. */
  static final class CountingOutputStream extends FilterOutputStream {
    private long count;

    CountingOutputStream(OutputStream out, long start) {
      super(out);
      this.count = start;
    }

    @Override
    public synchronized void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    synchronized long count() {
      return count;
    }

    @Override
    public void close() throws IOException {
      flush(); // never close System.out
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "Jobs on a node.",
      mixinStandardHelpOptions = true)
  static final class ListCmd implements Callable<Integer> {
    @Option(names = "--node", paramLabel = "NODE", description = "default: the local node")
    String node;

    @Option(names = "--project", paramLabel = "P", description = "only this project's jobs")
    String project;

    @Option(names = "--json", description = "JSON array of JobMeta for scripts")
    boolean json;

    @Override
    public Integer call() throws Exception {
      List<String> words = new ArrayList<>(List.of("job", "list"));
      if (project != null) {
        words.addAll(List.of("--project", project));
      }
      if (json) {
        words.add("--json");
      }
      return SessionCommand.passThrough(node, words);
    }
  }

  @Command(
      name = "logs",
      description = "A job's output; -f follows it and exits with the job's exit code.",
      mixinStandardHelpOptions = true)
  static final class Logs implements Callable<Integer> {
    @Parameters(paramLabel = "ID[@NODE]")
    String job;

    @Option(
        names = {"-f", "--follow"},
        description = "keep printing until the job ends (reconnects if the connection drops)")
    boolean follow;

    @Option(names = "--from", paramLabel = "OFFSET", description = "start at this byte offset")
    long from;

    @Override
    public Integer call() throws Exception {
      SessionCommand.Address a = SessionCommand.Address.parse(job);
      if (!follow) {
        return SessionCommand.passThrough(
            a.node(), List.of("job", "logs", a.id(), "--from", Long.toString(from)));
      }
      Nodes nodes = new Nodes(HackHome.fromEnvironment());
      Nodes.Ref ref = nodes.resolve(a.node());
      try (NodeClient c = nodes.connect(ref)) {
        return follow(nodes, ref, c, a.id(), from, false);
      }
    }
  }

  @Command(
      name = "cancel",
      description = "Cancel a job: SIGTERM to its whole process tree, SIGKILL after 3 s.",
      mixinStandardHelpOptions = true)
  static final class Cancel implements Callable<Integer> {
    @Parameters(paramLabel = "ID[@NODE]")
    String job;

    @Override
    public Integer call() throws Exception {
      SessionCommand.Address a = SessionCommand.Address.parse(job);
      return SessionCommand.passThrough(a.node(), List.of("job", "cancel", a.id()));
    }
  }
}
