package dev.hack.node.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer exchange with three real nodes paired in a chain (alpha - beta - gamma): the ends learn each
 * other through beta and list each other's sessions; a peer removed at one end stays removed, and
 * pairing it again explicitly brings it back; exchange can be turned off.
 */
class PeerExchangeTest {
  @TempDir Path dir;

  private static void pair(TestNode a, String aName, TestNode b, String bName) throws Exception {
    a.peerAdd(bName, b);
    b.peerAdd(aName, a);
  }

  /** The peers {@code n} lists, by name, with their status. */
  private static Map<String, String> peers(TestNode n) throws Exception {
    Result r = n.mina("peer list --json");
    assertThat(r.exit()).as(r.err()).isZero();
    Map<String, String> out = new HashMap<>();
    for (JsonElement e : JsonParser.parseString(r.out()).getAsJsonArray()) {
      JsonObject o = e.getAsJsonObject();
      out.put(o.get("name").getAsString(), o.get("status").getAsString());
    }
    return out;
  }

  /** One round of health checks, in an order that lets news travel the chain. */
  private static void round(TestNode... nodes) throws Exception {
    for (TestNode n : nodes) {
      n.node().peers().checkNow();
    }
  }

  @Test
  void theEndsOfAChainLearnEachOtherAndARemovedPeerStaysRemoved() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"));
        TestNode b = TestNode.start(dir.resolve("b"));
        TestNode c = TestNode.start(dir.resolve("c"))) {
      pair(b, "beta", c, "gamma");
      pair(a, "alpha", b, "beta");
      // (alpha may learn gamma already: its own checks run every second beside the rounds below)
      assertThat(peers(a)).containsKey("beta");

      // what beta offers: its peers, each with address and host key
      JsonArray offered = JsonParser.parseString(b.mina("peer exchange").out()).getAsJsonArray();
      assertThat(offered.toString()).contains("\"name\":\"gamma\"").contains("\"host_key\":\"ssh-");

      round(a, c, a, c);
      assertThat(peers(a)).containsEntry("gamma", "online");
      assertThat(peers(c)).containsEntry("alpha", "online");
      // all three converge on the same mesh: each knows the other two
      assertThat(peers(a)).containsOnlyKeys("beta", "gamma");
      assertThat(peers(b)).containsOnlyKeys("alpha", "gamma");
      assertThat(peers(c)).containsOnlyKeys("alpha", "beta");
      assertThat(Files.readString(a.home().authorizedKeys())).contains("hack-peer:gamma via:beta");

      // alpha lists gamma's sessions, which it never paired with
      assertThat(c.mina("new --name on-gamma -- cat").exit()).isZero();
      assertThat(a.mina("ls --all --json").out()).contains("\"id\":\"on-gamma\"");

      // alpha removes gamma: beta still offers it, and alpha does not take it back
      assertThat(a.mina("peer rm gamma").out()).contains("may no longer log in");
      round(a, a);
      assertThat(peers(a)).containsOnlyKeys("beta");
      assertThat(a.mina("ls --all --json").out()).doesNotContain("on-gamma");

      // pairing alpha and gamma again, explicitly, is what brings it back
      pair(a, "alpha", c, "gamma");
      round(a);
      assertThat(peers(a)).containsEntry("gamma", "online");
    }
  }

  @Test
  void exchangeCanBeTurnedOff() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"));
        TestNode b = TestNode.start(dir.resolve("b"));
        TestNode c = TestNode.start(dir.resolve("c"))) {
      Files.writeString(a.home().config(), "{\"mesh\": {\"peerExchange\": false}}");
      pair(b, "beta", c, "gamma");
      pair(a, "alpha", b, "beta");
      round(a, c, a);
      assertThat(peers(a)).containsOnlyKeys("beta");
    }
  }
}
