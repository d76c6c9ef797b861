package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one id rule at every door: an id names exactly one path segment and starts with a letter or
 * digit, so {@code .} and {@code ..} can never reach the sessions directory. Both used to: {@code
 * new --name .} deleted every session's directory, and {@code POST /v1/sessions {"id":".."}} the
 * whole daemon directory's sessions.
 */
class IdRuleTest {
  @TempDir Path dir;
  GatewayFixture g;

  @BeforeEach
  void start() throws Exception {
    g = new GatewayFixture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    g.close();
  }

  @Test
  void dotIdsAreRefusedAtEveryDoorAndNoOtherSessionLosesItsFiles() throws Exception {
    TestNode node = g.node;
    Result made =
        node.ssh(
            "127.0.0.1", "new", "--name", "keep", "--", "sh", "-c", "'echo kept-output; sleep 60'");
    assertThat(made.exit()).as(made.err()).isZero();
    Poll.until(
        TestNode.TIMEOUT, "output", () -> node.mina("logs keep").out().contains("kept-output"));
    Path sessions = node.home().sessionsDir();
    List<String> before = listing(sessions);

    for (String bad : List.of(".", "..", "-x", "_x", ".hidden", "a/b", "../keep")) {
      Result r = node.ssh("127.0.0.1", "new", "--name", "'" + bad + "'", "--", "true");
      assertThat(r.exit()).as(bad).isEqualTo(2);
      assertThat(r.err()).as(bad).startsWith("hack: invalid session id");
      for (String cmd : List.of("rm", "stop", "logs", "peek", "restart")) {
        Result other = node.ssh("127.0.0.1", cmd, "'" + bad + "'");
        assertThat(other.exit()).as(cmd + " " + bad).isEqualTo(2);
      }
      Reply http =
          g.post("/v1/sessions", g.write, "{\"id\":\"" + bad + "\",\"command\":[\"true\"]}");
      assertThat(http.code()).as(bad).isEqualTo(400);
      assertThat(http.error()).isEqualTo("invalid_request");
    }
    // escaped in a URL, a dot segment reaches the router as a segment: still not an id
    for (String bad : List.of("%2E", "%2E%2E", "..%2Fkeep")) {
      Reply stop = g.post("/v1/sessions/" + bad + "/stop", g.write, "");
      assertThat(stop.code()).as(bad).isBetween(400, 499);
    }

    assertThat(listing(sessions)).isEqualTo(before);
    assertThat(node.mina("logs keep").out()).contains("kept-output");
    assertThat(node.mina("ls").out()).contains("keep").contains("running");
  }

  private static List<String> listing(Path dir) throws Exception {
    try (var walk = Files.walk(dir)) {
      return walk.map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }
}
