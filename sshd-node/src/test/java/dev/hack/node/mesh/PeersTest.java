package dev.hack.node.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.testing.TestNode;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's view of its registered peers: health, last_seen, and sessions across them. */
class PeersTest {
  @TempDir Path dir;

  /** Lets {@code a}'s node into {@code b} and records {@code b} in {@code a}'s registry. */
  static void pair(TestNode a, TestNode b, String name) throws Exception {
    KeyPair aKey = KeyFiles.loadOrCreate(a.home().hostKey(), "hack host key");
    new AuthorizedKeys(b.home().authorizedKeys(), w -> {})
        .authorize(KeyFiles.openSshLine(aKey.getPublic()) + " node-a");
    KeyPair bKey = KeyFiles.loadOrCreate(b.home().hostKey(), "hack host key");
    new KnownHosts(a.home().knownHosts()).remember("127.0.0.1", b.port(), bKey.getPublic());
    NodeRegistry.open(a.home())
        .put(
            RegisteredNode.of(name, new RegisteredNode.SshEndpoint("127.0.0.1", b.port()))
                .withId(b.node().id())
                .withLabels(List.of(Peers.PEER_LABEL)));
  }

  @Test
  void aPeerThatDiesIsOfflineWithinAPeriodAndOnlineAgainWhenItIsBack() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"));
        JoinTest.Hub b = new JoinTest.Hub(dir.resolve("b"))) {
      KeyPair aKey = KeyFiles.loadOrCreate(a.home().hostKey(), "hack host key");
      new AuthorizedKeys(b.home.authorizedKeys(), w -> {})
          .authorize(KeyFiles.openSshLine(aKey.getPublic()) + " node-a");
      KeyPair bKey = KeyFiles.loadOrCreate(b.home.hostKey(), "hack host key");
      new KnownHosts(a.home().knownHosts()).remember("127.0.0.1", b.port, bKey.getPublic());
      NodeRegistry.open(a.home())
          .put(
              RegisteredNode.of("beta", new RegisteredNode.SshEndpoint("127.0.0.1", b.port))
                  .withId(b.node.id())
                  .withLabels(List.of(Peers.PEER_LABEL)));
      // the node's own timer, not checkNow: a period of 1 s and a bound of 1 s
      try (Peers peers =
          new Peers(a.home(), a.node().id(), Duration.ofSeconds(1), Duration.ofSeconds(1))) {
        peers.start();
        dev.hack.node.testing.Poll.until(
            Duration.ofSeconds(10),
            "beta online",
            () -> find(peers.status(), "beta").status().equals("online"));
        b.stop();
        dev.hack.node.testing.Poll.until(
            Duration.ofSeconds(10),
            "beta offline at the next check",
            () -> find(peers.status(), "beta").status().equals("offline"));
        assertThat(NodeRegistry.open(a.home()).find("beta")).isPresent();
        b.start();
        dev.hack.node.testing.Poll.until(
            Duration.ofSeconds(20),
            "beta online again",
            () -> find(peers.status(), "beta").status().equals("online"));
      }
    }
  }

  @Test
  void healthLastSeenAndSessionsAcrossPeers() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"));
        TestNode b = TestNode.start(dir.resolve("b"));
        ServerSocket silent = new ServerSocket(0)) {
      pair(a, b, "beta");
      // a peer that accepts connections and never says a word, and one that is not there
      NodeRegistry reg = NodeRegistry.open(a.home());
      reg.put(
          RegisteredNode.of(
                  "mute", new RegisteredNode.SshEndpoint("127.0.0.1", silent.getLocalPort()))
              .withLabels(List.of(Peers.PEER_LABEL)));
      int closed;
      try (ServerSocket s = new ServerSocket(0)) {
        closed = s.getLocalPort();
      }
      reg.put(
          RegisteredNode.of("gone", new RegisteredNode.SshEndpoint("127.0.0.1", closed))
              .withLabels(List.of(Peers.PEER_LABEL)));
      // a node only the user may log in to (registered by hack node add) is not a peer
      reg.put(RegisteredNode.of("users-only", new RegisteredNode.SshEndpoint("127.0.0.1", closed)));
      // itself, registered too (as the CLI does): never its own peer
      reg.put(
          RegisteredNode.of("self", new RegisteredNode.SshEndpoint("127.0.0.1", a.port()))
              .withId(a.node().id())
              .withLabels(List.of(Peers.PEER_LABEL)));
      assertThat(b.mina("new --name on-b -- cat").exit()).isZero();

      try (Peers peers =
          new Peers(a.home(), a.node().id(), Duration.ofSeconds(15), Duration.ofSeconds(2))) {
        peers.checkNow();
        assertThat(peers.status())
            .extracting(dev.hack.node.api.PeerStatus::name, dev.hack.node.api.PeerStatus::status)
            .containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("beta", "online"),
                org.assertj.core.groups.Tuple.tuple("mute", "offline"),
                org.assertj.core.groups.Tuple.tuple("gone", "offline"));
        dev.hack.node.api.PeerStatus beta = find(peers.status(), "beta");
        assertThat(beta.lastSeen()).isNotNull();
        assertThat(reg.find("beta").orElseThrow().status()).isEqualTo("online");

        Peers.Listing listing = peers.listAll(Duration.ofSeconds(2));
        assertThat(listing.sessions())
            .extracting(SessionInfo::id, SessionInfo::node)
            .contains(org.assertj.core.groups.Tuple.tuple("on-b", "beta"));
        assertThat(listing.offline())
            .extracting(dev.hack.node.api.PeerStatus::name)
            .containsExactlyInAnyOrder("mute", "gone");
        assertThat(find(listing.offline(), "mute").error()).contains("no answer within");

        // beta goes away: offline, last_seen kept, still registered
        java.time.Instant seen = find(peers.status(), "beta").lastSeen();
        b.close();
        peers.checkNow();
        dev.hack.node.api.PeerStatus down = find(peers.status(), "beta");
        assertThat(down.status()).isEqualTo("offline");
        assertThat(down.lastSeen()).isEqualTo(seen);
        assertThat(reg.find("beta")).isPresent();
        assertThat(reg.find("beta").orElseThrow().status()).isEqualTo("offline");
        assertThat(peers.listAll(Duration.ofSeconds(2)).offline())
            .extracting(dev.hack.node.api.PeerStatus::name)
            .contains("beta");
      }
    }
  }

  @Test
  void aPeerThatDoesNotKnowThisNodeIsOfflineWithTheReason() throws Exception {
    try (TestNode a = TestNode.start(dir.resolve("a"));
        TestNode b = TestNode.start(dir.resolve("b"))) {
      pair(a, b, "beta");
      // b forgets a's key
      java.nio.file.Files.writeString(b.home().authorizedKeys(), "");
      try (Peers peers =
          new Peers(a.home(), a.node().id(), Duration.ofSeconds(15), Duration.ofSeconds(2))) {
        peers.checkNow();
        dev.hack.node.api.PeerStatus beta = find(peers.status(), "beta");
        assertThat(beta.status()).isEqualTo("offline");
        assertThat(beta.error()).contains("refused");
      }
    }
  }

  private static dev.hack.node.api.PeerStatus find(
      List<dev.hack.node.api.PeerStatus> list, String name) {
    return list.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }
}
