package dev.hack.node.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.Node;
import dev.hack.node.client.CommandLines;
import dev.hack.node.ssh.NodeSshServer;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import dev.hack.node.testing.TmuxTerminal;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hack node join} end to end with real nodes on loopback: a node "behind NAT" keeps a tunnel
 * to a hub, and the hub lists, attaches to and starts sessions on it through that tunnel only; the
 * link comes back by itself after the hub restarts; a removed node stays out.
 */
class JoinTest {
  private static final Duration WAIT = TestNode.TIMEOUT;

  @TempDir Path dir;
  private Hub hub;
  private TestNode far;

  /** A hub on a fixed loopback port, so that it can restart where the joined node looks for it. */
  static final class Hub implements AutoCloseable {
    final HackHome home;
    final int port;
    final Path userKey;
    final Path tmux;
    Node node;
    SshClient client;

    Hub(Path dir) throws IOException {
      home = HackHome.at(dir.resolve("home"));
      userKey = dir.resolve("user").resolve("id_ed25519");
      KeyFiles.loadOrCreate(userKey, "hub user");
      new AuthorizedKeys(home.authorizedKeys(), w -> {})
          .authorize(Files.readString(KeyFiles.publicKeyPath(userKey)));
      tmux = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      start();
    }

    void start() throws IOException {
      node =
          Node.start(
              new Node.Config(
                  home,
                  "hub",
                  "127.0.0.1",
                  port,
                  null,
                  -1,
                  tmux,
                  Duration.ofDays(7),
                  NodeSshServer.Settings.defaults()),
              w -> {});
    }

    void stop() {
      node.close();
    }

    Result run(String command) throws IOException {
      if (client == null) {
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.start();
      }
      try (ClientSession s = client.connect("u", "127.0.0.1", port).verify(WAIT).getSession()) {
        s.addPublicKeyIdentity(KeyFiles.load(userKey));
        s.auth().verify(WAIT);
        return TestNode.exec(s, command);
      }
    }

    Result ok(String command) throws IOException {
      Result r = run(command);
      assertThat(r.exit()).as(command + ": " + r.err()).isZero();
      return r;
    }

    @Override
    public void close() throws IOException {
      if (client != null) {
        client.stop();
      }
      node.close();
      try {
        new ProcessBuilder("tmux", "-S", tmux.toString(), "kill-server")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start()
            .waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @BeforeEach
  void start() throws Exception {
    hub = new Hub(dir.resolve("hub"));
    far = TestNode.start(dir.resolve("far"));
  }

  @AfterEach
  void stop() throws Exception {
    far.close();
    hub.close();
  }

  private static JsonObject json(Result r) {
    return JsonParser.parseString(r.out()).getAsJsonObject();
  }

  /** What {@code hack node join hub} does: each side says yes, with the other's host key. */
  private void join() throws Exception {
    JsonObject h = json(hub.ok("peer whoami"));
    JsonObject f = json(far.mina("peer whoami"));
    Result added =
        far.mina(
            CommandLines.join(
                List.of(
                    "hub",
                    "add",
                    "hub",
                    "ssh://127.0.0.1:" + hub.port,
                    "--host-key",
                    h.get("host_key").getAsString(),
                    "--id",
                    h.get("id").getAsString())));
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).contains("joining hub hub at ssh://127.0.0.1:" + hub.port);
    Result admitted =
        hub.ok(
            CommandLines.join(
                List.of(
                    "peer",
                    "join",
                    f.get("name").getAsString(),
                    "--host-key",
                    f.get("host_key").getAsString(),
                    "--id",
                    f.get("id").getAsString())));
    assertThat(admitted.out()).contains("test may join this node");
  }

  private JsonObject peerOnHub() throws IOException {
    JsonArray peers = JsonParser.parseString(hub.ok("peer list --json").out()).getAsJsonArray();
    for (JsonElement e : peers) {
      if (e.getAsJsonObject().get("name").getAsString().equals("test")) {
        return e.getAsJsonObject();
      }
    }
    return null;
  }

  private JsonObject awaitOnHub(String status) throws Exception {
    try {
      return Poll.until(
          WAIT,
          "test " + status + " on the hub",
          () -> {
            JsonObject p = peerOnHub();
            return p != null && p.get("status").getAsString().equals(status) ? p : null;
          });
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "; the hub's peers: "
              + hub.run("peer list --json").out()
              + "; the joined node's links: "
              + far.mina("hub list --json").out(),
          e);
    }
  }

