package dev.hack.node.mesh.tailscale;

import com.google.gson.JsonParseException;
import dev.hack.node.platform.Platform;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of tailscaled's LocalAPI: {@code GET /localapi/v0/status} and {@code GET
 * /localapi/v0/whois}, over tailscaled's unix socket or, for the macOS GUI builds, over loopback
 * TCP with the app's token. OkHttp does the HTTP; see {@code docs/mesh.md}.
 *
 * <p>Every request goes to {@code http://local-tailscaled.sock/…}: that is the {@code Host} header
 * tailscaled expects ({@code apitype.LocalAPIHost} in tailscale/tailscale {@code
 * client/tailscale/apitype/apitype.go}); the socket factory sends it to the real endpoint whatever
 * the URL's host.
 *
 * <p><b>Failures are states, not exceptions.</b> {@link #status()} and {@link #whois} never throw
 * for a missing, stopped, slow or confused daemon: no socket is {@code disabled}; a socket that
 * refuses connections, an answer later than the timeout, an HTTP error or malformed JSON is {@code
 * blocked}; a backend that is not logged in or stopped is {@code needs_config} (see {@link
 * TailscaleState}). They throw only {@link IllegalArgumentException} for a bad argument.
 *
 * <p><b>Blocking:</b> each call blocks the calling thread for at most {@link #timeout()} (default 2
 * s), connect included: OkHttp's call timeout closes the socket when it expires. If the calling
 * thread is interrupted the call ends {@code blocked} and the interrupt flag stays set.
 *
 * <p>Thread-safe; one instance can serve the whole node. Each call uses a fresh connection (no
 * pooling), so a restarted tailscaled is picked up at once. {@link #close()} releases OkHttp's
 * resources and is idempotent; the client must not be used after it.
 */
public final class LocalApiClient implements AutoCloseable {
  /** The environment variable that names tailscaled's socket, overriding the default. */
  public static final String SOCKET_ENV = "HACK_TAILSCALE_SOCKET";

  /** tailscaled's socket on Linux and most other systems. */
  public static final Path DEFAULT_SOCKET = Path.of("/var/run/tailscale/tailscaled.sock");

  /**
   * The open-source tailscaled's socket on macOS (tailscale/tailscale {@code paths/paths.go},
   * {@code DefaultTailscaledSocket}); the GUI apps use loopback TCP instead.
   */
  static final Path MACOS_SOCKET = Path.of("/var/run/tailscaled.socket");

  /** The bound on each call unless the factory is given another. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /** The {@code Host} every LocalAPI request carries ({@code apitype.LocalAPIHost}). */
  static final String HOST = "local-tailscaled.sock";

  /** Status answers of big tailnets run to megabytes; more than this is not tailscaled. */
  private static final long MAX_BODY_BYTES = 32L << 20;

  private static final Logger LOG = LoggerFactory.getLogger(LocalApiClient.class);

  private final LocalApiEndpoint endpoint;
  private final Duration timeout;
  private final OkHttpClient http;

  LocalApiClient(LocalApiEndpoint endpoint, Duration timeout) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    this.timeout = timeout;
    InetAddress loopback = LocalApiEndpoint.Loopback.IPV4_LOOPBACK;
    this.http =
        new OkHttpClient.Builder()
            .socketFactory(endpoint.socketFactory())
            // the host is a name for tailscaled, not for DNS: never resolve it
            .dns(host -> List.of(loopback))
            .proxy(Proxy.NO_PROXY)
            .connectTimeout(timeout)
            .readTimeout(timeout)
            .writeTimeout(timeout)
            .callTimeout(timeout)
            .connectionPool(new ConnectionPool(0, 1, TimeUnit.SECONDS))
            .retryOnConnectionFailure(false)
            .followRedirects(false)
            .build();
  }

  /**
   * The client for this machine: the socket named by {@value #SOCKET_ENV} if set; otherwise, on
   * macOS, a GUI app's loopback port and token if one is found, else the open-source tailscaled's
   * socket; otherwise {@link #DEFAULT_SOCKET}. Timeout {@link #DEFAULT_TIMEOUT}.
   *
   * <p>On macOS the search reads a few files and probes each found port for up to 250 ms.
   */
  public static LocalApiClient fromEnvironment() {
    String home = System.getProperty("user.home");
    return fromEnvironment(
        System.getenv(),
        Platform.current().name(),
        home == null ? null : Path.of(home),
        MacLocalApiDiscovery.MACSYS_DIR,
        DEFAULT_TIMEOUT);
  }

  static LocalApiClient fromEnvironment(
      Map<String, String> env, String osName, Path home, Path macsysDir, Duration timeout) {
    String override = env.get(SOCKET_ENV);
    if (override != null && !override.isBlank()) {
      return new LocalApiClient(new LocalApiEndpoint.UnixSocket(Path.of(override)), timeout);
    }
    if (osName.toLowerCase(Locale.ROOT).startsWith("mac")) {
      var app = MacLocalApiDiscovery.discover(env, home, macsysDir);
      if (app.isPresent()) {
        return new LocalApiClient(app.get(), timeout);
      }
      Path socket = Files.exists(MACOS_SOCKET) ? MACOS_SOCKET : DEFAULT_SOCKET;
      return new LocalApiClient(new LocalApiEndpoint.UnixSocket(socket), timeout);
    }
    return new LocalApiClient(new LocalApiEndpoint.UnixSocket(DEFAULT_SOCKET), timeout);
  }

  /** A client of the tailscaled listening on {@code socket}. */
  public static LocalApiClient forSocket(Path socket, Duration timeout) {
    return new LocalApiClient(new LocalApiEndpoint.UnixSocket(socket), timeout);
  }

  /**
   * A client of a macOS GUI app's LocalAPI on {@code 127.0.0.1:port}, authenticated with {@code
   * token} (HTTP Basic, empty user name, as tailscale/tailscale {@code client/local/local.go}).
   *
   * @throws IllegalArgumentException for a port outside 1–65535 or an empty token
   */
  public static LocalApiClient forLoopback(int port, String token, Duration timeout) {
    return new LocalApiClient(new LocalApiEndpoint.Loopback(port, token), timeout);
  }

  /** The bound on each call. */
  public Duration timeout() {
    return timeout;
  }

  /** Where this client looks for tailscaled: a socket path or {@code 127.0.0.1:PORT}. */
  public String endpoint() {
    return endpoint.describe();
  }

  /**
   * Asks tailscaled for this machine's state, its tailnet addresses and its peers ({@code GET
   * /localapi/v0/status}). Blocks for at most {@link #timeout()}; never throws.
   */
  public TailscaleStatus status() {
    Answer a = get(url("status").build());
    if (a.failure != null) {
      return TailscaleStatus.unavailable(a.failure);
    }
    if (a.code != 200) {
      return TailscaleStatus.unavailable(httpError("/localapi/v0/status", a));
    }
    try {
      return LocalApiJson.status(a.body);
    } catch (JsonParseException | IllegalArgumentException | IllegalStateException e) {
      return TailscaleStatus.unavailable(malformed("/localapi/v0/status", e));
    }
  }

  /**
   * Asks tailscaled who is behind {@code addr} ({@code GET /localapi/v0/whois?addr=…}), the remote
   * address of a connection: {@code IP:PORT}, {@code [IPv6]:PORT} or a bare IP. Blocks for at most
   * {@link #timeout()}.
   *
   * @throws IllegalArgumentException naming {@code addr} when it is empty or holds spaces
   */
  public WhoIsResult whois(String addr) {
    if (addr == null || addr.isBlank() || addr.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("not an address to look up: \"" + addr + "\"");
    }
    Answer a = get(url("whois").addQueryParameter("addr", addr).build());
    if (a.failure != null) {
      return new WhoIsResult(a.failure, null);
    }
    if (a.code == 404 || a.code == 400) {
      // 404 "no match for IP:port": tailscaled knows no node there (ipn/localapi/localapi.go,
      // serveWhoIs; client/local/local.go maps it to ErrPeerNotFound). 400: not an address to it.
      return new WhoIsResult(
          TailscaleState.running(
              "tailscale knows no tailnet node at " + addr + " (" + firstLine(a.body) + ")"),
          null);
    }
    if (a.code != 200) {
      return new WhoIsResult(httpError("/localapi/v0/whois", a), null);
    }
    try {
      return new WhoIsResult(
          TailscaleState.running("tailscale named the node at " + addr),
          LocalApiJson.whois(a.body));
    } catch (JsonParseException | IllegalArgumentException | IllegalStateException e) {
      return new WhoIsResult(malformed("/localapi/v0/whois", e), null);
    }
  }

  /** {@link #whois(String)} for a connection's remote address (the IPv6 scope is dropped). */
  public WhoIsResult whois(InetSocketAddress remote) {
    Objects.requireNonNull(remote, "remote");
    InetAddress ip = remote.getAddress();
    if (ip == null) {
      throw new IllegalArgumentException("unresolved address: " + remote);
    }
    String host = ip.getHostAddress();
    int scope = host.indexOf('%');
    if (scope >= 0) {
      host = host.substring(0, scope);
    }
    return whois(
        ip instanceof Inet6Address
            ? "[" + host + "]:" + remote.getPort()
            : host + ":" + remote.getPort());
  }

  @Override
  public void close() {
    http.connectionPool().evictAll();
    http.dispatcher().executorService().shutdown();
  }

  @Override
  public String toString() {
    return "LocalApiClient[" + endpoint.describe() + ", timeout " + timeout + "]";
  }

  private HttpUrl.Builder url(String method) {
    return new HttpUrl.Builder()
        .scheme("http")
        .host(HOST)
        .addPathSegment("localapi")
        .addPathSegment("v0")
        .addPathSegment(method);
  }

  /** One exchange: a status and body, or the state that kept tailscaled from answering. */
  private record Answer(int code, String body, TailscaleState failure) {}

  private Answer get(HttpUrl url) {
    if (endpoint instanceof LocalApiEndpoint.UnixSocket s && !Files.exists(s.path())) {
      return new Answer(0, null, notHere());
    }
    Request.Builder req = new Request.Builder().url(url).get().header("Connection", "close");
    if (endpoint instanceof LocalApiEndpoint.Loopback l) {
      req.header("Authorization", Credentials.basic("", l.token(), StandardCharsets.UTF_8));
    }
    try (Response r = http.newCall(req.build()).execute()) {
      return new Answer(r.code(), readBounded(r.body()), null);
    } catch (IOException e) {
      TailscaleState failure = classify(e);
      LOG.debug("tailscale LocalAPI {} at {}: {}", url.encodedPath(), endpoint.describe(), failure);
      return new Answer(0, null, failure);
    }
  }

  private static String readBounded(ResponseBody body) throws IOException {
    if (body == null) {
      return "";
    }
    BufferedSource source = body.source();
    if (source.request(MAX_BODY_BYTES + 1)) {
      throw new IOException("answer larger than " + MAX_BODY_BYTES + " bytes");
    }
    return source.readString(StandardCharsets.UTF_8);
  }

  private TailscaleState notHere() {
    return TailscaleState.disabled(
        "tailscale is not running here (no tailscaled socket at " + endpoint.describe() + ")");
  }

  private TailscaleState classify(IOException e) {
    if (Thread.currentThread().isInterrupted()) {
      return TailscaleState.blocked("interrupted while asking tailscaled");
    }
    String root = rootMessage(e);
    if (endpoint instanceof LocalApiEndpoint.UnixSocket && root.contains("No such file")) {
      return notHere(); // the socket went away between the check and the connect
    }
    if (hasCause(e, InterruptedIOException.class)) {
      // the root cause is only how the watchdog ended the wait (the socket it closed)
      return TailscaleState.blocked(
          "tailscaled did not answer within " + seconds(timeout) + " at " + endpoint.describe());
    }
    if (hasCause(e, ConnectException.class)) {
      return TailscaleState.blocked(
          (endpoint instanceof LocalApiEndpoint.Loopback
                  ? "the Tailscale app is not accepting connections at "
                  : "tailscaled is not accepting connections at ")
              + endpoint.describe()
              + " ("
              + root
              + ")");
    }
    return TailscaleState.blocked(
        "talking to tailscaled at " + endpoint.describe() + " failed: " + root);
  }

  private static TailscaleState httpError(String path, Answer a) {
    String what =
        a.code == 401 || a.code == 403
            ? "tailscaled refused access to " + path
            : "tailscaled answered " + path + " with an error";
    return TailscaleState.blocked(what + " (HTTP " + a.code + ": " + firstLine(a.body) + ")");
  }

  private static TailscaleState malformed(String path, RuntimeException e) {
    return TailscaleState.blocked(
        "tailscaled answered "
            + path
            + " with JSON hack cannot read: "
            + firstLine(rootMessage(e)));
  }

  private static String firstLine(String body) {
    if (body == null || body.isBlank()) {
      return "no details";
    }
    String line = body.strip().lines().findFirst().orElse("").strip();
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }
}
