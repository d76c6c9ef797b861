package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.KeyFiles;
import dev.hack.node.platform.Platform;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hack daemon} as a user runs it: the packaged jar in its own process, a temp {@code
 * HACK_HOME}, ports picked by the system, a real OpenSSH client and tmux. No service manager runs
 * here, so these are hack's own background node; the units are checked in {@link SystemdTest} and
 * {@link LaunchdTest}.
 */
class DaemonIT {
  @TempDir Path dir;

  private Path home;
  private Path key;
  private Path tmuxSocket;

  @BeforeEach
  void authorizeAKey() throws Exception {
    home = dir.resolve("home");
    tmuxSocket = dir.resolve("tmux.sock");
    key = dir.resolve("id_ed25519");
    KeyFiles.loadOrCreate(key, "me");
    assertThat(hack("keys", "authorize", key + ".pub").exit()).isZero();
  }

  @AfterEach
  void nothingLeftRunning() throws Exception {
    // a test that failed half way must not leave a node or a tmux server behind
    java.util.Optional<Long> pid = nodePid();
    if (pid.isPresent() && ProcessHandle.of(pid.get()).isPresent()) {
      ProcessHandle.of(pid.get()).get().destroyForcibly();
    }
    // a keeper outlives every node by design: end it and what it holds (found by its socket)
    String keeperSocket = home.resolve("daemon/keeper.sock").toString();
    ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().map(c -> c.contains(keeperSocket)).orElse(false))
        .forEach(
            keeper -> {
              keeper.descendants().forEach(ProcessHandle::destroyForcibly);
              keeper.destroyForcibly();
            });
    new ProcessBuilder("tmux", "-S", tmuxSocket.toString(), "kill-server")
        .redirectErrorStream(true)
        .start()
        .waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void aBackgroundNodeOutlivesItsStarterAndAHangupAndStopsCleanly() throws Exception {
    // the starter: a shell in a process group of its own (so the test can hang it up without
    // hanging up itself), which starts the node, then waits as a login shell would
    ProcessBuilder starting =
        new ProcessBuilder(
                "setsid",
                "bash",
                "-c",
                quote(hackArgv("daemon", "start", "--ssh-port", "0", "--gateway-port", "0"))
                    + " --name it --tmux-socket "
                    + quote(List.of(tmuxSocket.toString()))
                    + "; echo exit=$?; exec sleep 600")
            .redirectErrorStream(true);
    env(starting);
    Process starter = starting.start();
    starter.getOutputStream().close();
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(starter.getInputStream(), StandardCharsets.UTF_8));
    List<String> said = new ArrayList<>();
    for (String line; (line = lines.readLine()) != null && !line.startsWith("exit="); ) {
      said.add(line);
    }
    assertThat(String.join("\n", said))
        .contains("starting the node in the background… ready in ")
        .contains("node it (node-");
    long pid = nodePid().orElseThrow();
    long group = starter.pid(); // setsid made the shell its group's leader

    // hang up the starter's whole group, as a closing terminal or SSH connection does
    assertThat(new ProcessBuilder("kill", "-HUP", "--", "-" + group).start().waitFor()).isZero();
    assertThat(starter.waitFor(10, TimeUnit.SECONDS)).isTrue();
    // and the node itself: it lets SIGHUP pass
    assertThat(new ProcessBuilder("kill", "-HUP", String.valueOf(pid)).start().waitFor()).isZero();
    Thread.sleep(500);
    assertThat(Platform.current().isRunning(pid)).isTrue();
    // a session of its own, with no controlling terminal
    String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
    assertThat(Long.parseLong(stat[3])).as("session").isEqualTo(pid);
    assertThat(stat[4]).as("controlling terminal").isEqualTo("0");
    assertThat(ProcessHandle.of(pid).get().parent().map(ProcessHandle::pid))
        .isNotEqualTo(java.util.Optional.of(group));

