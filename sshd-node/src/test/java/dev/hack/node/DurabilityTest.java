package dev.hack.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.testing.NodeProcess;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TmuxTerminal;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions outlive the node (issue 13, docs/durability.md): with the keeper holding their PTYs, a
 * node killed with SIGKILL takes no program with it, every byte printed while no node runs is in
 * the log, and the next node takes the sessions back, screen and all.
 */
class DurabilityTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int LINES = 100_000;

  @TempDir Path dir;
  private final List<AutoCloseable> owned = new ArrayList<>();
  private Path clientKey;
  private NodeProcess node;

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        // best effort
      }
    }
  }

  @Test
  void sessionsOutliveAKilledNodeWithEveryBytePrintedMeanwhileAndTheirScreen() throws Exception {
    HackHome home = authorizedHome();
    Path tmuxSocket = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
    Path numbers = dir.resolve("numbers.txt");
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= 200; i++) {
      text.append("numbers line ").append(i).append('\n');
    }
    Files.writeString(numbers, text);

    node = start(home, tmuxSocket, "node-1.log");
    // keeperPid: the keeper must be cleaned up by the test, it outlives every node
    owned.add(() -> killKeeper(home));
    // printed only after the node is gone: 588 KiB, far more than a terminal buffers
    assertThat(
            ssh(
                    "new",
                    "--name",
                    "flood",
                    "--",
                    "sh",
                    "-c",
                    "'sleep 3; seq 1 " + LINES + "; sleep 300'")
                .exit())
        .isZero();
    assertThat(ssh("new", "--name", "sh1", "--", "sh").exit()).isZero();
    assertThat(ssh("new", "--name", "pager", "--", "less", numbers.toString()).exit()).isZero();
    Poll.until(
        WAIT, "less drew its screen", () -> ssh("peek", "pager").out().contains("numbers line 1"));
    String floodPid = field(ls(), "flood", "pid");
    // vim, moved to the middle of the file, with its cursor on line 120 and the screen as it is
    Editor before = vim ? editor(numbers) : null;

    node.kill9();
    assertThat(alive(floodPid)).as("the program outlives the killed node").isTrue();
    Path floodLog = home.sessionsDir().resolve("flood").resolve("output.log");
    byte[] expected = expectedSeq();
    Poll.until(
        WAIT,
        "the whole seq in the log with no node running",
        () -> Files.size(floodLog) >= expected.length);
    assertThat(sha256(Files.readAllBytes(floodLog))).isEqualTo(sha256(expected));

    node = start(home, tmuxSocket, "node-2.log");
    JsonArray list = ls();
    assertThat(field(list, "flood", "status")).as(list.toString()).isEqualTo("running");
    assertThat(field(list, "sh1", "status")).isEqualTo("running");
    assertThat(field(list, "pager", "status")).isEqualTo("running");
    assertThat(field(list, "flood", "pid")).isEqualTo(floodPid);
    byte[] logs = sshBytes("logs", "flood");
    assertThat(sha256(logs)).isEqualTo(sha256(expected));

    // the alternate screen of the pager is redrawn from the log
    TmuxTerminal pager = terminal("attach", "pager");
    String screen = pager.waitFor("numbers line 1", WAIT);
    // the repaint draws the main screen before it switches to the alternate one: what counts is
    // the terminal once the repaint is through, not the moment the text first shows
    long settle = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (!pager.alternateScreen() && System.nanoTime() < settle) {
      Thread.sleep(50);
    }
    assertThat(pager.alternateScreen())
        .as(
            "%s%nthe log holds ?1049h: %s; node-2 said: %s",
            screen,
            Files.readString(
                    home.sessionsDir().resolve("pager").resolve("output.log"),
                    StandardCharsets.ISO_8859_1)
                .contains("\u001b[?1049h"),
            tail(Files.readString(dir.resolve("node-2.log"))))
        .isTrue();

    if (vim) {
      // vim's screen after the restart: the same page, the cursor where it was, the
      // alternate screen, and vim still answers
      TmuxTerminal editor = terminal("attach", "editor");
      editor.waitFor(before.lines().get(0), WAIT);
      try {
        Poll.until(WAIT, "vim's page", () -> numbered(editor.screen()).equals(before.lines()));
      } catch (AssertionError e) {
        // said below
      }
      assertThat(numbered(editor.screen())).isEqualTo(before.lines());
      assertThat(editor.cursor()).isEqualTo(before.cursor());
      assertThat(editor.alternateScreen()).isTrue();
      editor.type(":echo 6*7");
      editor.keys("Enter");
      editor.waitFor("42", WAIT);
      editor.keys("C-\\");
      editor.waitFor("[detached from editor]", WAIT);
    }

    TmuxTerminal shell = terminal("attach", "sh1");
    Poll.until(WAIT, "sh1 attached", () -> field(ls(), "sh1", "attached").equals("1"));
    shell.type("echo back-$((2+3))");
    shell.keys("Enter");
    shell.waitFor("back-5", WAIT);

    // a node stopped cleanly (SIGTERM, as hack daemon stop does) lets go the same way
    List<String> plain =
        new ArrayList<>(TestNode.sshArgv(clientKey, node.port(), "-tt", "127.0.0.1"));
    plain.addAll(List.of("attach", "flood"));
    Process watcher =
        new ProcessBuilder(plain)
            .redirectOutput(dir.resolve("watcher.out").toFile())
            .redirectError(dir.resolve("watcher.err").toFile())
            .start(); // stdin stays open: it never detaches by itself
    owned.add(watcher::destroyForcibly);
    Poll.until(WAIT, "flood attached", () -> "1".equals(field(ls(), "flood", "attached")));
    node.close();
    shell.waitFor("sh1 keeps running; attach again once the node is back", WAIT);
    assertThat(watcher.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(watcher.exitValue())
        .as(
            "75: try again; ssh said %s; it printed %s; the node: %s",
            Files.readString(dir.resolve("watcher.err")),
            tail(Files.readString(dir.resolve("watcher.out"), StandardCharsets.ISO_8859_1)),
            tail(Files.readString(dir.resolve("node-2.log"))))
        .isEqualTo(75);
    Poll.until(WAIT, "the attached client ended", shell::exited);
    assertThat(alive(floodPid)).isTrue();
    node = start(home, tmuxSocket, "node-3.log");
    assertThat(field(ls(), "sh1", "status")).isEqualTo("running");
    TmuxTerminal again = terminal("attach", "sh1");
    String redrawn = again.waitFor("back-5", WAIT); // the screen as it was
    again.type("echo third-$((3+4))");
    again.keys("Enter");
    again.waitFor("third-7", WAIT);
    assertThat(redrawn).contains("back-5");
  }

  @Test
  void everyKeptProgramsEndIsReportedWithItsCodeWithoutAThreadWaitingForEach() throws Exception {
    HackHome home = authorizedHome();
    Path tmuxSocket = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
    node = start(home, tmuxSocket, "node-1.log");
    owned.add(() -> killKeeper(home));
    // at once (it may end before the keeper watches it), after a while, and stopped
    for (int i = 0; i < 10; i++) {
      assertThat(ssh("new", "--name", "now" + i, "--", "sh", "-c", "'exit " + i + "'").exit())
          .isZero();
      assertThat(
              ssh(
                      "new",
                      "--name",
                      "later" + i,
                      "--",
                      "sh",
                      "-c",
                      "'sleep 2; exit " + (20 + i) + "'")
                  .exit())
          .isZero();
      assertThat(ssh("new", "--name", "idle" + i, "--", "sleep", "600").exit()).isZero();
    }
    String keeper = keeperPid(home);
    JsonArray list =
        Poll.until(
            WAIT,
            "every end on record",
            () -> {
              JsonArray l = ls();
              return l.toString().contains("\"running\"") && countRunning(l) == 10 ? l : null;
            });
    for (int i = 0; i < 10; i++) {
      assertThat(field(list, "now" + i, "exit_code")).isEqualTo(String.valueOf(i));
      assertThat(field(list, "later" + i, "exit_code")).isEqualTo(String.valueOf(20 + i));
    }
    // while 10 programs run, no thread of the keeper's waits for any of them: their ends are
    // one poll (before it, pty4j's reaper thread and a keeper-wait-ID thread each)
    assertThat(threadNames(keeper))
        .contains("pty-exits")
        .noneMatch(n -> n.startsWith("keeper-wait"))
        .noneMatch(n -> n.startsWith("PtyProcess")) // "PtyProcess Reaper for [sleep]", cut
        .noneMatch(n -> n.startsWith("pty-reap"));
    List<String> idle = new ArrayList<>(List.of("stop"));
    for (int i = 0; i < 10; i++) {
      idle.add("idle" + i);
    }
    assertThat(ssh(idle.toArray(String[]::new)).exit()).isZero();
    JsonArray stopped = ls();
    for (int i = 0; i < 10; i++) {
      assertThat(field(stopped, "idle" + i, "status")).isEqualTo("exited");
      assertThat(field(stopped, "idle" + i, "exit_code")).isIn("129", "143");
    }
  }

  private static int countRunning(JsonArray list) {
    int n = 0;
    for (var e : list) {
      if (e.getAsJsonObject().get("status").getAsString().equals("running")) {
        n++;
      }
    }
    return n;
  }

  private static String keeperPid(HackHome home) throws Exception {
    TestNode.Result r =
        TestNode.run(
            List.of("pgrep", "-f", "KeeperServer " + home.daemonDir().resolve("keeper.sock")));
    assertThat(r.exit()).as("the keeper runs").isZero();
    return r.out().strip().lines().findFirst().orElseThrow();
  }

  /** The names of a process's threads (the JVM gives each its Java name, cut to 15 bytes). */
  private static List<String> threadNames(String pid) throws Exception {
    List<String> names = new ArrayList<>();
    try (var tasks = Files.list(Path.of("/proc", pid, "task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          names.add(Files.readString(t.resolve("comm")).strip());
        } catch (java.io.IOException e) {
          // ended meanwhile
        }
      }
    }
    return names;
  }

  @Test
  void aKilledKeeperTakesNoSessionTheNodeHoldsAndANewOneStartsForNewSessions() throws Exception {
    HackHome home = authorizedHome();
    Path tmuxSocket = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
    node = start(home, tmuxSocket, "node-1.log");
    owned.add(() -> killKeeper(home));
    assertThat(ssh("new", "--name", "s1", "--", "sh").exit()).isZero();
    String pid = field(ls(), "s1", "pid");

    TestNode.Result killed =
        TestNode.run(
            List.of(
                "pkill", "-9", "-f", "KeeperServer " + home.daemonDir().resolve("keeper.sock")));
    assertThat(killed.exit()).as("a keeper was running").isZero();
    Poll.until(
        WAIT,
        "the keeper gone",
        () -> TestNode.run(List.of("pgrep", "-f", "KeeperServer " + home.daemonDir())).exit() != 0);
    assertThat(alive(pid)).as("the node's descriptor keeps the terminal open").isTrue();
    TmuxTerminal shell = terminal("attach", "s1");
    shell.type("echo still-$((4+4))");
    shell.keys("Enter");
    shell.waitFor("still-8", WAIT);

    TestNode.Result created =
        ssh("new", "--name", "s2", "--", "sh", "-c", "'echo s2-up; sleep 60'");
    assertThat(created.exit()).as(created.err()).isZero();
    Poll.until(WAIT, "s2 runs under a new keeper", () -> ssh("logs", "s2").out().contains("s2-up"));
  }

  @Test
  void afterARebootEachSessionComesBackByItsIntentAndTheOthersAreLostSayingWhy() throws Exception {
    HackHome home = authorizedHome();
    Path tmuxSocket = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
    Path work = Files.createDirectories(dir.resolve("work dir"));
    node = start(home, tmuxSocket, "node-1.log", List.of("-Dhack.test.bootId=boot-1"));
    owned.add(() -> killKeeper(home));
    assertThat(
            ssh(
                    "new",
                    "--name",
                    "agent",
                    "--on-restore",
                    "'echo agent-resumed-$((1+1)); exec sleep 300'",
                    "--",
                    "sh",
                    "-c",
                    "'echo agent-first; exec sleep 300'")
                .exit())
        .isZero();
    assertThat(
            ssh(
                    "new",
                    "--name",
                    "server",
                    "--restart",
                    "always",
                    "--",
                    "sh",
                    "-c",
                    "'echo server-up; exec sleep 300'")
                .exit())
        .isZero();
    assertThat(ssh("new", "--name", "once", "--", "sleep", "300").exit()).isZero();
    assertThat(ssh("new", "--name", "sh1", "--type", "shell", "--", "sh").exit()).isZero();
    assertThat(ssh("send", "sh1", "'cd \"" + work + "\"; echo moved-$((3+3))\n'").exit()).isZero();
    Poll.until(WAIT, "agent printed", () -> ssh("logs", "agent").out().contains("agent-first"));
    Poll.until(WAIT, "the shell moved", () -> ssh("logs", "sh1").out().contains("moved-6"));
    Path sh1Meta = home.sessionsDir().resolve("sh1").resolve("meta.json");
    Poll.until(
        WAIT,
        "the shell's directory noted",
        () -> Files.readString(sh1Meta).contains("\"last_cwd\": \"" + work + "\""));
    JsonArray before = ls();

    // the machine goes down: node, keeper and every program with them
    node.kill9();
    killKeeper(home);
    for (String id : List.of("agent", "server", "once", "sh1")) {
      String pid = field(before, id, "pid");
      Poll.until(WAIT, id + "'s program gone", () -> !alive(pid));
    }

    node = start(home, tmuxSocket, "node-2.log", List.of("-Dhack.test.bootId=boot-2"));
    JsonArray after = ls();
    // --on-restore: its command in place of the program, after the old output and a marked line
    assertThat(field(after, "agent", "status")).as(after.toString()).isEqualTo("running");
    assertThat(field(after, "agent", "pid")).isNotEqualTo(field(before, "agent", "pid"));
    assertThat(field(after, "agent", "restored_at")).isNotNull();
    Poll.until(WAIT, "agent resumed", () -> ssh("logs", "agent").out().contains("agent-resumed-2"));
    String agentLog = ssh("logs", "agent").out();
    assertThat(agentLog)
        .containsSubsequence(
            "agent-first",
            "[hack: the machine restarted; sh -c 'echo agent-first; exec sleep 300' ran here until"
                + " about ",
            "[hack: running its --on-restore command: echo agent-resumed-$((1+1)); exec sleep 300]",
            "agent-resumed-2");
    // --restart always: its command again
    assertThat(field(after, "server", "status")).isEqualTo("running");
    Poll.until(
        WAIT,
        "server up again",
        () -> {
          String log = ssh("logs", "server").out();
          int marker = log.indexOf("again (--restart always)]");
          return marker > 0
              && log.startsWith("server-up")
              && log.indexOf("\nserver-up", marker) > 0;
        });
    // nothing asked: lost, saying why, its log kept
    assertThat(field(after, "once", "status")).isEqualTo("lost");
    assertThat(field(after, "once", "lost_reason")).isEqualTo("reboot");
    assertThat(ssh("ls").out()).containsPattern("once\\s+process\\s+lost\\(reboot\\)");
    // a shell: a new login shell where the last one was, its old screen above the marked line
    assertThat(field(after, "sh1", "status")).isEqualTo("running");
    TmuxTerminal shell = terminal("attach", "sh1");
    shell.waitFor("[hack: a new shell in " + work + "]", WAIT);
    shell.type("pwd; echo again-$((4+4))");
    shell.keys("Enter");
    String screen = shell.waitFor("again-8", WAIT);
    assertThat(screen).contains("moved-6").contains(work.toString());
  }

  private static String tail(String s) {
    return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
  }

  /** This test's home, with its client key (made here) authorized. */
  private HackHome authorizedHome() throws Exception {
    HackHome home = HackHome.at(dir.resolve("home"));
    clientKey = dir.resolve("client").resolve("id_ed25519");
    KeyFiles.loadOrCreate(clientKey, "test client");
    new AuthorizedKeys(home.authorizedKeys(), w -> {})
        .authorize(Files.readString(KeyFiles.publicKeyPath(clientKey)));
    return home;
  }

  private NodeProcess start(HackHome home, Path tmuxSocket, String log) throws Exception {
    return start(home, tmuxSocket, log, List.of());
  }

  private NodeProcess start(HackHome home, Path tmuxSocket, String log, List<String> jvm)
      throws Exception {
    List<String> options = new ArrayList<>(List.of("-Dhack.test.keeper=true"));
    options.addAll(jvm);
    NodeProcess p = NodeProcess.start(home.root(), tmuxSocket, dir.resolve(log), WAIT, options);
    owned.add(p);
    return p;
  }

  private final boolean vim = onPath("vim");

  private record Editor(List<String> lines, String cursor) {}

  /** Starts vim on the numbers, moves it to line 120 and reads its page and cursor. */
  private Editor editor(Path numbers) throws Exception {
    assertThat(
            ssh("new", "--name", "editor", "--", "vim", "-u", "NONE", "-N", numbers.toString())
                .exit())
        .isZero();
    TmuxTerminal t = terminal("attach", "editor");
    t.waitFor("numbers line 1", WAIT);
    t.type("120Gzz");
    List<String> page =
        Poll.until(
            WAIT,
            "a full page around line 120",
            () -> {
              List<String> lines = numbered(t.screen());
              return lines.size() == 29 && lines.contains("numbers line 120") ? lines : null;
            });
    String cursor = t.cursor();
    t.keys("C-\\");
    t.waitFor("[detached from editor]", WAIT);
    Poll.until(WAIT, "ssh to exit", t::exited);
    return new Editor(page, cursor);
  }

  private static List<String> numbered(String screen) {
    List<String> out = new ArrayList<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("numbers line \\d+").matcher(screen);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  private TmuxTerminal terminal(String... command) throws Exception {
    List<String> argv =
        new ArrayList<>(TestNode.sshArgv(clientKey, node.port(), "-tt", "127.0.0.1"));
    argv.addAll(List.of(command));
    TmuxTerminal t = TmuxTerminal.start(100, 30, argv);
    owned.add(t);
    return t;
  }

  private TestNode.Result ssh(String... command) throws Exception {
    List<String> argv = new ArrayList<>(TestNode.sshArgv(clientKey, node.port(), "127.0.0.1"));
    argv.addAll(List.of(command));
    return TestNode.run(argv);
  }

  private byte[] sshBytes(String... command) throws Exception {
    List<String> argv = new ArrayList<>(TestNode.sshArgv(clientKey, node.port(), "127.0.0.1"));
    argv.addAll(List.of(command));
    Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    p.waitFor();
    return out.toByteArray();
  }

  private JsonArray ls() throws Exception {
    TestNode.Result r = ssh("ls", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    return JsonParser.parseString(r.out()).getAsJsonArray();
  }

  private static String field(JsonArray list, String id, String name) {
    for (JsonElement e : list) {
      if (e.getAsJsonObject().get("id").getAsString().equals(id)) {
        JsonElement v = e.getAsJsonObject().get(name);
        return v == null || v.isJsonNull() ? null : v.getAsString();
      }
    }
    return null;
  }

  private static boolean alive(String pid) {
    return dev.hack.node.platform.Platform.current().isRunning(Long.parseLong(pid));
  }

  /** What {@code seq 1 LINES} prints on a terminal: each line ends in CR LF. */
  private static byte[] expectedSeq() {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= LINES; i++) {
      sb.append(i).append("\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** Ends the keeper and what it holds: it outlives every node by design. */
  private static void killKeeper(HackHome home) throws Exception {
    Path sessions = home.sessionsDir();
    if (Files.isDirectory(sessions)) {
      try (var dirs = Files.list(sessions)) {
        for (Path d : (Iterable<Path>) dirs::iterator) {
          Path meta = d.resolve("meta.json");
          if (Files.exists(meta)) {
            var o = JsonParser.parseString(Files.readString(meta)).getAsJsonObject();
            if (o.has("pid") && !o.get("pid").isJsonNull()) {
              ProcessHandle.of(o.get("pid").getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
            }
          }
        }
      }
    }
    new ProcessBuilder("pkill", "-f", "KeeperServer " + home.daemonDir().resolve("keeper.sock"))
        .start()
        .waitFor();
  }
}
