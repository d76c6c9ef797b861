package dev.hack.node.gateway;

import dev.hack.node.Version;
import dev.hack.node.api.Json;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The node's HTTP gateway (Jetty 12 core). For now it answers {@code GET /v1/status} (seed 001's
 * fields) and {@code 404 not_found} for everything else; tokens, jobs, shells and the web terminal
 * come with the gateway issue.
 */
public final class Gateway implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;
  private final Instant startedAt;

  public Gateway(Instant startedAt) {
    this.startedAt = startedAt;
    QueuedThreadPool pool = new QueuedThreadPool(16, 2);
    pool.setName("gateway");
    pool.setDaemon(true);
    server = new Server(pool);
    connector = new ServerConnector(server, 1, 1);
    server.addConnector(connector);
    server.setHandler(new StatusHandler());
    server.setStopTimeout(Duration.ofSeconds(2).toMillis());
  }

  public InetSocketAddress start(String host, int port) throws Exception {
    connector.setHost(host);
    connector.setPort(port);
    server.start();
    return new InetSocketAddress(host, connector.getLocalPort());
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  private final class StatusHandler extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = Request.getPathInContext(request);
      Map<String, Object> body = new LinkedHashMap<>();
      int status;
      if ("/v1/status".equals(path) && "GET".equals(request.getMethod())) {
        status = 200;
        body.put("status", "ok");
        body.put("version", Version.get());
        body.put("pid", ProcessHandle.current().pid());
        body.put("started_at", startedAt.toString());
        body.put("uptime_ms", Duration.between(startedAt, Instant.now()).toMillis());
      } else {
        status = 404;
        body.put("error", "not_found");
        body.put("message", "no such endpoint: " + request.getMethod() + " " + path);
      }
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
      response.write(
          true,
          ByteBuffer.wrap((Json.GSON.toJson(body) + "\n").getBytes(StandardCharsets.UTF_8)),
          callback);
      return true;
    }
  }
}
