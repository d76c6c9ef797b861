package dev.hack.node.gateway;

import com.google.gson.JsonObject;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.Json;
import dev.hack.node.service.Workdirs;
import dev.hack.node.supervisor.DiskSpace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every API request, applies scopes and {@code allowWrites}, routes it, and answers
 * errors as seed 001's {@code {"error": code, "message": ...}}. Requests for the web page's static
 * files are handed to {@code assets} without a token: they hold no data.
 */
final class ApiHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);

  /** What a route needs from the caller. */
  enum Need {
    /** a read token */
    READ,
    /** a write token and allowWrites (every non-GET request) */
    WRITE,
    /** a WebSocket stream that only reads (job logs) */
    STREAM_READ,
    /** a WebSocket stream that writes to a terminal (shells) */
    STREAM_WRITE,
    /** an admin token */
    ADMIN_READ,
    /** an admin token and allowWrites */
    ADMIN_WRITE;

    boolean stream() {
      return this == STREAM_READ || this == STREAM_WRITE;
    }

    boolean writes() {
      return this == WRITE || this == STREAM_WRITE || this == ADMIN_WRITE;
    }

    TokenStore.Scope scope() {
      return switch (this) {
        case READ, STREAM_READ -> TokenStore.Scope.READ;
        case WRITE, STREAM_WRITE -> TokenStore.Scope.WRITE;
        case ADMIN_READ, ADMIN_WRITE -> TokenStore.Scope.ADMIN;
      };
    }
  }

  /** Answers a call: returns a JSON body (status 200), or null after answering by itself. */
  interface Action {
    Object run(Call call) throws Exception;
  }

  private record Route(String method, Pattern pattern, List<String> names, Need need, Action a) {}

  private final List<Route> routes = new ArrayList<>();
  private final GatewayContext ctx;
  private final Handler assets;

  ApiHandler(GatewayContext ctx, Handler assets) {
    this.ctx = ctx;
    this.assets = assets;
  }

  /** Adds a route; {@code template} segments written {@code :name} match one path segment. */
  void route(String method, String template, Need need, Action action) {
    List<String> names = new ArrayList<>();
    StringBuilder re = new StringBuilder();
    for (String seg : template.substring(1).split("/")) {
      re.append('/');
      if (seg.startsWith(":")) {
        names.add(seg.substring(1));
        re.append("([^/]+)");
      } else {
        re.append(Pattern.quote(seg));
      }
    }
    routes.add(new Route(method, Pattern.compile(re.toString()), names, need, action));
  }

  static boolean isApiPath(String path) {
    return path.startsWith("/v1/")
        || path.equals("/v1")
        || path.startsWith("/control-plane/")
        || path.equals("/metrics");
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    if (!isApiPath(path)) {
      if (("GET".equals(method) || "HEAD".equals(method))
          && assets.handle(request, response, callback)) {
        return true;
      }
      sendError(
          response, callback, new GatewayError(404, "not_found", "no such page: " + shown(path)));
      return true;
    }
    ctx.metrics.requests.incrementAndGet();
    String remote = Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request);
    // ?token= counts only on a real WebSocket upgrade of a stream route: an Upgrade header
    // on any other request must not turn the query token on for plain HTTP.
    boolean upgrade = isUpgrade(request) && "GET".equals(method) && isStreamPath(path);
    Caller caller = null;
    int status = 500;
    String errorCode = null;
    Route matched = null;
    try {
      caller = authenticate(request, remote, upgrade);
      Map<String, String> params = new HashMap<>();
      Set<String> allowed = new LinkedHashSet<>();
      for (Route r : routes) {
        Matcher m = r.pattern.matcher(path);
        if (!m.matches()) {
          continue;
        }
        String routeMethod = r.need.stream() ? "GET" : r.method;
        if (!routeMethod.equals(method)) {
          allowed.add(routeMethod);
          continue;
        }
        for (int i = 0; i < r.names.size(); i++) {
          params.put(r.names.get(i), m.group(i + 1));
        }
        matched = r;
        break;
      }
      if (matched == null) {
        if (!allowed.isEmpty()) {
          response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", allowed));
          throw new GatewayError(
              405,
              "method_not_allowed",
              method
                  + " is not allowed on "
                  + shown(path)
                  + "; use "
                  + String.join(" or ", allowed));
        }
        throw GatewayError.notFound("no such endpoint: " + method + " " + shown(path));
      }
      authorize(matched.need, caller);
      if (matched.need.stream() && !upgrade) {
        throw new GatewayError(
            426,
            "upgrade_required",
            path + " is a WebSocket stream: connect with a WebSocket client");
      }
      if (matched.need.stream()) {
        checkOrigin(request);
      }
      Call call =
          new Call(request, response, callback, params, caller, ctx.maxBodyBytes, ctx.connections);
      Object body = matched.a.run(call);
      if (body != null) {
        status = 200;
        sendJson(response, callback, 200, body);
      } else {
        status = response.getStatus() == 0 ? 101 : response.getStatus();
      }
    } catch (GatewayError e) {
      status = e.status;
      errorCode = e.code;
      sendError(response, callback, e);
    } catch (Workdirs.Refused e) {
      status = e.status();
      errorCode = e.code();
      sendError(response, callback, new GatewayError(e.status(), e.code(), e.getMessage()));
    } catch (IllegalArgumentException e) {
      status = 400;
      errorCode = "invalid_request";
      sendError(response, callback, GatewayError.badRequest("invalid_request", e.getMessage()));
    } catch (java.util.NoSuchElementException e) {
      status = 404;
      errorCode = "not_found";
      sendError(response, callback, GatewayError.notFound(e.getMessage()));
    } catch (DiskSpace.Full e) {
      status = 507;
      errorCode = "disk_full";
      sendError(response, callback, new GatewayError(507, "disk_full", e.getMessage()));
    } catch (IllegalStateException e) {
      status = 409;
      errorCode = "conflict";
      sendError(response, callback, new GatewayError(409, "conflict", e.getMessage()));
    } catch (Exception e) {
      LOG.warn("{} {}: {}", method, path, e.toString(), e);
      status = 500;
      errorCode = "internal_error";
      sendError(
          response,
          callback,
          new GatewayError(500, "internal_error", "the node failed to answer: " + e.getMessage()));
    }
    if (status >= 400) {
      ctx.metrics.countError(status);
    }
    boolean writeRoute = matched != null && matched.need.writes() && !matched.need.stream();
    boolean nonGet = !"GET".equals(method) && !"HEAD".equals(method);
    if (status == 401) {
      ctx.audit("auth_failure", caller, remote, method, path, status, errorCode);
    } else if (writeRoute || nonGet || status == 403 || status == 429) {
      ctx.audit("request", caller, remote, method, path, status, errorCode);
    }
    return true;
  }

  /**
   * A request path as an error shows it: a client's 7,900-character path is its one bad word, and
   * the answer need not carry all of it back.
   */
  private static String shown(String path) {
    String p = path.replaceAll("\\p{Cntrl}", "?");
    return p.length() > 120 ? p.substring(0, 120) + "..." : p;
  }

  private boolean isStreamPath(String path) {
    for (Route r : routes) {
      if (r.need.stream() && r.pattern.matcher(path).matches()) {
        return true;
      }
    }
    return false;
  }

  private static boolean isUpgrade(Request request) {
    String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
    return upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket");
  }

  /** The token's caller, or a 401 GatewayError. {@code ?token=} counts on upgrades only. */
  private Caller authenticate(Request request, String remote, boolean upgrade) throws IOException {
    String token = null;
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (auth != null) {
      if (!auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
        throw new GatewayError(
            401, "invalid_token", "the Authorization header must read: Bearer <token>");
      }
      token = auth.substring(7).trim();
    }
    if (token == null) {
      token = request.getHeaders().get("x-hack-token");
    }
    String fromQuery = Request.extractQueryParameters(request).getValue("token");
    if (token == null && fromQuery != null) {
      if (!upgrade) {
        throw new GatewayError(
            401,
            "missing_token",
            "?token= is accepted on WebSocket upgrades only; send the header"
                + " Authorization: Bearer <token>");
      }
      token = fromQuery;
    }
    if (token == null || token.isEmpty()) {
      throw new GatewayError(
          401,
          "missing_token",
          "this request needs a token: send Authorization: Bearer <token> (create one with: hack"
              + " gateway token-create)");
    }
    Optional<TokenStore.Token> t = ctx.tokens.verify(token);
    if (t.isEmpty()) {
      throw new GatewayError(
          401, "invalid_token", "the token is unknown, revoked or expired; create a new one");
    }
    return new Caller(t.get().id(), t.get().scopeValue(), remote);
  }

  private void authorize(Need need, Caller caller) throws IOException {
    if (need.writes() && !ctx.allowWrites()) {
      throw new GatewayError(
          403,
          "writes_disabled",
          "writes are off on this node; turn them on with: hack config set --global"
              + " controlPlane.gateway.allowWrites true");
    }
    if (!caller.scope().allows(need.scope())) {
      if (need.scope() == TokenStore.Scope.ADMIN) {
        throw new GatewayError(
            403,
            "admin_scope_required",
            "this needs an admin token; this token is " + caller.scope().wireName());
      }
      throw new GatewayError(
          403,
          "write_scope_required",
          "this needs a write token; this token is " + caller.scope().wireName());
    }
  }

  /**
   * Refuses WebSocket upgrades from another site's page (cross-site WebSocket hijacking): a browser
   * always sends Origin; it must be this gateway's own origin or one configured in {@code
   * controlPlane.gateway.allowedOrigins}. Clients that are not browsers send no Origin.
   */
  private void checkOrigin(Request request) throws IOException {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin == null) {
      return;
    }
    String host = request.getHeaders().get(HttpHeader.HOST);
    String own = origin.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
    if (host != null && own.equalsIgnoreCase(host)) {
      return;
    }
    if (ctx.allowedOrigins().contains(origin)) {
      return;
    }
    throw new GatewayError(
        403,
        "origin_not_allowed",
        "WebSocket connections from "
            + origin
            + " are refused; allow it with: hack config set --global"
            + " controlPlane.gateway.allowedOrigins '[\""
            + origin
            + "\"]'");
  }

  static void sendJson(Response response, Callback callback, int status, Object body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    byte[] bytes = (Json.GSON.toJson(body) + "\n").getBytes(StandardCharsets.UTF_8);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  static void sendError(Response response, Callback callback, GatewayError e) {
    if (response.isCommitted()) {
      callback.failed(e);
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", e.code);
    body.put("message", e.getMessage());
    if (e.status == 401) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"hack\"");
    }
    sendJson(response, callback, e.status, body);
  }

  static JsonObject object(Object... kv) {
    JsonObject o = new JsonObject();
    for (int i = 0; i < kv.length; i += 2) {
      o.add((String) kv[i], Json.GSON.toJsonTree(kv[i + 1]));
    }
    return o;
  }
}
