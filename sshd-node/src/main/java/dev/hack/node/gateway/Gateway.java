package dev.hack.node.gateway;

import dev.hack.node.NodeFailures;
import dev.hack.node.service.NodeContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
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

  /**
   * The request line and headers together may be this large. A longer request line is answered
   * {@code 414 uri_too_long}, larger headers {@code 431 headers_too_large}.
   */
  public static final int MAX_REQUEST_HEADER_BYTES = 8 * 1024;

  /**
   * Connections one remote address may hold open at once (HTTP and WebSocket together); more are
   * closed as soon as they are accepted. Behind a local tunnel ({@code tailscale serve},
   * cloudflared) every client shares the tunnel's address, and so this cap.
   */
  public static final int MAX_CONNECTIONS_PER_REMOTE = 32;

  /** Connections open at once from everyone; beyond it the gateway stops accepting for a while. */
  public static final int MAX_CONNECTIONS = 512;

  /** How many connections may wait to be accepted (as the SSH server's, sshd's 128). */
  public static final int LISTEN_BACKLOG = 128;

  /**
   * Time a client has to send a request's line and headers, from its connection (or the end of the
   * previous response on a kept-alive one) until the request is in: a slowloris is cut here.
   */
  public static final Duration REQUEST_HEADER_TIMEOUT = Duration.ofSeconds(10);

  /** Time a client has to send a request body (at most {@link #MAX_BODY_BYTES}). */
  public static final Duration REQUEST_BODY_TIMEOUT = Duration.ofSeconds(30);

  /**
   * An HTTP connection with nothing read or written for this long is closed. WebSocket streams have
   * their own: {@link #STREAM_IDLE_TIMEOUT}.
   */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

  /** A stream with nothing received for this long is closed; the server pings every 20 s. */
  public static final Duration STREAM_IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** Streams (shell, session and job) one token may have open at once: {@code 429} beyond. */
  public static final int MAX_STREAMS_PER_TOKEN = 16;

  /** Streams the node serves at once, all tokens together: {@code 429} beyond. */
  public static final int MAX_STREAMS = 256;

  /**
   * Frames queued for one WebSocket client that it has not read yet; a send beyond this fails and
   * the stream is closed. Output already goes one frame at a time, so this bounds what a client
   * that sends without reading (and collects error replies) can pile up on the node.
   */
  public static final int MAX_QUEUED_FRAMES = 64;

  /**
   * How often every open stream's token is looked up again (and {@code allowWrites} re-read): a
   * revoked or expired token, or writes turned off, end its streams within this.
   */
  public static final Duration STREAM_CHECK_INTERVAL = Duration.ofMillis(250);

  /** A stream ended by the gateway that does not answer the close in this time is cut. */
  public static final Duration REVOKED_CLOSE_GRACE = Duration.ofSeconds(2);

  /** {@link #REQUEST_HEADER_TIMEOUT}, which tests shorten so a slowloris test is quick. */
  static volatile Duration requestHeaderTimeout = REQUEST_HEADER_TIMEOUT;

  /** {@link #REQUEST_BODY_TIMEOUT}, which tests shorten. */
  static volatile Duration requestBodyTimeout = REQUEST_BODY_TIMEOUT;

  private final Server server;
  private final ServerConnector connector;
  private final GatewayContext ctx;
  private final ConnectionGuard guard;

  public Gateway(NodeContext node) {
    ctx = new GatewayContext(node, MAX_BODY_BYTES, MAX_FRAME_BYTES);
    QueuedThreadPool pool = new QueuedThreadPool(32, 2);
    pool.setName("gateway");
    pool.setDaemon(true);
    server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(MAX_REQUEST_HEADER_BYTES);
    connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    connector.setAcceptQueueSize(LISTEN_BACKLOG); // Jetty's default is 50

    guard = ctx.connections;
    connector.addBean(guard);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, server));
    server.setErrorHandler(new JsonErrorHandler());

    ServerWebSocketContainer websockets = ServerWebSocketContainer.ensure(server);
    websockets.setMaxTextMessageSize(MAX_FRAME_BYTES);
    websockets.setMaxBinaryMessageSize(MAX_FRAME_BYTES);
    websockets.setIdleTimeout(STREAM_IDLE_TIMEOUT);
    websockets.setMaxOutgoingFrames(MAX_QUEUED_FRAMES);

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
    server.setHandler(new SecurityHeaders(new Guarded(guard, api)));
    server.addBean(assets);
    server.setStopTimeout(Duration.ofSeconds(2).toMillis());
  }

  public InetSocketAddress start(String host, int port) throws Exception {
    connector.setHost(host);
    connector.setPort(port);
    server.start();
    long sweep = Math.max(50, Math.min(500, requestHeaderTimeout.toMillis() / 4));
    // guarded: a periodic task that throws would otherwise be dropped for good, and with it the
    // slowloris sweep or the revocation check
    ctx.timer.scheduleAtFixedRate(
        NodeFailures.guarded("gateway connection sweep", guard::sweep),
        sweep,
        sweep,
        TimeUnit.MILLISECONDS);
    long check = STREAM_CHECK_INTERVAL.toMillis();
    ctx.timer.scheduleAtFixedRate(
        NodeFailures.guarded("stream authorization check", ctx.openStreams::check),
        check,
        check,
        TimeUnit.MILLISECONDS);
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

  /**
   * Tells the connection guard that a request's headers are in (it starts the next request's header
   * deadline when the response is done), then lets {@code next} answer it.
   */
  private static final class Guarded extends org.eclipse.jetty.server.Handler.Wrapper {
    private final ConnectionGuard guard;

    Guarded(ConnectionGuard guard, org.eclipse.jetty.server.Handler next) {
      super(next);
      this.guard = guard;
    }

    @Override
    public boolean handle(
        org.eclipse.jetty.server.Request request,
        org.eclipse.jetty.server.Response response,
        org.eclipse.jetty.util.Callback callback)
        throws Exception {
      return super.handle(request, response, guard.requestStarted(request, callback));
    }
  }
}
