package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.gateway.GatewayFixture.Ws;
import dev.hack.node.testing.Poll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.Headers;
import okhttp3.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client chooses is capped: connections per remote address, the time to send a request, the
 * size of its headers and the counts in its body; and every response carries the headers that keep
 * the page out of other sites' frames.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayLimitsTest {
  private static final Duration T = Duration.ofSeconds(20);
  @TempDir static Path dir;
  GatewayFixture g;
  String host;
  int port;
  final List<Socket> sockets = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    g = new GatewayFixture(dir);
    URI u = URI.create(g.url);
    host = u.getHost();
    port = u.getPort();
  }

  @AfterAll
  void stop() throws Exception {
    g.close();
  }

  @AfterEach
  void restore() throws IOException {
    Gateway.requestHeaderTimeout = Gateway.REQUEST_HEADER_TIMEOUT;
    Gateway.requestBodyTimeout = Gateway.REQUEST_BODY_TIMEOUT;
    for (Socket s : sockets) {
      s.close();
    }
    sockets.clear();
  }

  private Socket raw() throws IOException {
    Socket s = new Socket(host, port);
    sockets.add(s);
    return s;
  }

  private static void assertFramingHeaders(String what, Headers h) {
    assertThat(h.get("Content-Security-Policy")).as(what).isEqualTo("frame-ancestors 'none'");
    assertThat(h.get("X-Frame-Options")).as(what).isEqualTo("DENY");
    assertThat(h.get("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
    assertThat(h.get("Referrer-Policy")).as(what).isEqualTo("no-referrer");
  }

  @Test
  void everyKindOfResponseForbidsFraming() throws Exception {
    String stream = g.projectPath() + "/jobs/nope/stream";
    Map<String, Reply> replies = new java.util.LinkedHashMap<>();
    replies.put("api 200", g.get("/v1/status", g.read));
    replies.put("401", g.get("/v1/status", null));
    replies.put("api 404", g.get("/v1/nothing-here", g.read));
    replies.put("405", g.send(new Request.Builder().url(g.url + "/v1/status").delete(), g.read));
    replies.put("426", g.get(g.projectPath() + "/shells/x/stream", g.write));
    replies.put("page", g.get("/", null));
    replies.put("script", g.get("/app.js", null));
    replies.put("webjar", g.get("/webjars/xterm/4.9.0/lib/xterm.js", null));
    replies.put("static 404", g.get("/no-such-file.txt", null));
    replies.put("414", g.get("/v1/" + "a".repeat(9000), g.read));
    replies.put(
        "431",
        g.send(
            new Request.Builder().url(g.url + "/v1/status").header("X-Big", "b".repeat(9000)),
            g.read));
    assertThat(replies.get("api 200").code()).isEqualTo(200);
    assertThat(replies.get("page").code()).isEqualTo(200);
    assertThat(replies.get("webjar").code()).isEqualTo(200);
    assertThat(replies.get("static 404").code()).isEqualTo(404);
    assertThat(replies.get("426").code()).isEqualTo(426);
    replies.forEach((what, r) -> assertFramingHeaders(what, r.headers()));

    // the 101 of a WebSocket upgrade carries them too
    String job =
        g.post(g.projectPath() + "/jobs", g.write, "{\"command\":[\"true\"]}")
            .json()
            .getAsJsonObject("job")
            .get("jobId")
            .getAsString();
    try (Ws ws = g.wsOpen(stream.replace("nope", job), g.read)) {
      assertFramingHeaders("101", ws.opened.get().headers());
    }
  }

  @Test
  void overlongRequestLinesAndHeadersAreRefusedAsJson() throws Exception {
    Reply longPath = g.get("/v1/" + "a".repeat(9000), g.read);
    assertThat(longPath.code()).isEqualTo(414);
    assertThat(longPath.error()).isEqualTo("uri_too_long");
    assertThat(longPath.body()).doesNotContain("aaaa"); // the input is not echoed

    Reply bigHeader =
        g.send(
            new Request.Builder().url(g.url + "/v1/status").header("X-Big", "b".repeat(9000)),
            g.read);
    assertThat(bigHeader.code()).isEqualTo(431);
    assertThat(bigHeader.error()).isEqualTo("headers_too_large");

    // just under the limit is an ordinary request, answered as one
    Reply under = g.get("/v1/" + "a".repeat(7900), g.read);
    assertThat(under.code()).isIn(404, 414);
    assertThat(under.json().has("error")).isTrue();
    assertThat(g.get("/v1/status", g.read).code()).as("the node still answers").isEqualTo(200);
  }

  @Test
  void aSlowlorisIsCutOffWhileAFastClientIsServed() throws Exception {
    Gateway.requestHeaderTimeout = Duration.ofMillis(1500);
    Socket slow = raw();
    slow.setSoTimeout(200);
    OutputStream out = slow.getOutputStream();
    out.write("GET /v1/status HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
    byte[] trickle =
        "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    // one header byte every 300 ms: active enough for an idle timeout, never a whole request
    boolean cut = false;
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    for (int i = 0; !cut && System.nanoTime() < deadline; i = (i + 1) % trickle.length) {
      try {
        out.write(trickle[i]);
        out.flush();
        cut = slow.getInputStream().read() == -1;
      } catch (SocketTimeoutException stillOpen) {
        // nothing from the server yet: send the next byte
      } catch (IOException reset) {
        cut = true;
      }
    }
    assertThat(cut).as("the server closed the trickling connection").isTrue();
    assertThat(g.get("/v1/status", g.read).code()).isEqualTo(200);
  }

  @Test
  void aBodyThatTricklesIsCutOff() throws Exception {
    Gateway.requestBodyTimeout = Duration.ofMillis(1500);
    Socket slow = raw();
    slow.setSoTimeout((int) T.toMillis());
    OutputStream out = slow.getOutputStream();
    out.write(
        ("POST "
                + g.projectPath()
                + "/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + g.write
                + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"comm")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    // the rest never comes: the server gives up on the body and closes
    InputStream in = slow.getInputStream();
    byte[] all = in.readAllBytes();
    String answer = new String(all, StandardCharsets.US_ASCII);
    assertThat(answer)
        .satisfiesAnyOf(a -> assertThat(a).isEmpty(), a -> assertThat(a).contains("408"));
  }

  @Test
  void oneRemoteHasAtMostItsShareOfConnections() throws Exception {
    g.http.connectionPool().evictAll();
    int n = Gateway.MAX_CONNECTIONS_PER_REMOTE + 4;
    List<Socket> mine = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket s = raw();
      s.setSoTimeout(20);
      mine.add(s);
    }
    // the excess ones are closed at once; the others wait for their request
    List<Socket> closed = new ArrayList<>();
    Poll.until(
        T,
        "the connections over the limit to be closed",
        () -> {
          for (Socket s : mine) {
            if (!closed.contains(s) && isClosedByServer(s)) {
              closed.add(s);
            }
          }
          return closed.size() >= 4;
        });
    int open = n - closed.size();
    assertThat(open)
        .as("connections left open from one address")
        .isLessThanOrEqualTo(Gateway.MAX_CONNECTIONS_PER_REMOTE)
        .isGreaterThanOrEqualTo(Gateway.MAX_CONNECTIONS_PER_REMOTE - 2);
    // an open one is served
    Socket kept = mine.stream().filter(s -> !closed.contains(s)).findFirst().orElseThrow();
    kept.setSoTimeout((int) T.toMillis());
    kept.getOutputStream()
        .write(
            ("GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + g.read
                    + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    assertThat(new String(kept.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
        .startsWith("HTTP/1.1 200");
    // once they are gone, the address is served again
    for (Socket s : mine) {
      s.close();
    }
    // (the server may see a close after the next connect, and refuse that one: try again)
    Poll.until(
        T,
        "a request after closing them",
        () -> {
          try {
            return g.get("/v1/status", g.read).code() == 200;
          } catch (IOException refusedWhileTheCountCatchesUp) {
            return false;
          }
        });
  }

  private static boolean isClosedByServer(Socket s) {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketTimeoutException open) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  @Test
  void streamsOutliveTheRequestHeaderTimeout() throws Exception {
    Gateway.requestHeaderTimeout = Duration.ofMillis(500);
    long savedBeat = JobSocket.heartbeatMillis;
    JobSocket.heartbeatMillis = 200;
    String job =
        g.post(g.projectPath() + "/jobs", g.write, "{\"command\":[\"sh\",\"-c\",\"sleep 300\"]}")
            .json()
            .getAsJsonObject("job")
            .get("jobId")
            .getAsString();
    try (Ws ws = g.wsOpen(g.projectPath() + "/jobs/" + job + "/stream", g.read)) {
      ws.send(Map.of("type", "hello"));
      ws.nextOfType("ready", T);
      // several header timeouts later the stream still delivers
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      int beats = 0;
      while (System.nanoTime() < until) {
        ws.nextOfType("heartbeat", T);
        beats++;
      }
      assertThat(beats).isGreaterThan(3);
      assertThat(ws.closed).isNotDone();
    } finally {
      JobSocket.heartbeatMillis = savedBeat;
      g.post(g.projectPath() + "/jobs/" + job + "/cancel", g.write, "");
    }
  }

  @Test
  void countsInRequestBodiesAreCapped() throws Exception {
    StringBuilder argv = new StringBuilder("{\"command\":[\"true\"");
    for (int i = 0; i < Call.MAX_LIST_ITEMS; i++) {
      argv.append(",\"a\"");
    }
    Reply tooManyArgs = g.post(g.projectPath() + "/jobs", g.write, argv + "]}");
    assertThat(tooManyArgs.code()).isEqualTo(400);
    assertThat(tooManyArgs.json().get("message").getAsString()).contains("command");

    StringBuilder env = new StringBuilder("{\"command\":[\"true\"],\"env\":{");
    for (int i = 0; i <= Call.MAX_MAP_ENTRIES; i++) {
      env.append(i == 0 ? "" : ",").append("\"V").append(i).append("\":\"x\"");
    }
    Reply tooManyVars = g.post(g.projectPath() + "/jobs", g.write, env + "}}");
    assertThat(tooManyVars.code()).isEqualTo(400);
    assertThat(tooManyVars.json().get("message").getAsString()).contains("env");

    Reply deep =
        g.post(
            g.projectPath() + "/jobs",
            g.write,
            "{\"command\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}");
    assertThat(deep.code()).isEqualTo(400);
    assertThat(deep.error()).isEqualTo("invalid_json");

    Reply label = g.post("/v1/tokens", g.admin, "{\"label\":\"" + "l".repeat(1000) + "\"}");
    assertThat(label.code()).isEqualTo(400);
    assertThat(label.json().get("message").getAsString()).contains("label");
  }
}
