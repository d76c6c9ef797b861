package dev.hack.node.gateway;

import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers the errors Jetty raises before a request reaches the gateway's handlers (a request line
 * over the header limit is 414, headers over it 431, a malformed request 400) the way the gateway
 * answers its own: seed 001's {@code {"error": code, "message": ...}} with the security headers.
 */
final class JsonErrorHandler extends ErrorHandler {
  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    SecurityHeaders.apply(response.getHeaders());
    return super.handle(request, response, callback);
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", codeFor(code));
    body.put("message", sentenceFor(code));
    ApiHandler.sendJson(response, callback, code, body);
  }

  static String codeFor(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 404 -> "not_found";
      case 408 -> "request_timeout";
      case 413 -> "payload_too_large";
      case 414 -> "uri_too_long";
      case 431 -> "headers_too_large";
      case 500 -> "internal_error";
      default -> "http_" + status;
    };
  }

  /** One sentence saying what to do; Jetty's own message is not echoed (it may quote the input). */
  private static String sentenceFor(int status) {
    return switch (status) {
      case 414 ->
          "the request line is longer than "
              + Gateway.MAX_REQUEST_HEADER_BYTES
              + " bytes; shorten the path and query";
      case 431 ->
          "the request headers are larger than "
              + Gateway.MAX_REQUEST_HEADER_BYTES
              + " bytes; send fewer or shorter headers";
      case 408 -> "the request was not sent in time; send it again";
      default -> "the request could not be read (HTTP " + status + ")";
    };
  }
}