    Run status = hack("daemon", "status", "--json");
    assertThat(status.exit()).as(status.err()).isZero();
    JsonObject st = JsonParser.parseString(status.out()).getAsJsonObject();
    assertThat(st.get("running").getAsBoolean()).isTrue();
    assertThat(st.get("pid").getAsLong()).isEqualTo(pid);
    assertThat(st.get("name").getAsString()).isEqualTo("it");
    assertThat(st.get("version").getAsString()).isNotEmpty();
    assertThat(st.get("uptime_ms").getAsLong()).isPositive();
    assertThat(st.get("sessions").getAsInt()).isZero();
    assertThat(st.getAsJsonObject("gateway").get("url").getAsString()).startsWith("http://");
    assertThat(st.getAsJsonObject("service").get("manager").getAsString()).isEqualTo("none");
    int port = st.getAsJsonObject("ssh").get("port").getAsInt();

    // a real SSH client gets in and starts a tmux session, which outlives a restart
    assertThat(ssh(port, "ls").out()).contains("no sessions");
    // the programs of sessions get SIGHUP as usual: the node's own handling is not inherited
    assertThat(ssh(port, "new", "--name", "probe", "--", "sleep", "600").exit()).isZero();
    long probe =
        JsonParser.parseString(ssh(port, "ls", "--json").out())
            .getAsJsonArray()
            .get(0)
            .getAsJsonObject()
            .get("pid")
            .getAsLong();
    String sigIgn =
        Files.readAllLines(Path.of("/proc/" + probe + "/status")).stream()
            .filter(l -> l.startsWith("SigIgn:"))
            .findFirst()
            .orElseThrow();
    assertThat(Long.parseLong(sigIgn.substring(7).strip(), 16) & 1L).as(sigIgn).isZero();
    assertThat(ssh(port, "stop", "probe").exit()).isZero();
    assertThat(ssh(port, "rm", "probe").exit()).isZero();
    Run created = ssh(port, "new", "--type", "tmux", "--name", "keep", "--", "sleep", "600");
    assertThat(created.exit()).as(created.err()).isZero();
    Run human = hack("daemon", "status");
    assertThat(human.out())
        .contains("node it (node-")
        .contains("is running")
        .contains("pid         " + pid)
        .contains("sessions    1, 1 running")
        .contains("runs under  hack itself");

    Run logs = hack("daemon", "logs");
    assertThat(logs.exit()).isZero();
    assertThat(logs.out())
        .contains("node starting, pid " + pid)
        .contains("ssh listening on 127.0.0.1:" + port);
    assertThat(hack("daemon", "logs", "-n", "1").out().lines().count()).isEqualTo(1);

    Run again = hack("daemon", "start");
    assertThat(again.exit()).isZero();
    assertThat(again.out()).contains("already running").contains("(pid " + pid + ")");

    // restart without options: the same options as the last start (the tmux socket among them)
    Run restarted = hack("daemon", "restart");
    assertThat(restarted.exit()).as(restarted.out() + restarted.err()).isZero();
    assertThat(restarted.out())
        .containsPattern("stopping the node \\(pid " + pid + "\\)… stopped in \\d+\\.\\d s")
        .contains("ready in ");
    long pid2 = nodePid().orElseThrow();
    assertThat(pid2).isNotEqualTo(pid);
    assertThat(Platform.current().isRunning(pid)).isFalse(); // a zombie, unreaped, has ended
    int port2 =
        JsonParser.parseString(hack("daemon", "status", "--json").out())
            .getAsJsonObject()
            .getAsJsonObject("ssh")
            .get("port")
            .getAsInt();
    assertThat(ssh(port2, "ls").out()).containsPattern("keep\\s+tmux\\s+running");

