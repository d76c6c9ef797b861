package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.gateway.GatewayFixture.Ws;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TmuxTerminal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Shells and sessions over HTTP and WebSocket: the same supervisor sessions SSH sees. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayShellTest {
  private static final Duration T = Duration.ofSeconds(20);
  @TempDir static Path dir;
  GatewayFixture g;

  @BeforeAll
  void start() throws Exception {
    g = new GatewayFixture(dir);
  }

  @AfterAll
  void stop() throws Exception {
    g.close();
  }

  private String createShell(String body) throws Exception {
    Reply r = g.post(g.projectPath() + "/shells", g.write, body);
    assertThat(r.code()).as(r.body()).isEqualTo(200);
    return r.json().getAsJsonObject("shell").get("shellId").getAsString();
  }

  @Test
  void shellStreamInputResizeSignalClose() throws Exception {
    Reply r =
        g.post(
            g.projectPath() + "/shells",
            g.write,
            "{\"cols\":100,\"rows\":30,\"cwd\":\"sub\",\"shell\":\"/bin/sh\",\"env\":{\"PS1\":\"$ \"}}");
    JsonObject shell = r.json().getAsJsonObject("shell");
    String id = shell.get("shellId").getAsString();
    assertThat(shell.get("status").getAsString()).isEqualTo("running");
    assertThat(shell.get("shell").getAsString()).isEqualTo("/bin/sh");
    assertThat(shell.get("cwd").getAsString()).isEqualTo(g.projectRoot.resolve("sub").toString());
    assertThat(shell.get("cols").getAsInt()).isEqualTo(100);
    assertThat(shell.get("projectId").getAsString()).isEqualTo(g.project.id());
    assertThat(shell.keySet()).contains("createdAt", "updatedAt", "pid", "signal");

    // the shell is a supervisor session: SSH's ls shows it
    assertThat(g.node.mina("ls").out()).contains(id);
    assertThat(
            g.get(g.projectPath() + "/shells/" + id, g.read)
                .json()
                .getAsJsonObject("shell")
                .get("shellId")
                .getAsString())
        .isEqualTo(id);

    try (Ws ws = g.wsOpen(g.projectPath() + "/shells/" + id + "/stream", g.write)) {
      ws.send(Map.of("type", "hello", "cols", 120, "rows", 40));
      JsonObject ready = ws.next(T); // ready comes first, then the screen
      assertThat(ready.get("type").getAsString()).isEqualTo("ready");
      assertThat(ready.get("shellId").getAsString()).isEqualTo(id);
      assertThat(ready.get("cols").getAsInt()).isEqualTo(120);
      assertThat(ready.get("rows").getAsInt()).isEqualTo(40);
      assertThat(ready.get("status").getAsString()).isEqualTo("running");
      assertThat(ready.keySet()).contains("cwd", "shell");

      ws.send(Map.of("type", "input", "data", "stty size\n"));
      ws.outputUntil("40 120", T);

      ws.send(Map.of("type", "resize", "cols", 132, "rows", 50));
      ws.send(Map.of("type", "input", "data", "stty size\n"));
      ws.outputUntil("50 132", T);

      // non-JSON text frames are raw input
      ws.socket.send("echo raw-$((40+2))\n");
      ws.outputUntil("raw-42", T);

      // SIGINT interrupts the foreground program
      ws.send(Map.of("type", "input", "data", "sleep 300; echo after-sleep-$((1+1))\n"));
      long shellPid = shell.get("pid").getAsLong();
      Poll.until(
          T,
          "sleep to start",
          () ->
              ProcessHandle.of(shellPid)
                  .orElseThrow()
                  .descendants()
                  .anyMatch(p -> p.info().command().orElse("").endsWith("sleep")));
      ws.send(Map.of("type", "signal", "signal", "SIGINT"));
      ws.send(Map.of("type", "input", "data", "echo interrupted-$((2+3))\n"));
      String out = ws.outputUntil("interrupted-5", T);
      assertThat(out).doesNotContain("after-sleep-2");

      ws.send(Map.of("type", "signal", "signal", "SIGNOPE"));
      assertThat(ws.nextOfType("error", T).get("message").getAsString()).contains("unknown signal");
      ws.send(Map.of("type", "bogus"));
      assertThat(ws.nextOfType("error", T).get("message").getAsString())
          .contains("unknown message type");

      // close ends the shell: exit, then the stream closes
      ws.send(Map.of("type", "close"));
      JsonObject exit = ws.nextOfType("exit", T);
      // close hangs the shell up, as closing a terminal does: killed by SIGHUP
      assertThat(exit.get("exitCode").getAsInt()).isEqualTo(129);
      assertThat(exit.get("signal").getAsString()).isEqualTo("SIGHUP");
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    }
    Poll.until(
        T,
        "exited",
        () ->
            "exited"
                .equals(
                    g.get(g.projectPath() + "/shells/" + id, g.read)
                        .json()
                        .getAsJsonObject("shell")
                        .get("status")
                        .getAsString()));
  }

  @Test
  void twoWebSocketsAndAnSshClientShareOneShell() throws Exception {
    String id = createShell("{\"shell\":\"/bin/sh\",\"env\":{\"PS1\":\"$ \"}}");
    String stream = g.projectPath() + "/shells/" + id + "/stream";
    try (Ws a = g.wsOpen(stream, g.write);
        Ws b = g.wsOpen(stream, g.write);
        TmuxTerminal ssh =
            TmuxTerminal.start(100, 30, g.node.sshArgv("-tt", "127.0.0.1", "attach", id))) {
      a.send(Map.of("type", "hello", "cols", 100, "rows", 30));
      b.send(Map.of("type", "hello", "cols", 100, "rows", 30));
      a.nextOfType("ready", T);
      b.nextOfType("ready", T);
      a.send(Map.of("type", "input", "data", "echo from-ws-$((6*7))\n"));
      a.outputUntil("from-ws-42", T);
      b.outputUntil("from-ws-42", T);
      ssh.waitFor("from-ws-42", T);

      ssh.type("echo from-ssh-$((6*8))");
      ssh.keys("Enter");
      a.outputUntil("from-ssh-48", T);
      b.outputUntil("from-ssh-48", T);

      // a client that goes away only detaches; the shell and the other clients carry on
      b.socket.cancel();
      a.send(Map.of("type", "input", "data", "echo still-$((1+1))\n"));
      a.outputUntil("still-2", T);
      ssh.waitFor("still-2", T);
    }
    // a late joiner is painted the current screen
    try (Ws late = g.wsOpen(stream, g.write)) {
      late.send(Map.of("type", "hello", "cols", 100, "rows", 30));
      late.outputUntil("still-2", T);
    }
    g.post("/v1/sessions/" + id + "/stop", g.write, "");
  }

  @Test
  void aWebSocketThatTypedLastPacesTheProgramAndIsSentEveryByte() throws Exception {
    // 15 MiB, far more than the 4 MiB after which a client that does not pace is skipped ahead
    String program = "stty -echo; read x; echo --begin--; seq 1 2000000; echo --end--";
    Reply created =
        g.post(
            "/v1/sessions",
            g.write,
            Json.GSON.toJson(Map.of("id", "ws-paced", "command", List.of("sh", "-c", program))));
    assertThat(created.code()).as(created.body()).isEqualTo(200);
    StringBuilder output = new StringBuilder();
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    WebSocketListener slow =
        new WebSocketListener() {
          @Override
          public void onOpen(WebSocket ws, Response response) {
            ws.send("{\"type\":\"hello\",\"cols\":80,\"rows\":24}");
          }

          @Override
          public void onMessage(WebSocket ws, String text) {
            JsonObject m = JsonParser.parseString(text).getAsJsonObject();
            switch (m.get("type").getAsString()) {
              case "ready" -> ws.send("{\"type\":\"input\",\"data\":\"\\n\"}"); // typed
              case "output" -> {
                String data = m.get("data").getAsString();
                output.append(data);
                try {
                  Thread.sleep(1 + data.length() / 8192); // reads at most about 8 MB/s
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              case "exit" -> exit.complete(m.get("exitCode").getAsInt());
              default -> {}
            }
          }

          @Override
          public void onFailure(WebSocket ws, Throwable t, Response response) {
            exit.completeExceptionally(t);
          }
        };
    WebSocket ws =
        g.http.newWebSocket(
            new Request.Builder()
                .url(g.url.replaceFirst("^http", "ws") + "/v1/sessions/ws-paced/stream")
                .header("Authorization", "Bearer " + g.write)
                .build(),
            slow);
    try {
      assertThat(exit.get(120, TimeUnit.SECONDS)).isZero();
    } finally {
      ws.cancel();
    }
    StringBuilder seq = new StringBuilder();
    for (int i = 1; i <= 2_000_000; i++) {
      seq.append(i).append('\n');
    }
    String text = output.toString().replace("\r", "");
    int from = text.indexOf("--begin--\n");
    int to = text.indexOf("--end--\n");
    assertThat(from).as("the start").isNotNegative();
    assertThat(to).as("the end").isGreaterThan(from);
    assertThat(text.substring(from + "--begin--\n".length(), to))
        .as("every byte, in order")
        .isEqualTo(seq.toString());
  }

  @Test
  void loginShellOverTheSessionsStream() throws Exception {
    Reply created = g.post("/v1/sessions", g.write, "{\"id\":\"login-shell\"}");
    assertThat(created.code()).as(created.body()).isEqualTo(200);
    try (Ws ws = g.wsOpen("/v1/sessions/login-shell/stream", g.write)) {
      ws.send(Map.of("type", "hello", "cols", 44, "rows", 20));
      assertThat(ws.next(T).get("type").getAsString()).isEqualTo("ready");
      ws.send(Map.of("type", "input", "data", "echo login-$((20+22))\r"));
      ws.outputUntil("login-42", T);
    }
    g.post("/v1/sessions/login-shell/stop", g.write, "");
  }

  @Test
  void exitReportsTheSignalThatEndedTheShell() throws Exception {
    String killed = createShell("{\"shell\":\"/bin/sh\"}");
    try (Ws ws = g.wsOpen(g.projectPath() + "/shells/" + killed + "/stream", g.write)) {
      ws.send(Map.of("type", "input", "data", "kill -KILL $$\n"));
      JsonObject exit = ws.nextOfType("exit", T);
      assertThat(exit.get("exitCode").getAsInt()).isEqualTo(137);
      assertThat(exit.get("signal").getAsString()).isEqualTo("SIGKILL");
    }
    JsonObject meta =
        g.get(g.projectPath() + "/shells/" + killed, g.read).json().getAsJsonObject("shell");
    assertThat(meta.get("signal").getAsString()).isEqualTo("SIGKILL");

    String exited = createShell("{\"shell\":\"/bin/sh\"}");
    try (Ws ws = g.wsOpen(g.projectPath() + "/shells/" + exited + "/stream", g.write)) {
      ws.send(Map.of("type", "input", "data", "exit 3\n"));
      JsonObject exit = ws.nextOfType("exit", T);
      assertThat(exit.get("exitCode").getAsInt()).isEqualTo(3);
      assertThat(exit.get("signal").isJsonNull()).isTrue();
    }
  }

  @Test
  void oversizedFramesCloseTheStreamNotTheShell() throws Exception {
    String id = createShell("{\"shell\":\"/bin/sh\"}");
    String stream = g.projectPath() + "/shells/" + id + "/stream";
    try (Ws ws = g.wsOpen(stream, g.write)) {
      ws.socket.send("x".repeat(Gateway.MAX_FRAME_BYTES + 1));
      assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
    }
    try (Ws again = g.wsOpen(stream, g.write)) {
      again.send(Map.of("type", "input", "data", "echo alive-$((3*3))\n"));
      again.outputUntil("alive-9", T);
    }
    g.post("/v1/sessions/" + id + "/stop", g.write, "");
  }

  @Test
  void sessionsApi() throws Exception {
    Reply created =
        g.post(
            "/v1/sessions",
            g.write,
            "{\"id\":\"api-proc\",\"command\":[\"sh\",\"-c\",\"echo hello-api; sleep 300\"]}");
    assertThat(created.code()).as(created.body()).isEqualTo(200);
    JsonObject s = created.json().getAsJsonObject("session");
    assertThat(s.get("id").getAsString()).isEqualTo("api-proc");
    assertThat(s.get("type").getAsString()).isEqualTo("process");
    assertThat(s.get("node").getAsString()).isEqualTo("test");

    assertThat(g.get("/v1/sessions", g.read).json().getAsJsonArray("sessions").toString())
        .contains("api-proc");
    assertThat(
            g.post("/v1/sessions", g.write, "{\"id\":\"api-proc\",\"command\":[\"true\"]}").code())
        .isEqualTo(409);
    assertThat(g.post("/v1/sessions", g.write, "{\"id\":\"bad id!\"}").code()).isEqualTo(400);
    assertThat(g.post("/v1/sessions", g.write, "{\"type\":\"nope\"}").error())
        .isEqualTo("invalid_request");

    String logs =
        Poll.until(
            T,
            "output",
            () -> {
              Reply r = g.get("/v1/sessions/api-proc/logs?from=0", g.read);
              return r.body().contains("hello-api") ? r.body() : null;
            });
    JsonObject one = g.get("/v1/sessions/api-proc", g.read).json().getAsJsonObject("session");
    assertThat(one.get("node").getAsString()).isEqualTo("test"); // as in the listing
    Reply tail = g.get("/v1/sessions/api-proc/logs?from=3", g.read);
    assertThat(tail.body()).isEqualTo(logs.substring(3));
    assertThat(Long.parseLong(tail.headers().get("X-Hack-Log-Offset"))).isEqualTo(logs.length());
    assertThat(g.get("/v1/sessions/api-proc/logs?from=999999", g.read).error())
        .isEqualTo("invalid_offset");
    assertThat(g.get("/v1/sessions/nope/logs", g.read).error()).isEqualTo("not_found");

    // the RFC's node status
    JsonObject status = g.get("/v1/node/status", g.read).json();
    assertThat(status.get("name").getAsString()).isEqualTo("test");
    assertThat(status.getAsJsonObject("gateway").get("url").getAsString()).isEqualTo(g.url);

    Reply stopped = g.post("/v1/sessions/api-proc/stop", g.write, "");
    assertThat(stopped.code()).isEqualTo(200);
    SessionInfo info = g.node.node().supervisor().get("api-proc").info();
    assertThat(info.status()).isEqualTo("exited");
  }

  @Test
  void metricsInBothFormats() throws Exception {
    JsonObject m = g.get("/v1/metrics", g.read).json();
    assertThat(m.get("status").getAsString()).isEqualTo("ok");
    assertThat(m.keySet())
        .contains(
            "started_at",
            "uptime_ms",
            "cache_updated_at",
            "cache_age_ms",
            "last_refresh_at",
            "refresh_count",
            "refresh_failures",
            "last_event_at",
            "events_seen",
            "streams_active");
    assertThat(m.get("cache_updated_at").isJsonNull()).isTrue();

    Reply prom = g.get("/metrics", g.read);
    assertThat(prom.headers().get("Content-Type")).startsWith("text/plain");
    assertThat(prom.body())
        .contains("# TYPE hack_gateway_requests_total counter", "hack_gateway_streams_active ");
    assertThat(g.get("/metrics", null).code()).isEqualTo(401);
  }

  @Test
  void composePsWithAndWithoutDocker() throws Exception {
    Path fake = dir.resolve("fake-docker");
    Files.writeString(
        fake,
        "#!/bin/sh\n"
            + "echo '{\"Service\":\"web\",\"Name\":\"proj-web-1\",\"Status\":\"Up 2 minutes\","
            + "\"Publishers\":[{\"URL\":\"0.0.0.0\",\"TargetPort\":80,\"PublishedPort\":8080,"
            + "\"Protocol\":\"tcp\"}]}'\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    System.setProperty("hack.docker", fake.toString());
    try {
      Reply ps = g.get("/v1/ps?compose_project=proj&branch=main", g.read);
      assertThat(ps.code()).as(ps.body()).isEqualTo(200);
      JsonObject body = ps.json();
      assertThat(body.get("composeProject").getAsString()).isEqualTo("proj");
      assertThat(body.get("branch").getAsString()).isEqualTo("main");
      JsonObject item = body.getAsJsonArray("items").get(0).getAsJsonObject();
      assertThat(item.get("Service").getAsString()).isEqualTo("web");
      assertThat(item.get("Ports").getAsString()).contains("8080->80/tcp");

      System.setProperty("hack.docker", dir.resolve("no-docker").toString());
      Reply none = g.get("/v1/ps?compose_project=proj", g.read);
      assertThat(none.code()).isEqualTo(503);
      assertThat(none.error()).isEqualTo("docker_unavailable");
      assertThat(g.get("/v1/ps", g.read).error()).isEqualTo("missing_field");

      // docker without its compose plugin says which part is missing
      Path noCompose =
          script("no-compose", "echo \"unknown shorthand flag: 'p' in -p\" >&2; exit 125");
      System.setProperty("hack.docker", noCompose.toString());
      Reply plugin = g.get("/v1/ps?compose_project=proj", g.read);
      assertThat(plugin.code()).isEqualTo(503);
      assertThat(plugin.body()).contains("compose plugin");

      // a docker that hangs (a stuck daemon) is given up on, with its children
      Path hung = script("hung-docker", "sleep 300");
      System.setProperty("hack.docker", hung.toString());
      System.setProperty("hack.docker.timeoutSeconds", "1");
      Reply slow = g.get("/v1/ps?compose_project=proj", g.read);
      assertThat(slow.code()).isEqualTo(503);
      assertThat(slow.body()).contains("did not answer within 1 s");
    } finally {
      System.clearProperty("hack.docker");
      System.clearProperty("hack.docker.timeoutSeconds");
    }
  }

  private Path script(String name, String body) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return p;
  }

  @Test
  void webPageIsServedWithoutAToken() throws Exception {
    Reply page = g.send(new Request.Builder().url(g.url + "/"), null);
    assertThat(page.code()).isEqualTo(200);
    assertThat(page.headers().get("Content-Type")).startsWith("text/html");
    Reply xterm =
        g.send(new Request.Builder().url(g.url + "/webjars/xterm/4.9.0/lib/xterm.js"), null);
    assertThat(xterm.code()).isEqualTo(200);
    assertThat(g.send(new Request.Builder().url(g.url + "/nope.html"), null).code()).isEqualTo(404);
  }
}
