package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.node.client.CommandLines;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Peers over SSH: whoami, add with --authorize both ways, ls --all, list, rm revokes. */
class PeerCommandsTest {
  @TempDir Path dir;

  static JsonObject whoami(TestNode n) throws Exception {
    Result r = n.mina("peer whoami");
    assertThat(r.exit()).as(r.err()).isZero();
    return JsonParser.parseString(r.out()).getAsJsonObject();
  }

  /** What {@code hack node pair} does: each node registers and lets in the other. */
  static void pair(TestNode a, String aName, TestNode b, String bName) throws Exception {
    a.peerAdd(bName, b);
    b.peerAdd(aName, a);
  }

  @Test
  void pairedNodesListEachOthersSessionsAndRemovalRevokes() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"));
        TestNode b = TestNode.start(dir.resolve("b"))) {
      assertThat(whoami(a).get("host_key").getAsString()).startsWith("ssh-ed25519 ");
      pair(a, "alpha", b, "beta");
      assertThat(a.mina("new --name on-a -- cat").exit()).isZero();
      assertThat(b.mina("new --name on-b -- cat").exit()).isZero();

      Result all = a.mina("ls --all --json");
      assertThat(all.exit()).as(all.err()).isZero();
      JsonArray list = JsonParser.parseString(all.out()).getAsJsonArray();
      assertThat(list.toString())
          .contains("\"id\":\"on-a\"", "\"id\":\"on-b\"", "\"node\":\"beta\"", "\"node\":\"test\"");
      assertThat(b.mina("ls --all").out()).contains("on-a", "alpha", "on-b");

      JsonArray peers = JsonParser.parseString(a.mina("peer list --json").out()).getAsJsonArray();
      assertThat(peers.get(0).getAsJsonObject().get("name").getAsString()).isEqualTo("beta");

      // a node is never its own peer
      JsonObject self = whoami(a);
      Result own =
          a.mina(
              CommandLines.join(
                  List.of(
                      "peer",
                      "add",
                      "me",
                      "ssh://127.0.0.1:1",
                      "--id",
                      self.get("id").getAsString(),
                      "--host-key",
                      self.get("host_key").getAsString())));
      assertThat(own.exit()).isEqualTo(2);
      assertThat(a.mina("peer add x ssh://127.0.0.1:1 --host-key nonsense").exit()).isEqualTo(2);

      // alpha forgets beta: beta's node may no longer log in to alpha
      Result rm = a.mina("peer rm beta");
      assertThat(rm.out()).contains("may no longer log in");
      Result fromB = b.mina("ls --all --json --timeout 2");
      assertThat(fromB.exit()).isZero();
      assertThat(fromB.out()).doesNotContain("on-a");
      assertThat(fromB.err()).contains("offline alpha").contains("refused");
      assertThat(a.mina("peer rm beta").exit()).isEqualTo(1);
    }
  }

  @Test
  void attachToAPeersSessionThroughThisNode() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"));
        TestNode b = TestNode.start(dir.resolve("b"))) {
      pair(a, "alpha", b, "beta");
      assertThat(b.mina("new --name far -- sh").exit()).isZero();
      List<String> argv = new java.util.ArrayList<>(a.sshArgv("-tt", "127.0.0.1"));
      argv.addAll(List.of("attach", "far@beta"));
      try (dev.hack.node.testing.TmuxTerminal t =
          dev.hack.node.testing.TmuxTerminal.start(100, 30, argv)) {
        t.type("echo hop-$((6*7))");
        t.keys("Enter");
        t.waitFor("hop-42", TestNode.TIMEOUT);
        // the keystrokes reached the session on beta
        assertThat(b.mina("logs far").out()).contains("hop-42");
        // a resize travels the hop too
        t.resize(90, 25);
        dev.hack.node.testing.Poll.until(
            TestNode.TIMEOUT,
            "the new size on beta",
            () -> {
              t.type("stty size");
              t.keys("Enter");
              Thread.sleep(300);
              return t.screen().contains("25 90");
            });
        t.keys("C-\\");
        t.waitFor("[detached from far@beta]", TestNode.TIMEOUT);
      }
      // detaching left the session running on beta
      assertThat(b.mina("ls --json").out()).contains("\"id\":\"far\"").contains("running");
      // an unknown peer: one clear line, exit 1 (ssh -tt: the error comes through the terminal)
      TestNode.Result nowhere = a.ssh("-tt", "127.0.0.1", "attach", "far@nowhere");
      assertThat(nowhere.exit()).isEqualTo(1);
      assertThat(nowhere.out() + nowhere.err()).contains("no peer named nowhere");
    }
  }

  @Test
  void aPeerThatIsDownIsReportedAndTheListingStillAnswers() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"))) {
      TestNode b = TestNode.start(dir.resolve("b"));
      pair(a, "alpha", b, "beta");
      b.close();
      Result all = a.mina("ls --all --json --timeout 2");
      assertThat(all.exit()).isZero();
      assertThat(all.err()).contains("offline beta");
      assertThat(a.mina("ls --all --timeout 0").exit()).isEqualTo(2);
    }
  }
}
