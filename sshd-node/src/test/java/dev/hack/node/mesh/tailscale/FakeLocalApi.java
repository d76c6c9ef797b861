package dev.hack.node.mesh.tailscale;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A fake tailscaled LocalAPI for tests: a real HTTP server (Jetty 12) on a unix socket, or on
 * loopback TCP with a token like the macOS app, serving the real JSON shapes ({@link
 * LocalApiFixtures}).
 *
 * <p>Like tailscaled it answers {@code GET /localapi/v0/status} and {@code GET
 * /localapi/v0/whois?addr=…} (404 {@code no match for IP:port} for addresses it does not know), and
 * refuses a request whose {@code Host} is not {@code local-tailscaled.sock} (421) or, on TCP, whose
 * Basic-auth token is wrong (403). It can play a daemon that is slow (holds every answer until it
 * is closed), that returns malformed JSON, or whose backend is in another state.
 *
 * <p>Owns its Jetty server and threads ({@code fake-localapi-N}); {@link #close()} releases held
 * requests, stops the server and removes the socket, and is idempotent.
 */
public final class FakeLocalApi implements AutoCloseable {
  private final Server server;
  private final Connector connector;
  private final Path socket;
  private final String token;
  private final List<String> hosts = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<String, String> whois = new ConcurrentHashMap<>();
  private final Map<String, String> whoisByIp = new ConcurrentHashMap<>();
  private final AtomicInteger rejected = new AtomicInteger();
  private final CountDownLatch released = new CountDownLatch(1);
  private volatile String status = LocalApiFixtures.STATUS_RUNNING;
  private volatile boolean slow;
  private volatile boolean malformed;

  private FakeLocalApi(Path socket, String token) throws Exception {
    this.socket = socket;
    this.token = token;
    QueuedThreadPool pool = new QueuedThreadPool(8, 2);
    pool.setName("fake-localapi");
    pool.setDaemon(true);
    server = new Server(pool);
    HttpConnectionFactory http = new HttpConnectionFactory();
    if (socket != null) {
      UnixDomainServerConnector unix = new UnixDomainServerConnector(server, 1, 1, http);
      unix.setUnixDomainPath(socket);
      connector = unix;
    } else {
      ServerConnector tcp = new ServerConnector(server, 1, 1, http);
      tcp.setHost("127.0.0.1");
      tcp.setPort(0);
      connector = tcp;
    }
    server.addConnector(connector);
    server.setHandler(new LocalApiHandler());
    server.start();
    whois(LocalApiFixtures.PEER_ADDR, LocalApiFixtures.WHOIS_TAGGED_PEER);
    whois(LocalApiFixtures.PERSON_ADDR, LocalApiFixtures.WHOIS_PERSON);
  }

  /** A daemon listening on the unix socket {@code socket} (its directory must exist). */
  public static FakeLocalApi onUnixSocket(Path socket) throws Exception {
    return new FakeLocalApi(socket, null);
  }

  /** A macOS-app-like daemon on {@code 127.0.0.1:}{@link #port()} that wants {@code token}. */
  static FakeLocalApi onLoopback(String token) throws Exception {
    return new FakeLocalApi(null, token);
  }

  Path socket() {
    return socket;
  }

  int port() {
    return ((ServerConnector) connector).getLocalPort();
  }

  /** Serve this {@code /localapi/v0/status} body from now on. */
  public void status(String json) {
    this.status = json;
  }

  /** Serve the recorded status with this {@code BackendState} (and nothing but Self). */
  public void backendState(String backendState) {
    status(LocalApiFixtures.statusNotRunning(backendState));
  }

  /** Answer {@code whois?addr=addr} with this body. */
  public void whois(String addr, String json) {
    whois.put(canonical(addr), json);
  }

  /**
   * Answer {@code whois} for {@code ip} with any port (or none) with this body, as tailscaled does
   * for a kernel-mode node, which looks connections up by address. An exact {@link #whois} wins.
   */
  public void whoisForIp(String ip, String json) {
    whoisByIp.put(canonicalIp(ip), json);
  }

  /** Forget every {@link #whoisForIp} answer: tailscaled knows no node at those addresses. */
  public void forgetIps() {
    whoisByIp.clear();
  }

  /**
   * {@code IP:PORT} with the IP in Java's one spelling, so that {@code [fd7a::1]:22} and {@code
   * [fd7a:0:0:0:0:0:0:1]:22} match, as they do for tailscaled's {@code netip.ParseAddrPort}. Only
   * literals reach {@link InetAddress#getByName}, so nothing is resolved; anything else is kept.
   */
  private static String canonical(String addr) {
    int colon = addr.lastIndexOf(':');
    if (colon < 0) {
      return addr;
    }
    String host = addr.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (!host.matches("[0-9A-Fa-f:.]+")) {
      return addr;
    }
    try {
      return InetAddress.getByName(host).getHostAddress() + addr.substring(colon);
    } catch (UnknownHostException e) {
      return addr;
    }
  }

  /** The IP of {@code IP:PORT}, {@code [IPv6]:PORT} or a bare IP, in Java's one spelling. */
  private static String canonicalIp(String addr) {
    String host = addr;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      host = close < 0 ? host : host.substring(1, close);
    } else if (host.indexOf(':') == host.lastIndexOf(':') && host.contains(":")) {
      host = host.substring(0, host.indexOf(':')); // IPv4:PORT
    }
    if (!host.matches("[0-9A-Fa-f:.]+")) {
      return host;
    }
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      return host;
    }
  }

  /** Hold every answer until {@link #close()}: a daemon that has stopped answering. */
  public void slow() {
    slow = true;
  }

  /** Answer every 200 with a body that is not JSON. */
  void malformed() {
    malformed = true;
  }

  /** The {@code Host} header of every request, in order. */
  List<String> hosts() {
    return List.copyOf(hosts);
  }

  /** Path and query of every request, in order ({@code /localapi/v0/whois?addr=…}). */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  /** Requests refused for a wrong {@code Host} or token. */
  int rejected() {
    return rejected.get();
  }

  @Override
  public void close() throws Exception {
    released.countDown();
    server.stop();
  }

  private final class LocalApiHandler extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      String host = request.getHeaders().get(HttpHeader.HOST);
      hosts.add(String.valueOf(host));
      String path = Request.getPathInContext(request);
      String query = request.getHttpURI().getQuery();
      requests.add(query == null ? path : path + "?" + query);
      if (!LocalApiClient.HOST.equals(host)) {
        // tailscaled's validHost check: only its own name, against DNS rebinding
        rejected.incrementAndGet();
        return send(response, callback, HttpStatus.MISDIRECTED_REQUEST_421, "invalid host");
      }
      if (token != null && !authorized(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
        rejected.incrementAndGet();
        return send(response, callback, HttpStatus.FORBIDDEN_403, "{\"error\":\"bad token\"}");
      }
      if (slow) {
        // held until close(); bounded so a broken test cannot keep a thread forever
        released.await(30, TimeUnit.SECONDS);
      }
      if (!"GET".equals(request.getMethod())) {
        return send(response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "want GET");
      }
      switch (path) {
        case "/localapi/v0/status" -> {
          return json(response, callback, status);
        }
        case "/localapi/v0/whois" -> {
          String addr = Request.extractQueryParameters(request).getValue("addr");
          if (addr == null) {
            return send(response, callback, HttpStatus.BAD_REQUEST_400, "missing 'addr' parameter");
          }
          String body = whois.get(canonical(addr));
          if (body == null) {
            body = whoisByIp.get(canonicalIp(addr));
          }
          if (body == null) {
            return send(response, callback, HttpStatus.NOT_FOUND_404, "no match for IP:port");
          }
          return json(response, callback, body);
        }
        default -> {
          return send(response, callback, HttpStatus.NOT_FOUND_404, "404 page not found");
        }
      }
    }

    private boolean authorized(String header) {
      String expected =
          "Basic "
              + Base64.getEncoder().encodeToString((":" + token).getBytes(StandardCharsets.UTF_8));
      return expected.equals(header);
    }

    private boolean json(Response response, Callback callback, String body) {
      response.setStatus(HttpStatus.OK_200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      Content.Sink.write(response, true, malformed ? "{\"BackendState\": \"Run" : body, callback);
      return true;
    }

    private boolean send(Response response, Callback callback, int code, String text) {
      response.setStatus(code);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
      Content.Sink.write(response, true, text + "\n", callback);
      return true;
    }
  }
}
