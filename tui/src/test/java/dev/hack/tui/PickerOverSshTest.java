package dev.hack.tui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TmuxTerminal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The picker as a phone user meets it: a real node serving it, the OpenSSH client asking for a
 * shell with no command, tmux as the terminal.
 */
class PickerOverSshTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private TestNode node;
  private TmuxTerminal term;

  @AfterEach
  void close() throws Exception {
    if (term != null) {
      term.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private TmuxTerminal ssh(int columns, int rows) throws Exception {
    List<String> argv = new ArrayList<>(node.sshArgv("-tt", "127.0.0.1"));
    StringBuilder cmd = new StringBuilder();
    for (String a : argv) {
      cmd.append('\'').append(a.replace("'", "'\\''")).append("' ");
    }
    cmd.append("; echo ssh-exit=$?; sleep 60");
    return TmuxTerminal.start(columns, rows, List.of("sh", "-c", cmd.toString()));
  }

  @Test
  void bareSshShowsThePickerEnterAttachesCtrlBackslashReturnsAndQDisconnects() throws Exception {
    node = TestNode.withShellApp(dir, new PickerApp(TuiOptions.defaults()));
    assertThat(node.mina("new --name one -- sh -c 'echo one-ready; exec cat'").exit()).isZero();
    assertThat(node.mina("new --name two -- sh -c 'echo two-ready; exec cat'").exit()).isZero();
    term = ssh(80, 24);
    String picker = term.waitFor("two-ready", WAIT);
    assertThat(picker).contains("hack · 1 node · 2 sessions").contains("test · 2 sessions");
    assertThat(picker).contains("> ● one").contains("Preview · one@test");
    assertThat(term.alternateScreen()).isTrue();

    term.keys("Enter");
    Poll.until(WAIT, "attached", () -> !term.alternateScreen());
    term.waitFor("one-ready", WAIT);
    term.type("q-goes-to-the-session");
    term.keys("Enter");
    Poll.until(
        WAIT,
        "cat's echo",
        () -> term.screen().split("q-goes-to-the-session", -1).length > 2); // tty echo + cat
    assertThat(node.mina("ls").out()).containsPattern("one +process +running +1 ");

    term.keys("C-\\");
    Poll.until(WAIT, "back in the picker", () -> term.alternateScreen());
    term.waitFor("Sessions", WAIT);
    assertThat(term.screen()).contains("> ● one"); // where it was
    Poll.until(
        WAIT, "detached", () -> node.mina("ls").out().matches("(?s).*one +process +running +0 .*"));
    assertThat(node.node().supervisor().get("one").isRunning()).isTrue();

    term.resize(50, 20);
    Poll.until(WAIT, "narrow layout", () -> term.screen().contains(" ↵ attach"));
    List<String> rows = term.screen().lines().toList();
    assertThat(rows).allSatisfy(r -> assertThat(r.length()).isLessThanOrEqualTo(50));
    assertThat(rows.get(1)).startsWith(" Nodes");
    assertThat(rows.get(2)).startsWith("> ● test").contains("online");
    assertThat(rows.get(3)).startsWith(" [Sessions]");

    term.keys("q");
    term.waitFor("ssh-exit=0", WAIT);
    Poll.until(WAIT, "picker gone", () -> term.screen().contains("ssh-exit=0"));
    assertThat(node.node().supervisor().get("one").isRunning()).isTrue();
  }

  @Test
  void aPairedPeersSessionsAppearAndAttachGoesThroughThisNode() throws Exception {
    node = TestNode.withShellApp(dir.resolve("a"), new PickerApp(TuiOptions.defaults()));
    try (TestNode peer = TestNode.start(dir.resolve("b"))) {
      // what hack node pair does: each registers the other and lets its node in
      node.peerAdd("beta", peer);
      peer.peerAdd("alpha", node);
      assertThat(peer.mina("new --name far -- sh -c 'echo far-ready; exec cat'").exit()).isZero();

      term = ssh(100, 30);
      term.waitFor("beta", WAIT);
      term.keys("/");
      term.type("far");
      term.keys("Enter");
      term.waitFor("far-ready", WAIT); // the peer's session, previewed through this node
      term.keys("Enter");
      Poll.until(WAIT, "attached through the hop", () -> !term.alternateScreen());
      term.type("hop-" + "typed");
      term.keys("Enter");
      Poll.until(
          WAIT, "cat's echo on beta", () -> peer.mina("logs far").out().contains("hop-typed"));
      term.keys("C-\\");
      Poll.until(WAIT, "back in the picker", () -> term.alternateScreen());
      assertThat(peer.node().supervisor().get("far").isRunning()).isTrue();
      term.keys("q");
      term.waitFor("ssh-exit=0", WAIT);
    }
  }

  @Test
  void theMenuStartsASessionThatAppearsAndCanBeStopped() throws Exception {
    node = TestNode.withShellApp(dir, new PickerApp(TuiOptions.defaults().withColor(false)));
    term = ssh(80, 24);
    term.waitFor("no sessions; n starts one", WAIT);
    term.keys("n");
    term.waitFor("New session", WAIT);
    term.type("web");
    term.keys("Tab"); // Name, then Command
    term.type("sh -c 'echo web-up; exec cat'");
    term.keys("Enter");
    term.waitFor("started web on test", WAIT);
    term.waitFor("web-up", WAIT); // its last line, then its preview
    assertThat(node.mina("ls").out()).containsPattern("web +process +running");
    term.keys("s");
    term.waitFor("Stop web on test?", WAIT);
    term.keys("y");
    Poll.until(WAIT, "stopped", () -> !node.node().supervisor().get("web").isRunning());
    term.waitFor("exited", WAIT);
    term.keys("q");
    term.waitFor("ssh-exit=0", WAIT);
  }
}
