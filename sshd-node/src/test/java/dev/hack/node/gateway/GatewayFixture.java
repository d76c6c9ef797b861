package dev.hack.node.gateway;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.hack.keys.TokenStore;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.testing.TestNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

/**
 * A real node with its gateway on a loopback port, a gateway-enabled project, writes allowed, and
 * one token of each scope; plus a real HTTP and WebSocket client (OkHttp).
 */
final class GatewayFixture implements AutoCloseable {
  static final MediaType JSON = MediaType.get("application/json");

  final TestNode node;
  final String url;
  final OkHttpClient http =
      new OkHttpClient.Builder()
          .readTimeout(Duration.ofSeconds(20))
          .pingInterval(Duration.ofSeconds(5))
          .build();
  final TokenStore tokens;
  final String read;
  final String write;
  final String admin;
  final Path projectRoot;
  final ProjectRegistry.Project project;

  GatewayFixture(Path dir) throws IOException {
    node = TestNode.withGateway(dir);
    url = node.node().gatewayUrl();
    tokens = TokenStore.open(node.home());
    read = tokens.create(TokenStore.Scope.READ, null, "test read").token();
    write = tokens.create(TokenStore.Scope.WRITE, null, "test write").token();
    admin = tokens.create(TokenStore.Scope.ADMIN, null, "test admin").token();
    projectRoot = Files.createDirectories(dir.resolve("proj")).toRealPath();
    Files.createDirectories(projectRoot.resolve("sub"));
    ProjectRegistry registry = ProjectRegistry.open(node.home());
    registry.register("proj", projectRoot, null);
    project = registry.setGatewayEnabled("proj", true);
    allowWrites(true);
  }

  void allowWrites(boolean on) throws IOException {
    new ConfigFile(node.home().config())
        .set("controlPlane.gateway.allowWrites", new JsonPrimitive(on));
  }

  String projectPath() {
    return "/control-plane/projects/" + project.id();
  }

  /** A response read fully: status, headers we care about, body text. */
  record Reply(int code, String body, okhttp3.Headers headers) {
    JsonObject json() {
      return JsonParser.parseString(body).getAsJsonObject();
    }

    String error() {
      return json().get("error").getAsString();
    }
  }

  Reply get(String path, String token) throws IOException {
    return send(new Request.Builder().url(url + path).get(), token);
  }

  Reply post(String path, String token, String body) throws IOException {
    return send(new Request.Builder().url(url + path).post(RequestBody.create(body, JSON)), token);
  }

  Reply send(Request.Builder b, String token) throws IOException {
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    try (Response r = http.newCall(b.build()).execute()) {
      return new Reply(r.code(), r.body() == null ? "" : r.body().string(), r.headers());
    }
  }

  /** A WebSocket whose messages queue up for the test to take. */
  static final class Ws extends WebSocketListener implements AutoCloseable {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Response> opened = new CompletableFuture<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    /** The reason the server gave when it closed the stream. */
    final CompletableFuture<String> closeReason = new CompletableFuture<>();

    volatile Response failure;

    /** The {@code error} code of a refused handshake's JSON body, if it had one. */
    volatile String failureError;

    WebSocket socket;

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      opened.complete(response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      messages.add(text);
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
      messages.add("binary:" + bytes.hex());
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      webSocket.close(1000, null);
      closeReason.complete(reason);
      closed.complete(code);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      closeReason.complete(reason);
      closed.complete(code);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      failure = response;
      if (response != null && response.body() != null) {
        try {
          JsonObject body = JsonParser.parseString(response.body().string()).getAsJsonObject();
          failureError = body.has("error") ? body.get("error").getAsString() : null;
        } catch (Exception e) {
          failureError = null; // not JSON: the assertion on it says so
        }
      }
      opened.completeExceptionally(t);
      closeReason.complete(null);
      closed.complete(-1);
    }

    /** The next message as JSON, failing after {@code timeout}. */
    JsonObject next(Duration timeout) throws InterruptedException {
      String m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (m == null) {
        throw new AssertionError("no WebSocket message within " + timeout);
      }
      return JsonParser.parseString(m).getAsJsonObject();
    }

    /** Takes messages until one of type {@code type}. */
    JsonObject nextOfType(String type, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no '" + type + "' message within " + timeout);
        }
        String m = messages.poll(left, TimeUnit.NANOSECONDS);
        if (m != null) {
          JsonObject o = JsonParser.parseString(m).getAsJsonObject();
          if (type.equals(o.get("type").getAsString())) {
            return o;
          }
        }
      }
    }

    /** Output messages concatenated until {@code text} appears; returns all output seen. */
    String outputUntil(String text, Duration timeout) throws InterruptedException {
      StringBuilder sb = new StringBuilder();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!sb.toString().contains(text)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("output never showed '" + text + "'; saw: " + sb);
        }
        String m = messages.poll(left, TimeUnit.NANOSECONDS);
        if (m != null) {
          JsonObject o = JsonParser.parseString(m).getAsJsonObject();
          if ("output".equals(o.get("type").getAsString())) {
            sb.append(o.get("data").getAsString());
          }
        }
      }
      return sb.toString();
    }

    void send(Map<String, Object> message) {
      socket.send(dev.hack.node.api.Json.GSON.toJson(message));
    }

    @Override
    public void close() {
      if (socket != null) {
        socket.cancel();
      }
    }
  }

  Ws ws(String path, String token, Map<String, String> headers) {
    String wsUrl = url.replaceFirst("^http", "ws") + path;
    Request.Builder b = new Request.Builder().url(wsUrl);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    headers.forEach(b::header);
    Ws ws = new Ws();
    ws.socket = http.newWebSocket(b.build(), ws);
    return ws;
  }

  Ws wsOpen(String path, String token) throws Exception {
    Ws ws = ws(path, token, Map.of());
    ws.opened.get(10, TimeUnit.SECONDS);
    return ws;
  }

  List<String> auditLines() throws IOException {
    Path f = node.home().gatewayDir().resolve("audit.jsonl");
    return Files.exists(f) ? Files.readAllLines(f) : List.of();
  }

  @Override
  public void close() throws IOException {
    http.dispatcher().executorService().shutdownNow();
    http.connectionPool().evictAll();
    node.close();
  }
}
