package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.sshd.client.SshClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Loads the classes a client command needs, so that {@code scripts/hack} can archive them once with
 * class-data sharing ({@code -XX:ArchiveClassesAtExit}) and later runs start faster. Hidden.
 */
@Command(name = "cds-warmup", hidden = true)
final class CdsWarmup implements Callable<Integer> {
  @picocli.CommandLine.Option(
      names = "--node",
      description = "a node's classes instead: run a throwaway node and use it (NodeWarmup)")
  boolean node;

  @Override
  public Integer call() throws Exception {
    if (node) {
      // bounded: an archive of what loaded by then is still worth having
      Thread t =
          new Thread(
              () -> {
                try {
                  NodeWarmup.run();
                } catch (IOException | RuntimeException e) {
                  System.err.println("hack: node warm-up: " + e);
                }
              },
              "node-warmup");
      t.setDaemon(true);
      t.start();
      t.join(60_000);
      return 0;
    }
    CommandLine cl = new CommandLine(new Main());
    StringWriter sink = new StringWriter();
    for (CommandLine sub : cl.getSubcommands().values()) {
      sub.usage(new PrintWriter(sink));
      for (CommandLine subsub : sub.getSubcommands().values()) {
        subsub.usage(new PrintWriter(sink));
      }
    }
    Path dir = Files.createTempDirectory("hack-cds");
    try {
      KeyFiles.loadOrCreate(dir.resolve("k"), "warmup");
      KeyFiles.load(dir.resolve("k"));
    } finally {
      Files.deleteIfExists(dir.resolve("k"));
      Files.deleteIfExists(dir.resolve("k.pub"));
      Files.deleteIfExists(dir);
    }
    Json.GSON.fromJson(
        Json.GSON.toJson(
            List.of(
                new SessionInfo(
                    "x", "shell", "running", List.of(), "/", null, 1L, "t", "t", null, 0, 80, 24,
                    null, true))),
        SessionInfo[].class);
    SshClient client = SshClient.setUpDefaultClient();
    client.start();
    client.stop();
    fastPath();
    return 0;
  }

  /**
   * The thin client's whole path, against a server in this JVM that answers without running
   * anything, and against a socket nobody listens on: the classes a fast-path run loads are then in
   * the archive too, which is most of its start.
   */
  private static void fastPath() throws IOException {
    FastPath.eligible(new String[] {"session", "list", "--json"});
    System.getenv("HACK_NO_DAEMON");
    HackHome.fromEnvironment();
    String build = FastPathWire.buildId();
    Path dir = Files.createTempDirectory("hack-cds");
    Path socket = FastPathWire.socket(dir);
    FastPathServer server =
        FastPathServer.start(
            socket,
            "warmup",
            dir.toString(),
            args ->
                new FastPathServer.Accepted() {
                  @Override
                  public Duration bound() {
                    return Duration.ofSeconds(5);
                  }

                  @Override
                  public int run(PrintWriter out, PrintWriter err) {
                    out.println("[]");
                    err.println("hack: warmup");
                    return 0;
                  }
                },
            w -> {},
            null);
    try {
      String[] args = {"session", "list", "--json"};
      FastPath.Reply served = FastPath.request(socket, "warmup", dir.toString(), args);
      PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
      served.print(nowhere, nowhere);
      FastPath.request(socket, String.valueOf(build), dir.toString(), args); // refused
    } finally {
      if (server != null) {
        server.close();
      }
    }
    FastPath.request(socket, "warmup", dir.toString(), new String[0]); // nobody listens
    Files.deleteIfExists(socket.getParent());
    Files.deleteIfExists(dir);
  }
}