    Run stop = hack("daemon", "stop");
    assertThat(stop.exit()).as(stop.err()).isZero();
    assertThat(stop.out()).containsPattern("stopping the node \\(pid " + pid2 + "\\)… stopped in ");
    assertThat(Platform.current().isRunning(pid2)).isFalse(); // a zombie, unreaped, has ended
    assertThat(home.resolve("daemon/node.json")).doesNotExist();
    assertThat(hack("daemon", "logs").out()).contains("node stopped");

    Run none = hack("daemon", "status");
    assertThat(none.exit()).isEqualTo(3);
    assertThat(none.out()).contains("no node is running from " + home);
    assertThat(
            JsonParser.parseString(hack("daemon", "status", "--json").out())
                .getAsJsonObject()
                .get("running")
                .getAsBoolean())
        .isFalse();
    Run stopAgain = hack("daemon", "stop");
    assertThat(stopAgain.exit()).isZero();
    assertThat(stopAgain.out()).contains("nothing to stop");
  }

  @Test
  void aRestartTypedInOneOfTheNodesOwnShellsFinishesThoughThatShellIsHungUp() throws Exception {
    Run started =
        hack(
            "daemon",
            "start",
            "--ssh-port",
            "0",
            "--gateway-port",
            "-1",
            "--no-keeper", // so that stopping the node hangs up its own shell
            "--tmux-socket",
            tmuxSocket.toString());
    assertThat(started.exit()).as(started.out() + started.err()).isZero();
    long pid = nodePid().orElseThrow();
    int port = sshPort();
    assertThat(ssh(port, "new", "--name", "sh").exit()).isZero();
    Path out = dir.resolve("restart.out");
    // the shell inherits the node's environment: HACK_HOME, PATH, the test's JVM options
    String line =
        "java -jar " + System.getProperty("hack.jar") + " daemon restart > " + out + " 2>&1\\n";
    Run sent = ssh(port, "send", "sh", "'" + line + "'");
    assertThat(sent.exit()).as(sent.err()).isZero();
    // stopping the node hangs up that shell and the restart it runs; the restart goes on
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    java.util.Optional<Long> now = nodePid();
    while ((now.isEmpty()
            || now.get() == pid
            || !Files.exists(out)
            || !Files.readString(out).contains("ready in"))
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
      now = nodePid();
    }
    assertThat(Files.readString(out))
        .contains("stopping the node (pid " + pid + ")… stopped in")
        .contains("ready in");
    assertThat(now).isPresent().isNotEqualTo(java.util.Optional.of(pid));
    assertThat(ssh(sshPort(), "ls").out()).containsPattern("sh\\s+shell\\s+lost");
    assertThat(hack("daemon", "stop").exit()).isZero();
  }

  @Test
  void aRestartKeepsShellAndProcessSessionsRunningAndStopEndSessionsEndsThem() throws Exception {
    Run started = hack("daemon", "start", "--ssh-port", "0", "--gateway-port", "-1");
    assertThat(started.exit()).as(started.out() + started.err()).isZero();
    assertThat(ssh(sshPort(), "new", "--name", "agent", "--", "sleep", "600").exit()).isZero();
    long program = sessionPid("agent");
    long first = nodePid().orElseThrow();
    // the start made the class-data archive the node starts from
    assertThat(home.resolve("daemon/hack.jar.jsa")).isNotEmptyFile();
    assertThat(ProcessHandle.of(first).flatMap(h -> h.info().arguments()).orElseThrow())
        .contains("-XX:SharedArchiveFile=" + home.resolve("daemon/hack.jar.jsa"));
    // (the tests' nodes skip the JIT warm-up: HACK_NO_WARMUP in the pom; this one warms up)
    java.nio.file.attribute.FileTime before =
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 1000);
    Run restarted = hack(Map.of("HACK_NO_WARMUP", "0"), "daemon", "restart");
    assertThat(restarted.exit()).as(restarted.out() + restarted.err()).isZero();
    assertThat(hack("daemon", "logs").out())
        .containsPattern("warmed up in \\d+ ms \\(a throwaway node on loopback, \\d+ keys");
    assertThat(tempDirs("hack-warmup", before)).as("the warm-up's temp dirs").isEmpty();
    // the new node started while the old one served, and took over once it had stopped
    assertThat(restarted.out())
        .containsPattern(
            "(?s)starting the new node in the background… waiting to take over in \\d+\\.\\d s\n"
                + "stopping the node \\(pid "
                + first
                + "\\)… stopped in \\d+\\.\\d s\n"
                + "new node taking over… ready in ");
    assertThat(home.resolve("daemon/node.next")).doesNotExist();
    Run ls = ssh(sshPort(), "ls", "--json");
    assertThat(ls.out()).contains("\"id\":\"agent\"").contains("\"status\":\"running\"");
    assertThat(sessionPid("agent")).isEqualTo(program);
    assertThat(Platform.current().isRunning(program)).isTrue();

    // a new node that cannot start (here: JVM options it refuses) ends before the old one is
    // stopped, which goes on serving every session
    long serving = nodePid().orElseThrow();
    Run broken = hack(Map.of("HACK_JAVA_OPTS", "-Xmx1k"), "daemon", "restart");
    assertThat(broken.exit()).as(broken.out() + broken.err()).isEqualTo(1);
    assertThat(broken.out()).contains("starting the new node in the background… failed");
    assertThat(broken.err())
        .contains("before it could take over")
        .contains("the old node (pid " + serving + ") still runs");
    assertThat(nodePid()).hasValue(serving);
    assertThat(ssh(sshPort(), "ls", "--json").out()).contains("\"status\":\"running\"");

    // stopped, the node leaves its sessions to the keeper, and status says so
    assertThat(hack("daemon", "stop").exit()).isZero();
    assertThat(Platform.current().isRunning(program)).isTrue();
    Run status = hack("daemon", "status");
    assertThat(status.out()).containsPattern("keeper\\s+pid \\d+, holds 1 running program \\(");
    JsonObject keeper =
        JsonParser.parseString(hack("daemon", "status", "--json").out())
            .getAsJsonObject()
            .getAsJsonObject("keeper");
    assertThat(keeper.get("sessions_running").getAsInt()).isEqualTo(1);
    long keeperPid = keeper.get("pid").getAsLong();

    Run ended = hack("daemon", "stop", "--end-sessions");
    assertThat(ended.exit()).as(ended.err()).isZero();
    assertThat(ended.out()).contains("ended 1 shell and process session and their keeper");
    Poll.until(
        java.time.Duration.ofSeconds(20),
        "the program and the keeper gone",
        () -> ProcessHandle.of(program).isEmpty() && ProcessHandle.of(keeperPid).isEmpty());
    assertThat(hack("daemon", "status").out()).containsPattern("keeper\\s+none");
    assertThat(hack("daemon", "stop", "--end-sessions").out())
        .contains("no keeper was running: no shell or process session to end");
  }

  @Test
  void aNodeThatCannotStartIsReportedWithTheEndOfItsLog() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Run r =
          hack(
              "daemon",
              "start",
              "--ssh-port",
              String.valueOf(taken.getLocalPort()),
              "--gateway-port",
              "-1");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).contains("starting the node in the background… failed");
      assertThat(r.err())
          .contains("hack: the node exited with status 1 before it was ready; the end of")
          .contains("cannot listen for SSH on 127.0.0.1:" + taken.getLocalPort());
    }
    assertThat(nodePid()).isEmpty();
    Run bad = hack("daemon", "start", "--retention", "forever");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("invalid duration 'forever'");
  }

  @Test
  void installSaysWhatIsMissingAndPrintsAUnitThatRunsThisHome() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(
        Files.isDirectory(Path.of("/run/systemd/system")),
        "systemd runs here: install would really enable a unit");
    Run install = hack("daemon", "install");
    assertThat(install.exit()).isEqualTo(1);
    assertThat(install.err()).contains("systemd is not running on this machine");
    Run print = hack("daemon", "install", "--print", "--ssh-port", "2200");
    assertThat(print.exit()).as(print.err()).isZero();
    assertThat(print.out())
        .contains("Environment=HACK_HOME=" + home)
        .contains(
            "-jar "
                + home.resolve("daemon/hack.jar")
                + " node serve --log-file "
                + home.resolve("daemon/node.log")
                + " --ssh-port 2200");
    assertThat(home.resolve("daemon/hack.jar")).doesNotExist(); // --print changes nothing
  }

  @Test
  void everyDaemonCommandHasHelp() throws Exception {
    for (String c : List.of("start", "stop", "restart", "status", "logs", "install", "uninstall")) {
      Run help = hack("daemon", c, "--help");
      assertThat(help.exit()).as(c).isZero();
      assertThat(help.out()).as(c).contains("Usage: hack daemon " + c);
    }
    assertThat(hack("daemon", "start", "--help").out())
        .contains("--ssh-port")
        .contains("--timeout");
    assertThat(hack("node", "serve", "--help").out()).contains("--log-file");
  }

  // ---- helpers

  record Run(int exit, String out, String err) {}

  private List<String> hackArgv(String... args) {
    return CliNodes.hackArgv(args);
  }

  private Run hack(String... args) throws Exception {
    return hack(Map.of(), args);
  }

  private Run hack(Map<String, String> extraEnv, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(hackArgv(args));
    env(pb);
    pb.environment().putAll(extraEnv);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err.replaceAll("(?m)^Picked up JAVA_TOOL_OPTIONS.*\n", ""));
  }

  private void env(ProcessBuilder pb) {
    Map<String, String> env = pb.environment();
    env.put("HACK_HOME", home.toString());
    env.put("HACK_NO_DAEMON", "1");
    // every JVM here, the background node that hack starts too, starts as CliNodes' JVMs do
    env.put(
        "JAVA_TOOL_OPTIONS",
        "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Dpty4j.tmpdir="
            + dir.resolve("pty4j"));
  }

  private Run ssh(int port, String... command) throws Exception {
    List<String> argv = new ArrayList<>(TestNode.sshArgv(key, port, "127.0.0.1"));
    argv.addAll(List.of(command));
    Process p = new ProcessBuilder(argv).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err);
  }

  private long sessionPid(String id) throws Exception {
    for (var e : JsonParser.parseString(ssh(sshPort(), "ls", "--json").out()).getAsJsonArray()) {
      if (e.getAsJsonObject().get("id").getAsString().equals(id)) {
        return e.getAsJsonObject().get("pid").getAsLong();
      }
    }
    throw new AssertionError("no session " + id);
  }

  private int sshPort() throws IOException {
    return JsonParser.parseString(Files.readString(home.resolve("daemon/node.json")))
        .getAsJsonObject()
        .getAsJsonObject("ssh")
        .get("port")
        .getAsInt();
  }

  /** Temp dirs whose names start with {@code prefix}, changed since {@code since}. */
  private static List<Path> tempDirs(String prefix, java.nio.file.attribute.FileTime since)
      throws IOException {
    try (var all = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return all.filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(
              p -> {
                try {
                  return Files.getLastModifiedTime(p).compareTo(since) >= 0;
                } catch (IOException e) {
                  return false; // gone meanwhile
                }
              })
          .toList();
    }
  }

  private java.util.Optional<Long> nodePid() throws IOException {
    Path nodeJson = home.resolve("daemon/node.json");
    if (!Files.exists(nodeJson)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        JsonParser.parseString(Files.readString(nodeJson))
            .getAsJsonObject()
            .get("pid")
            .getAsLong());
  }

  /** Words as one bash command line, each in single quotes. */
  private static String quote(List<String> words) {
    StringBuilder sb = new StringBuilder();
    for (String w : words) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append('\'').append(w.replace("'", "'\\''")).append('\'');
    }
    return sb.toString();
  }
}
