package dev.hack.cli;

import com.google.gson.JsonSyntaxException;
import com.google.gson.reflect.TypeToken;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hack session ...}: sessions on any node, over SSH. */
@Command(
    name = "session",
    description = "List, start, attach to and manage sessions on your nodes.",
    mixinStandardHelpOptions = true,
    subcommands = {
      SessionCommand.ListCmd.class,
      SessionCommand.Start.class,
      SessionCommand.Attach.class,
      SessionCommand.Logs.class,
      SessionCommand.Send.class,
      SessionCommand.Stop.class,
      SessionCommand.Restart.class,
      SessionCommand.Rm.class
    })
final class SessionCommand {
  private SessionCommand() {}

  /** {@code ID} or {@code ID@NODE}. */
  record Address(String id, String node) {
    static Address parse(String s) {
      int at = s.lastIndexOf('@');
      if (at > 0 && at < s.length() - 1) {
        return new Address(s.substring(0, at), s.substring(at + 1));
      }
      return new Address(s, null);
    }
  }

  /** Runs one node command and passes its output and exit status through. */
  static int passThrough(String node, List<String> words) throws IOException {
    Nodes nodes = new Nodes(HackHome.fromEnvironment());
    Nodes.Ref ref = nodes.resolve(node);
    try (NodeClient c = nodes.connect(ref)) {
      return c.stream(CommandLines.join(words), null, System.out, System.err, null);
    } finally {
      System.out.flush();
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "Sessions on every node (in parallel), or on one with --node.",
      mixinStandardHelpOptions = true)
  static final class ListCmd implements Callable<Integer> {
    @Option(names = "--node", paramLabel = "NODE", description = "only this node")
    String node;

    @Option(names = "--all", description = "every registered node (the default)")
    boolean all;

    @Option(names = "--json", description = "JSON array for scripts (each session has node)")
    boolean json;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "3s",
        description = "how long to wait for each node (default: ${DEFAULT-VALUE})")
    String timeout;

    @Option(
        names = {"-q", "--quiet"},
        description = "only ID@NODE, one per line: what stop, restart and rm take")
    boolean quiet;

    @Option(
        names = "--status",
        paramLabel = "STATUS",
        description = "only sessions that are running, exited, lost, or ended (exited or lost)")
    String status;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (status != null && !List.of("running", "exited", "lost", "ended").contains(status)) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(), "--status is running, exited, lost or ended, not " + status);
      }
      Nodes nodes = new Nodes(HackHome.fromEnvironment());
      List<Nodes.Ref> refs = node != null ? List.of(nodes.resolve(node)) : nodes.all();
      if (refs.isEmpty()) {
        throw new IOException(
            "no nodes: start one with hack node serve, or add one with hack node add");
      }
      Duration limit = NodeCommand.Durations.parse(timeout);
      ExecutorService pool =
          Executors.newFixedThreadPool(
              Math.min(refs.size(), 16),
              r -> {
                Thread t = new Thread(r, "list-node");
                t.setDaemon(true);
                return t;
              });
      List<Future<List<SessionInfo>>> futures = new ArrayList<>();
      for (Nodes.Ref ref : refs) {
        futures.add(pool.submit(() -> listOne(nodes, ref, limit)));
      }
      long deadline = System.nanoTime() + limit.toNanos() + 500_000_000L;
      List<SessionInfo> sessions = new ArrayList<>();
      List<String> offline = new ArrayList<>(node != null ? List.of() : nodes.undialable());
      for (int i = 0; i < refs.size(); i++) {
        try {
          long left = Math.max(0, deadline - System.nanoTime());
          sessions.addAll(futures.get(i).get(left, TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
          futures.get(i).cancel(true);
          offline.add(refs.get(i).name() + ": no answer within " + timeout);
        } catch (ExecutionException e) {
          offline.add(refs.get(i).name() + ": " + e.getCause().getMessage());
        }
      }
      pool.shutdownNow();
      if (status != null) {
        sessions.removeIf(s -> !hasStatus(s, status));
      }
      // picocli's writers, not System.out: the node's fast path runs this for other processes
      PrintWriter out = spec.commandLine().getOut();
      if (quiet) {
        for (SessionInfo s : sessions) {
          out.println(s.id() + "@" + s.node());
        }
      } else if (json) {
        out.println(Json.GSON.toJson(sessions));
      } else {
        out.print(table(sessions));
      }
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      for (String o : offline) {
        err.println("hack: offline " + o);
      }
      return 0;
    }

    static boolean hasStatus(SessionInfo s, String status) {
      return status.equals("ended") ? !s.status().equals("running") : s.status().equals(status);
    }

    private static List<SessionInfo> listOne(Nodes nodes, Nodes.Ref ref, Duration limit)
        throws IOException {
      NodeClient.Result r = WarmClients.run(nodes, ref, "ls --json", limit);
      if (r.exit() != 0) {
        throw new IOException(r.err().strip());
      }
      try {
        List<SessionInfo> list =
            Json.GSON.fromJson(r.out(), new TypeToken<List<SessionInfo>>() {}.getType());
        return list.stream().map(s -> s.withNode(ref.name())).toList();
      } catch (JsonSyntaxException e) {
        throw new IOException("unreadable answer: " + e.getMessage());
      }
    }

    static String table(List<SessionInfo> list) {
      if (list.isEmpty()) {
        return "no sessions; start one with: hack session start [-- CMD ARGS...]\n";
      }
      String[] head = {"SESSION", "NODE", "TYPE", "STATUS", "ATTACHED", "AGE", "COMMAND"};
      List<String[]> rows = new ArrayList<>();
      for (SessionInfo s : list) {
        rows.add(
            new String[] {
              s.id(),
              s.node(),
              s.type(),
              s.statusText(),
              String.valueOf(s.attached()),
              age(s.createdAt()),
              dev.hack.node.api.Printable.of(String.join(" ", s.command()))
            });
      }
      List<String[]> all = new ArrayList<>();
      all.add(head);
      for (String[] r : rows) {
        String cmd = r[r.length - 1];
        r[r.length - 1] = cmd.length() > 60 ? cmd.substring(0, 57) + "..." : cmd;
        all.add(r);
      }
      return Tables.render(all);
    }

    static String age(String iso) {
      try {
        long s = Math.max(0, Duration.between(Instant.parse(iso), Instant.now()).getSeconds());
        return s < 60
            ? s + "s"
            : s < 3600 ? s / 60 + "m" : s < 86400 ? s / 3600 + "h" : s / 86400 + "d";
      } catch (RuntimeException e) {
        return "?";
      }
    }
  }

  @Command(
      name = "start",
      description = "Start a session on a node; prints its id.",
      mixinStandardHelpOptions = true)
  static final class Start implements Callable<Integer> {
    @Option(
        names = "--node",
        paramLabel = "NODE",
        description = "where (default: your default node)")
    String node;

    @Option(names = "--type", paramLabel = "TYPE", description = "shell, process or tmux")
    String type;

    @Option(names = "--name", paramLabel = "ID", description = "session id (default: generated)")
    String name;

    @Option(names = "--cwd", paramLabel = "DIR", description = "working directory on the node")
    String cwd;

    @Option(names = "--project", paramLabel = "P", description = "project the session belongs to")
    String project;

    @Option(names = "--restart", paramLabel = "POLICY", description = "never, on-failure, always")
    String restart;

    @Option(
        names = "--on-restore",
        paramLabel = "CMD",
        description =
            "a command line run in the session's directory instead of its program when the node"
                + " finds the program gone, e.g. after a reboot ('claude --continue')")
    String onRestore;

    @Option(names = "--attach", description = "attach right away")
    boolean attach;

    @Option(names = "--json", description = "print the new session as JSON")
    boolean json;

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "command and arguments")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      List<String> words = new ArrayList<>(List.of("new"));
      add(words, "--type", type);
      add(words, "--name", name);
      add(words, "--cwd", cwd);
      add(words, "--project", project);
      add(words, "--restart", restart);
      add(words, "--on-restore", onRestore);
      if (json && !attach) {
        words.add("--json");
      }
      if (attach) {
        words.add("--attach");
      }
      if (!command.isEmpty()) {
        words.add("--");
        words.addAll(command);
      }
      if (attach) {
        return Attacher.attach(node, words, null, false);
      }
      return passThrough(node, words);
    }

    private static void add(List<String> words, String flag, String value) {
      if (value != null) {
        words.add(flag);
        words.add(value);
      }
    }
  }

  @Command(
      name = "attach",
      description = "Attach this terminal to a session; Ctrl-\\ detaches.",
      mixinStandardHelpOptions = true)
  static final class Attach implements Callable<Integer> {
    @Parameters(paramLabel = "ID[@NODE]")
    String session;

    @Option(names = "--read-only", description = "watch only; your input is ignored")
    boolean readOnly;

    @Option(names = "--detach-key", paramLabel = "KEY", description = "e.g. ^] (default ^\\)")
    String detachKey;

    @Override
    public Integer call() throws Exception {
      Address a = Address.parse(session);
      List<String> words = new ArrayList<>(List.of("attach", a.id()));
      if (readOnly) {
        words.add("--read-only");
      }
      if (detachKey != null) {
        words.add("--detach-key");
        words.add(detachKey);
      }
      return Attacher.attach(a.node(), words, detachKey, true);
    }
  }

  @Command(
      name = "logs",
      description = "Print a session's output.",
      mixinStandardHelpOptions = true)
  static final class Logs implements Callable<Integer> {
    @Parameters(paramLabel = "ID[@NODE]")
    String session;

    @Option(
        names = {"-f", "--follow"},
        description = "keep printing new output until the session ends")
    boolean follow;

    @Option(names = "--from", paramLabel = "OFFSET", description = "start at this byte offset")
    Long from;

    @Override
    public Integer call() throws Exception {
      Address a = Address.parse(session);
      List<String> words = new ArrayList<>(List.of("logs", a.id()));
      if (follow) {
        words.add("--follow");
      }
      if (from != null) {
        words.add("--from");
        words.add(String.valueOf(from));
      }
      return passThrough(a.node(), words);
    }
  }

  @Command(
      name = "send",
      description = "Type TEXT into a session (\\n \\r \\t \\e \\xHH escapes).",
      mixinStandardHelpOptions = true)
  static final class Send implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID[@NODE]")
    String session;

    @Parameters(index = "1", paramLabel = "TEXT")
    String text;

    @Override
    public Integer call() throws Exception {
      Address a = Address.parse(session);
      return passThrough(a.node(), List.of("send", a.id(), text));
    }
  }

  /**
   * A command on sessions that each node does without more arguments, for many at once: one command
   * per node (of at most {@link #PER_COMMAND} ids; the node does them in parallel), the nodes one
   * after another. Exit status: the worst of the nodes'.
   */
  abstract static class EachSession implements Callable<Integer> {
    /** Ids per node command: well under the node's limit of words in one command line (1,024). */
    static final int PER_COMMAND = 500;

    @Parameters(arity = "1..*", paramLabel = "ID[@NODE]")
    List<String> sessions;

    @Spec CommandSpec spec;

    /** The node's command: stop, restart or rm. */
    abstract String verb();

    @Override
    public Integer call() throws Exception {
      Map<String, List<String>> byNode = new LinkedHashMap<>(); // null: the default node
      for (String s : sessions) {
        Address a = Address.parse(s);
        byNode.computeIfAbsent(a.node(), n -> new ArrayList<>()).add(a.id());
      }
      if (byNode.size() == 1 && sessions.size() <= PER_COMMAND) {
        Map.Entry<String, List<String>> only = byNode.entrySet().iterator().next();
        List<String> words = new ArrayList<>(List.of(verb()));
        words.addAll(only.getValue());
        return passThrough(only.getKey(), words); // a node that cannot be reached: exit 1
      }
      Nodes nodes = new Nodes(HackHome.fromEnvironment());
      int worst = 0;
      for (Map.Entry<String, List<String>> e : byNode.entrySet()) {
        try (NodeClient c = nodes.connect(nodes.resolve(e.getKey()))) {
          List<String> ids = e.getValue();
          for (int from = 0; from < ids.size(); from += PER_COMMAND) {
            List<String> words = new ArrayList<>(List.of(verb()));
            words.addAll(ids.subList(from, Math.min(ids.size(), from + PER_COMMAND)));
            int rc = c.stream(CommandLines.join(words), null, System.out, System.err, null);
            worst = Math.max(worst, rc);
          }
        } catch (IOException | RuntimeException x) {
          // the other nodes' sessions are still done
          spec.commandLine()
              .getErr()
              .println(
                  "hack: "
                      + (e.getKey() == null ? "this node" : e.getKey())
                      + ": "
                      + x.getMessage());
          worst = Math.max(worst, 1);
        } finally {
          System.out.flush();
        }
      }
      return worst;
    }
  }

  @Command(
      name = "stop",
      description = "Stop sessions (many at once).",
      mixinStandardHelpOptions = true)
  static final class Stop extends EachSession {
    @Override
    String verb() {
      return "stop";
    }
  }

  @Command(
      name = "restart",
      description = "Restart sessions: start each command again.",
      mixinStandardHelpOptions = true)
  static final class Restart extends EachSession {
    @Override
    String verb() {
      return "restart";
    }
  }

  @Command(
      name = "rm",
      description = "Remove ended sessions and their logs.",
      mixinStandardHelpOptions = true)
  static final class Rm extends EachSession {
    @Override
    String verb() {
      return "rm";
    }
  }
}
