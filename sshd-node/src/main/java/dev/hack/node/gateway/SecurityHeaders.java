package dev.hack.node.gateway;

import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Puts the same browser-hardening headers on every response the gateway's handlers answer (API
 * JSON, errors, static files, 404s, the WebSocket 101 and 426): the page may not be framed by any
 * site (clickjacking a live terminal), content types are not sniffed, and no URL leaks in a
 * Referer. Jetty's own early errors (a request line or headers too large) get them from {@link
 * JsonErrorHandler}.
 *
 * <p>The Content-Security-Policy is only {@code frame-ancestors 'none'}: the web terminal page
 * works under it unchanged, and a stricter script or style policy is a change to that page, not to
 * this wrapper.
 */
final class SecurityHeaders extends Handler.Wrapper {
  /** The headers and their values. */
  static final Map<String, String> HEADERS =
      Map.of(
          "Content-Security-Policy", "frame-ancestors 'none'",
          "X-Frame-Options", "DENY",
          "X-Content-Type-Options", "nosniff",
          "Referrer-Policy", "no-referrer");

  SecurityHeaders(Handler next) {
    super(next);
  }

  static void apply(HttpFields.Mutable headers) {
    HEADERS.forEach(headers::put);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    // before anything below can commit the response
    apply(response.getHeaders());
    return super.handle(request, response, callback);
  }
}
