package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.hack.node.api.PtySize;
import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every terminal size a client chooses is capped ({@link PtySize#MAX_CELLS}): {@code POST
 * /v1/sessions {"cols":10000,"rows":10000}} once ran the node out of memory and left it half-alive.
 * The gateway refuses such a size; an SSH client's pty request and window changes are cut down to
 * the caps, as the client cannot be asked again.
 */
class TerminalSizeCapTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
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
  void theGatewayRefusesATerminalPastTheCapsAndKeepsServing() throws Exception {
    for (String size :
        new String[] {
          "\"cols\":10000,\"rows\":10000",
          "\"cols\":2000,\"rows\":1000",
          "\"cols\":3000,\"rows\":10"
        }) {
      Reply r =
          g.post("/v1/sessions", g.write, "{\"id\":\"big\",\"command\":[\"cat\"]," + size + "}");
      assertThat(r.code()).as(size).isEqualTo(400);
      assertThat(r.error()).isEqualTo("invalid_request");
      assertThat(r.json().get("message").getAsString()).containsAnyOf("too large", "1..");
      Reply shell = g.post(g.projectPath() + "/shells", g.write, "{" + size + "}");
      assertThat(shell.code()).as(size).isEqualTo(400);
    }
    Reply ok =
        g.post(
            "/v1/sessions",
            g.write,
            "{\"id\":\"wide\",\"command\":[\"cat\"],\"cols\":500,\"rows\":500}");
    assertThat(ok.code()).as(ok.body()).isEqualTo(200);

    // a resize message past the caps is an error message; the stream and the session go on
    try (GatewayFixture.Ws ws = g.wsOpen("/v1/sessions/wide/stream", g.write)) {
      ws.send(Map.of("type", "hello", "cols", 80, "rows", 24));
      ws.nextOfType("ready", WAIT);
      ws.send(Map.of("type", "resize", "cols", 2000, "rows", 1000));
      JsonObject error = ws.nextOfType("error", WAIT);
      assertThat(error.toString()).contains("too large");
      ws.send(Map.of("type", "input", "data", "still-here\n"));
      ws.outputUntil("still-here", WAIT);
    }
    assertThat(g.get("/v1/status", g.read).code()).isEqualTo(200);
  }

  @Test
  void anSshClientAskingForAHugeTerminalGetsTheCappedSize() throws Exception {
    TestNode node = g.node;
    assertThat(node.mina("new --name s -- cat").exit()).isZero();
    try (ClientSession s = node.minaSession()) {
      ChannelExec attach = s.createExecChannel("attach s");
      attach.setUsePty(true);
      attach.setPtyColumns(10_000);
      attach.setPtyLines(10_000);
      attach.setOut(new ByteArrayOutputStream());
      attach.setErr(new ByteArrayOutputStream());
      attach.open().verify(WAIT);
      Poll.until(
          WAIT,
          "attached",
          () -> sizeOf(node, "s") != null && sizeOf(node, "s").columns() == PtySize.MAX_COLUMNS);
      PtySize got = sizeOf(node, "s");
      assertThat((long) got.columns() * got.rows()).isLessThanOrEqualTo(PtySize.MAX_CELLS);
      attach.sendWindowChange(Integer.MAX_VALUE, Integer.MAX_VALUE);
      attach.sendWindowChange(100, 40);
      Poll.until(WAIT, "resized", () -> new PtySize(100, 40).equals(sizeOf(node, "s")));
      attach.close(true);
    }
    assertThat(node.mina("ls").exit()).isZero();
  }

  private static PtySize sizeOf(TestNode node, String id) {
    var info = node.node().supervisor().get(id).info();
    return info.cols() < 1 ? null : new PtySize(info.cols(), info.rows());
  }
}
