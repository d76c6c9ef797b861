package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.hack.node.testing.Poll;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hack node join} and {@code leave} as a user runs them: the packaged jar, two real nodes in
 * their own processes and homes. The joining node's user is let into the hub by hand first, as with
 * {@code hack node pair}; the hub's own user is never let into the joined node, and still lists its
 * sessions, through the tunnel, with the hub's node key.
 */
class JoinCliIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private CliNodes cli;

  @BeforeEach
  void setUp() {
    cli = new CliNodes(dir);
  }

  @AfterEach
  void stop() throws Exception {
    cli.close();
  }

  private String hack(Path home, String... args) throws Exception {
    CliNodes.Run r = cli.hack(home, args);
    assertThat(r.exit()).as(String.join(" ", args) + ": " + r.out() + r.err()).isZero();
    return r.out() + r.err();
  }

  @Test
  void aNodeJoinsAHubWhichListsItsSessionsAndLeaves() throws Exception {
    Path hubHome = dir.resolve("hub");
    Path farHome = dir.resolve("far");
    int hubPort = cli.serve(hubHome, "hub");
    cli.serve(farHome, "far");
    hack(farHome, "session", "list"); // makes this user's key
    hack(hubHome, "session", "list");
    cli.authorize(farHome, hubHome);
    hack(farHome, "session", "start", "--name", "behind", "--", "cat");

    String joined = hack(farHome, "node", "join", "ssh://127.0.0.1:" + hubPort);
    assertThat(joined).contains("recorded host key").contains("joined hub as far");

    // on the hub, the user lists far's sessions through the tunnel, with no key of theirs on far
    String list =
        Poll.until(
            WAIT,
            "far's session on the hub",
            () -> {
              CliNodes.Run r = cli.hack(hubHome, "session", "list", "--json");
              return r.out().contains("\"id\":\"behind\"") ? r.out() : null;
            });
    JsonArray rows = JsonParser.parseString(list).getAsJsonArray();
    boolean onFar = false;
    for (JsonElement e : rows) {
      if (e.getAsJsonObject().get("id").getAsString().equals("behind")) {
        onFar = e.getAsJsonObject().get("node").getAsString().equals("far");
      }
    }
    assertThat(onFar).isTrue();
    // and starts a session there, through the tunnel
    hack(hubHome, "session", "start", "--node", "far", "--name", "from-hub", "--", "cat");
    assertThat(hack(farHome, "session", "list")).contains("from-hub");
    assertThat(hack(hubHome, "node", "list")).contains("far").contains("ssh://127.0.0.1:");

    // join again: nothing changes, nothing breaks
    assertThat(hack(farHome, "node", "join", "hub")).contains("joined hub as far");

    // far goes away: the hub's listing says so instead of leaving it out, and still answers
    cli.stop("far");
    Poll.until(
        WAIT,
        "far reported offline on the hub",
        () ->
            cli.hack(hubHome, "session", "list")
                .err()
                .contains("offline far: it joined this node and its tunnel is down"));
    cli.serve(farHome, "far");
    Poll.until(
        WAIT,
        "far back through a new tunnel",
        () -> cli.hack(hubHome, "session", "list").out().contains("behind"));

    // leave: the tunnel closes and the hub forgets far
    assertThat(hack(farHome, "node", "leave", "hub")).contains("left hub");
    Poll.until(
        WAIT,
        "far gone from the hub",
        () -> !cli.hack(hubHome, "node", "list").out().contains("far"));

    // an unknown hub, and the hub itself: one clear line each, exit 2
    CliNodes.Run nowhere = cli.hack(farHome, "node", "join", "nowhere");
    assertThat(nowhere.exit()).isEqualTo(2);
    assertThat(nowhere.err()).contains("no node named nowhere");
    assertThat(cli.hack(farHome, "node", "join", "--help").out()).contains("--wait");
  }
}