  @Test
  void aJoinedNodeIsReachedThroughItsTunnelAndComesBackAfterTheHubRestarts() throws Exception {
    join();
    JsonObject p = awaitOnHub("online");
    String address = p.get("address").getAsString();
    assertThat(address).startsWith("ssh://127.0.0.1:").doesNotEndWith(":" + far.port());

    // the hub lists and starts sessions on the joined node, through the tunnel
    assertThat(far.mina("new --name behind -- cat").exit()).isZero();
    Result all = hub.ok("ls --all --json");
    assertThat(all.out()).contains("\"id\":\"behind\"").contains("\"node\":\"test\"");

    // and attaches to one: typed text arrives, the screen comes back, detach works
    assertThat(far.mina("new --name sh1 -- sh").exit()).isZero();
    List<String> argv =
        new ArrayList<>(TestNode.sshArgv(hub.userKey, hub.port, "-tt", "127.0.0.1"));
    argv.addAll(List.of("attach", "sh1@test"));
    try (TmuxTerminal t = TmuxTerminal.start(100, 30, argv)) {
      t.type("echo tunnel-$((6*7))");
      t.keys("Enter");
      t.waitFor("tunnel-42", WAIT);
      t.keys("C-\\");
      t.waitFor("[detached from sh1@test]", WAIT);
    }
    assertThat(far.mina("logs sh1").out()).contains("tunnel-42");

    // the joined node sees its link
    JsonArray links = JsonParser.parseString(far.mina("hub list --json").out()).getAsJsonArray();
    assertThat(links.get(0).getAsJsonObject().get("state").getAsString()).isEqualTo("connected");
    assertThat(far.mina("hub list").out()).contains("hub").contains("connected");
    // and so does its status, for scripts and for a person
    JsonObject status = JsonParser.parseString(far.mina("status --json").out()).getAsJsonObject();
    JsonObject link = status.getAsJsonArray("hubs").get(0).getAsJsonObject();
    assertThat(link.get("state").getAsString()).isEqualTo("connected");
    assertThat(link.get("tunnel_port").getAsInt()).isPositive();
    assertThat(far.mina("status").out()).containsPattern("hub +hub \\(.*\\) connected");

    // the hub goes away: the node is offline there, and remembered
    hub.stop();
    Poll.until(WAIT, "the link retrying", () -> far.mina("hub list").out().contains("retrying"));
    hub.start();
    JsonObject back = awaitOnHub("online");
    assertThat(back.get("address").getAsString()).startsWith("ssh://127.0.0.1:");
    assertThat(hub.ok("ls --all --json").out()).contains("\"id\":\"behind\"");
  }

  @Test
  void aNodeThatLeavesIsShownOfflineAndARemovedOneStaysOut() throws Exception {
    join();
    awaitOnHub("online");

    // its machine goes down: offline on the hub at once, with why, and not forgotten
    far.node().close();
    JsonObject gone = awaitOnHub("offline");
    assertThat(gone.get("error").getAsString()).contains("tunnel is down");
    Result listing = hub.ok("ls --all --json --timeout 2");
    assertThat(listing.err()).contains("offline test");

    // back up, back online
    far.restart();
    awaitOnHub("online");

    // the hub removes it: its key no longer gets in, so it cannot register itself again
    hub.ok("peer rm test");
    assertThat(peerOnHub()).isNull();
    // it keeps trying, and is refused every time: three attempts, none of them gets back in
    Poll.until(
        WAIT,
        "three refused attempts",
        () -> {
          JsonObject link =
              JsonParser.parseString(far.mina("hub list --json").out())
                  .getAsJsonArray()
                  .get(0)
                  .getAsJsonObject();
          return link.get("state").getAsString().equals("retrying")
              && link.get("attempts").getAsInt() >= 3;
        });
    assertThat(peerOnHub()).isNull();
  }

  @Test
  void aNodeCannotClaimAnotherNodesNameOrATunnelItDoesNotHold() throws Exception {
    join();
    awaitOnHub("online");
    // the user's key (not the joined node's) cannot say where test's tunnel ends
    Result claim = hub.run("peer join test --port " + far.port());
    assertThat(claim.exit()).isEqualTo(2);
    assertThat(claim.err()).contains("no tunnel of this connection ends at port");
    // another key cannot join under a name that is taken
    String other =
        KeyFiles.openSshLine(KeyFiles.loadOrCreate(dir.resolve("other"), "x").getPublic());
    Result taken = hub.run(CommandLines.join(List.of("peer", "join", "test", "--host-key", other)));
    assertThat(taken.exit()).isEqualTo(2);
    assertThat(taken.err()).contains("already joined with another host key");
    // hub rm: the link closes and the hub's node may no longer log in here
    Result left = far.mina("hub rm hub");
    assertThat(left.out()).contains("left hub hub").contains("may no longer log in");
    awaitOnHub("offline");
    assertThat(far.mina("hub list").out()).contains("no hubs");
  }
}
