package dev.hack.node.gateway;

import dev.hack.keys.HackHome;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.supervisor.Supervisor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * The node's HTTP/WebSocket gateway (Jetty 12 core): seed 001's API and RFC 0001's sessions for
 * clients that cannot speak SSH, behind scoped tokens, plus the web terminal page. See {@code
 * docs/gateway.md}.
 */
public final class Gateway implements AutoCloseable {
  /** Request bodies above this are refused with 413. */
  public static final int MAX_BODY_BYTES = 1 << 20;

  /** WebSocket messages above this close the stream (1009). */
  public static final int MAX_FRAME_BYTES = 1 << 20;

  private final Server server;
  private final ServerConnector connector;
  private final GatewayContext ctx;

  public Gateway(
      HackHome home,
      Supervisor supervisor,
      JobManager jobs,
      Supplier<NodeStatus> status,
      Instant startedAt) {
    ctx =
        new GatewayContext(
            home, supervisor, jobs, status, startedAt, MAX_BODY_BYTES, MAX_FRAME_BYTES);
    QueuedThreadPool pool = new QueuedThreadPool(32, 2);
    pool.setName("gateway");
    pool.setDaemon(true);
    server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    server.addConnector(connector);

    ServerWebSocketContainer websockets = ServerWebSocketContainer.ensure(server);
    websockets.setMaxTextMessageSize(MAX_FRAME_BYTES);
    websockets.setMaxBinaryMessageSize(MAX_FRAME_BYTES);
    websockets.setIdleTimeout(Duration.ofSeconds(60));

    ResourceHandler assets = new ResourceHandler();
    ResourceFactory resources = ResourceFactory.of(server);
    Resource web = resources.newClassLoaderResource("dev/hack/node/gateway/web/");
    Resource webjars = resources.newClassLoaderResource("META-INF/resources/");
    assets.setBaseResource(
        web == null ? webjars : webjars == null ? web : ResourceFactory.combine(web, webjars));
    assets.setDirAllowed(false);
    assets.setWelcomeFiles("index.html");
    assets.setCacheControl("no-cache");
    assets.setServer(server);

    ApiHandler api = new ApiHandler(ctx, assets);
    new Endpoints(ctx, websockets).register(api);
    server.setHandler(api);
    server.addBean(assets);
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
    try {
      server.stop();
    } finally {
      ctx.close();
    }
  }
}
