package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TmuxTerminal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attaching with the OpenSSH client in a real terminal (tmux plays the terminal). */
class AttachTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  TestNode node;
  final List<TmuxTerminal> terminals = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    for (TmuxTerminal t : terminals) {
      t.close();
    }
    node.close();
  }

  private TmuxTerminal terminal(String... remote) throws Exception {
    List<String> argv = new ArrayList<>(node.sshArgv("-tt", "127.0.0.1"));
    argv.addAll(List.of(remote));
    TmuxTerminal t = TmuxTerminal.start(100, 30, argv);
    terminals.add(t);
    return t;
  }

  @Test
  void typeDetachReattachShowsTheSameScreenWithoutTyping() throws Exception {
    node.mina("new --name sh1 -- sh");
    TmuxTerminal t = terminal("attach", "sh1");
    t.type("echo marker-$((6*7))");
    t.keys("Enter");
    t.waitFor("marker-42", WAIT);
    t.keys("C-\\");
    String left = t.waitFor("[detached from sh1]", WAIT);
    Poll.until(WAIT, "ssh to exit", t::exited);
    // as after tmux's detach: what the session printed stays, and the message comes below it
    List<String> rows = left.lines().toList();
    int output = -1;
    int message = -1;
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).equals("marker-42")) {
        output = i;
      }
      if (rows.get(i).contains("[detached from sh1]")) {
        message = i;
      }
    }
    assertThat(output).as(left).isNotNegative();
    assertThat(message).as(left).isGreaterThan(output);

    TmuxTerminal again = terminal("attach", "sh1");
    String screen = again.waitFor("marker-42", WAIT);
    assertThat(screen).contains("echo marker-$((6*7))");
    assertThat(node.mina("ls --json").out()).contains("\"attached\":1");
  }

  @Test
  void reattachRedrawsAFullScreenProgram() throws Exception {
    Path text = dir.resolve("pager.txt");
    StringBuilder lines = new StringBuilder();
    for (int i = 1; i <= 200; i++) {
      lines.append("ftp line ").append(i).append('\n');
    }
    java.nio.file.Files.writeString(text, lines);
    node.mina("new --name pager -- less " + text);
    TmuxTerminal t = terminal("attach", "pager");
    t.waitFor("ftp line 20", WAIT);
    t.keys("Space"); // page down: the screen is now less's, not the start of the log
    String before = t.waitFor("ftp line 45", WAIT);
    assertThat(t.alternateScreen()).isTrue();
    t.keys("C-\\");
    Poll.until(WAIT, "ssh to exit", t::exited);
    // detaching hands the terminal back as a shell expects it, as tmux does
    assertThat(t.alternateScreen()).isFalse();
    TmuxTerminal again = terminal("attach", "pager");
    String redrawn = again.waitFor("ftp line 45", WAIT);
    assertThat(redrawn.strip()).isEqualTo(before.strip());
    again.keys("q");
    again.waitFor("[session pager exited with code 0]", WAIT);
  }

  @Test
  void twoAttachersSeeEachOthersInputAndResizeReachesThePty() throws Exception {
    node.mina("new --name both -- sh");
    TmuxTerminal a = terminal("attach", "both");
    TmuxTerminal b = terminal("attach", "both");
    Poll.until(WAIT, "two attached", () -> node.mina("ls --json").out().contains("\"attached\":2"));
    a.type("echo from-a");
    a.keys("Enter");
    b.waitFor("from-a", WAIT);
    b.resize(90, 25);
    b.type("stty size");
    b.keys("Enter");
    a.waitFor("25 90", WAIT);
  }

  @Test
  void aStalledClientDoesNotStallTheOthersAndAKilledOneLeavesTheSessionRunning() throws Exception {
    node.mina("new --name flood -- sh -c 'i=0; while :; do i=$((i+1)); echo line-$i; done'");
    ProcessBuilder pb = new ProcessBuilder(node.sshArgv("-tt", "127.0.0.1", "attach", "flood"));
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.redirectOutput(ProcessBuilder.Redirect.PIPE); // never read: this client stalls
    Process stalled = pb.start();
    Poll.until(WAIT, "attached", () -> node.mina("ls --json").out().contains("\"attached\":1"));
    Poll.until(WAIT, "stall", () -> node.node().supervisor().list().get(0).attached() == 1);
    long before = node.node().supervisor().get("flood").log().end();
    TmuxTerminal watcher = terminal("attach", "--read-only", "flood");
    String s1 = watcher.waitFor("line-", WAIT);
    String s2 =
        Poll.until(
            WAIT,
            "screen to move",
            () -> {
              String s = watcher.screen();
              return s.equals(s1) ? null : s;
            });
    assertThat(s2).contains("line-");
    assertThat(node.node().supervisor().get("flood").log().end()).isGreaterThan(before);

    stalled.destroyForcibly().waitFor();
    Poll.until(WAIT, "one attached", () -> node.mina("ls --json").out().contains("\"attached\":1"));
    assertThat(node.mina("ls --json").out()).contains("\"status\":\"running\"");
  }

  @Test
  void aClientKilledWhileItsAttachIsSetUpIsNotCountedAsAttached() throws Exception {
    // the load suite's repro: ATTACHED stayed at 2 for good after clients killed mid-attach,
    // because the channel closed before the attachment was registered with it
    node.mina("new --name c -- cat");
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 30; i++) {
      Process p = new ProcessBuilder(node.sshArgv("-tt", "127.0.0.1", "attach", "c")).start();
      Thread.sleep(random.nextInt(500)); // when to kill it: the point of the test is the spread
      p.destroyForcibly().waitFor();
    }
    Poll.until(
        WAIT, "no client counted", () -> node.mina("ls --json").out().contains("\"attached\":0"));
    assertThat(node.mina("ls --json").out()).contains("\"status\":\"running\"");
  }

  @Test
  void tmuxCommandAttachesToExistingSessionAndCreatesMissingOne() throws Exception {
    new ProcessBuilder(
            "tmux",
            "-S",
            node.tmuxSocket().toString(),
            "new-session",
            "-d",
            "-s",
            "work",
            "sh -c 'echo existing-session; exec sh'")
        .start()
        .waitFor();
    TmuxTerminal t = terminal("tmux", "work");
    t.waitFor("existing-session", WAIT);
    t.keys("C-\\");
    Poll.until(WAIT, "ssh to exit", t::exited);

    TmuxTerminal fresh = terminal("tmux", "brandnew");
    fresh.type("echo inside-$((1+1))");
    fresh.keys("Enter");
    fresh.waitFor("inside-2", WAIT);
    Poll.until(WAIT, "listed", () -> node.mina("ls").out().contains("brandnew"));
  }
}
