package dev.hack.node.gateway;

/**
 * A request the gateway refuses: an HTTP status, one of seed 001's error codes (or a {@code 400}
 * code naming what was wrong with the request) and one sentence for a person.
 */
final class GatewayError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;

  GatewayError(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static GatewayError badRequest(String code, String message) {
    return new GatewayError(400, code, message);
  }

  static GatewayError notFound(String message) {
    return new GatewayError(404, "not_found", message);
  }
}
