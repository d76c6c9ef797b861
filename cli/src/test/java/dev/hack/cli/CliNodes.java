package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.supervisor.KeeperControl;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The CLI's integration tests as a user would do it: the packaged {@code hack.jar} run in its own
 * process with a temp {@code HACK_HOME}, and real nodes started with {@code hack node serve}, each
 * with its own tmux socket under {@code dir}. {@link #close} stops the nodes.
 */
final class CliNodes implements AutoCloseable {
  /** How a command ended and what it printed. */
  record Run(int exit, String out, String err) {}

  private final Path dir;

  /** The node processes, in the order they were started. */
  final List<Process> nodes = new ArrayList<>();

  private final Map<String, Process> byName = new java.util.HashMap<>();

  /** Every home a node was started from: each may have a keeper, which outlives its nodes. */
  final java.util.Set<Path> homes = new java.util.LinkedHashSet<>();

  CliNodes(Path dir) {
    this.dir = dir;
  }

  static List<String> hackArgv(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("java");
    cmd.addAll(jvmOptions());
    cmd.add("-jar");
    cmd.add(System.getProperty("hack.jar"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** {@link #hackArgv} of no arguments as words for a shell command line, each quoted. */
  static String hackCommandLine() {
    StringBuilder sb = new StringBuilder();
    for (String w : hackArgv()) {
      sb.append(sb.length() == 0 ? "" : " ").append('\'').append(w.replace("'", "'\\''"));
      sb.append('\'');
    }
    return sb.toString();
  }

  private static List<String> jvmOptions;

  /**
   * The options of every hack JVM these tests start, client or node. Most of the time of the CLI's
   * integration tests goes into starting JVMs (each command is one, and so is each node), so they
   * start the way {@code scripts/hack} starts a client command: the serial collector, C1 alone, and
   * the classes a command loads mapped from a class-data-sharing archive of this jar, made once
   * (from {@code hack cds-warmup}, as the script makes its own) and kept beside the jar. Nodes get
   * the same: in a test they serve a few requests, so starting fast is what counts. The archive's
   * messages are off, so that no JVM says anything a test reads; a JVM that cannot use the archive
   * starts without it. None of this changes what a command does, only how soon it starts.
   */
  static synchronized List<String> jvmOptions() {
    if (jvmOptions == null) {
      List<String> opts =
          new ArrayList<>(
              List.of(
                  "-XX:+UseSerialGC",
                  "-XX:TieredStopAtLevel=1",
                  "-XX:-UsePerfData",
                  "-Xshare:auto",
                  "-Xlog:cds=off",
                  "-Xlog:cds+dynamic=off"));
      Path archive = cdsArchive(opts);
      if (archive != null) {
        opts.add("-XX:SharedArchiveFile=" + archive);
      }
      jvmOptions = List.copyOf(opts);
    }
    return jvmOptions;
  }

  /**
   * The class-data-sharing archive of {@code hack.jar}, made with {@code opts} if it is not there
   * yet; null if it cannot be made. Its name holds the jar's mtime and size, so a rebuilt jar gets
   * a new one (the JVM also checks, and ignores an archive of another jar).
   */
  private static Path cdsArchive(List<String> opts) {
    try {
      Path jar = Path.of(System.getProperty("hack.jar")).toAbsolutePath();
      Path archive =
          jar.resolveSibling(
              "hack-test-"
                  + Files.getLastModifiedTime(jar).toMillis()
                  + "-"
                  + Files.size(jar)
                  + ".jsa");
      if (Files.isRegularFile(archive)) {
        return archive;
      }
      try (var old = Files.newDirectoryStream(jar.getParent(), "hack-test-*.jsa*")) {
        for (Path p : old) {
          Files.deleteIfExists(p); // an earlier jar's, 10 MB each
        }
      }
      Path tmp =
          archive.resolveSibling(archive.getFileName() + ".tmp" + ProcessHandle.current().pid());
      List<String> cmd = new ArrayList<>(List.of("java"));
      cmd.addAll(opts);
      cmd.addAll(List.of("-XX:ArchiveClassesAtExit=" + tmp, "-jar", jar.toString(), "cds-warmup"));
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      if (p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
        Files.deleteIfExists(tmp);
        return null;
      }
      Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE);
      return archive;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  Run hack(Path home, String... args) throws Exception {
    return hackWithEnv(home, Map.of(), args);
  }

  Run hackWithEnv(Path home, Map<String, String> env, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(hackArgv(args));
    pb.environment().put("HACK_HOME", home.toString());
    pb.environment().putAll(env);
    return run(pb);
  }

  /** Runs any program with stdin closed; waits up to a minute. */
  static Run run(List<String> argv) throws Exception {
    return run(new ProcessBuilder(argv));
  }

  private static Run run(ProcessBuilder pb) throws Exception {
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err);
  }

  /** Lets the user of {@code me} into the node of {@code other}, as they would by hand. */
  void authorize(Path me, Path other) throws Exception {
    ProcessBuilder auth =
        new ProcessBuilder(hackArgv("keys", "authorize", "-"))
            .redirectInput(KeyFiles.publicKeyPath(me.resolve("keys/id_ed25519")).toFile());
    auth.environment().put("HACK_HOME", other.toString());
    assertThat(auth.start().waitFor()).isZero();
  }

  /** Starts a node from {@code home}, without a gateway; returns its SSH port. */
  int serve(Path home, String name) throws Exception {
    return serve(home, name, -1);
  }

  /** Starts a node from {@code home}, the gateway on {@code gatewayPort}; returns its SSH port. */
  int serve(Path home, String name, int gatewayPort, String... more) throws Exception {
    List<String> words =
        new java.util.ArrayList<>(
            List.of(
                "node",
                "serve",
                "--ssh-port",
                "0",
                "--gateway-port",
                String.valueOf(gatewayPort),
                "--name",
                name,
                "--tmux-socket",
                dir.resolve(name + ".tmux").toString()));
    words.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(hackArgv(words.toArray(String[]::new)));
    pb.environment().put("HACK_HOME", home.toString());
    pb.redirectError(dir.resolve(name + ".err").toFile());
    Process p = pb.start();
    homes.add(home);
    nodes.add(p);
    byName.put(name, p);
    String line =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(line).startsWith("ssh listening on ");
    return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
  }

  /** Stops the node started as {@code name} (SIGTERM, as Ctrl-C would) and waits for it. */
  void stop(String name) throws Exception {
    Process p = byName.remove(name);
    p.destroy();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
  }

  @Override
  public void close() throws Exception {
    for (Process p : nodes) {
      p.destroy(); // all at once: each takes most of a second to stop
    }
    for (Process p : nodes) {
      p.waitFor(10, TimeUnit.SECONDS);
      p.destroyForcibly();
    }
    for (Path home : homes) {
      endKeeper(home);
    }
  }

  /**
   * Ends the keeper of {@code home} and every program it holds, as a test leaves nothing behind. A
   * keeper that does not answer (a machine so busy that 20 s pass) is killed by its command line.
   */
  static void endKeeper(Path home) {
    Path socket = HackHome.at(home).keeperSocket();
    try {
      KeeperControl.shutdown(socket);
    } catch (java.io.IOException e) {
      System.err.println(
          "CliNodes: the keeper at " + socket + ": " + e.getMessage() + "; killing it");
      ProcessHandle.allProcesses()
          .filter(
              h ->
                  h.info()
                      .commandLine()
                      .map(c -> c.contains("KeeperServer " + socket))
                      .orElse(false))
          .forEach(
              k -> {
                k.descendants().forEach(ProcessHandle::destroyForcibly);
                k.destroyForcibly();
              });
    }
  }
}
