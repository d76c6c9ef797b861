package dev.hack.cli;

import dev.hack.node.api.Json;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the QR codes of {@code hack remote qr} and {@code hack remote setup} hold (see
 * docs/remote.md):
 *
 * <ul>
 *   <li>the web terminal (the default for the gateway): {@code URL/#token=TOKEN}, which a phone's
 *       camera opens in the browser;
 *   <li>the gateway for app clients ({@code --format json}): one line of JSON, {@code
 *       {"type":"hack-gateway","version":1,"url":URL,"token":TOKEN,"project_id":ID}}, {@code
 *       project_id} left out when not given;
 *   <li>SSH: a URI, {@code ssh://USER@HOST[:PORT]}, as iOS SSH clients open it.
 * </ul>
 *
 * Every check throws {@link IllegalArgumentException} with one sentence that names the bad value.
 */
final class RemotePayloads {
  static final String GATEWAY_TYPE = "hack-gateway";
  static final int GATEWAY_VERSION = 1;

  private static final Pattern USER = Pattern.compile("[A-Za-z0-9._-][A-Za-z0-9._@+-]{0,63}");

  private RemotePayloads() {}

  /**
   * The web terminal's address with the token in the fragment, {@code URL/#token=TOKEN}: a phone's
   * camera opens it in the browser, and the page takes the token from the fragment (which the
   * browser never sends to the server) and then removes it from the address bar.
   */
  static String webLink(String url, String token) {
    return gatewayUrl(url) + "/#token=" + token(token);
  }

  /** The gateway payload; {@code projectId} may be null. */
  static String gateway(String url, String token, String projectId) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", GATEWAY_TYPE);
    m.put("version", GATEWAY_VERSION);
    m.put("url", gatewayUrl(url));
    m.put("token", token(token));
    if (projectId != null) {
      if (!dev.hack.node.api.Ids.isId(projectId)) {
        throw new IllegalArgumentException(
            "'" + projectId + "' is not a project id; see: hack project list");
      }
      m.put("project_id", projectId);
    }
    return Json.GSON.toJson(m);
  }

  /**
   * A gateway base URL as a client should use it: {@code http} or {@code https}, a host, no
   * trailing slash (a path is kept, for gateways behind a proxy prefix).
   */
  static String gatewayUrl(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(
          "missing --gateway-url, e.g. --gateway-url https://gateway.example.com");
    }
    String u = url.strip();
    URI uri;
    try {
      uri = new URI(u);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + u + "' is not a URL: " + e.getReason());
    }
    if (uri.getScheme() == null || !u.contains("://")) {
      throw new IllegalArgumentException(
          "the gateway URL '"
              + u
              + "' has no scheme; write it as https://"
              + u
              + " (or http:// for a local gateway)");
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          "the gateway URL '" + u + "' must start with http:// or https://, not " + scheme + "://");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("the gateway URL '" + u + "' has no valid host name");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "the gateway URL '" + u + "' must not have a query or fragment");
    }
    String s = scheme + u.substring(uri.getScheme().length());
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  static String token(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException(
          "missing --token; create one with: hack gateway token-create --scope read");
    }
    if (token.length() > 200 || !token.chars().allMatch(c -> c > ' ' && c < 127)) {
      throw new IllegalArgumentException(
          "the token must be printable ASCII without spaces, as hack gateway token-create prints it");
    }
    return token;
  }

  /** {@code ssh://user@host[:port]}; {@code port} may be null (the client's default, 22). */
  static String ssh(String user, String host, Integer port) {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException(
          "missing --ssh-host, e.g. --ssh-host laptop.tailnet.ts.net");
    }
    String h = host.strip();
    if (h.contains("://")
        || h.contains("/")
        || h.contains("@")
        || h.chars().anyMatch(c -> c <= ' ')) {
      throw new IllegalArgumentException(
          "--ssh-host takes a host name or address (e.g. laptop.tailnet.ts.net), not '" + h + "'");
    }
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (user != null && !USER.matcher(user).matches()) {
      throw new IllegalArgumentException("'" + user + "' is not a user name for --ssh-user");
    }
    if (port != null && (port < 1 || port > 65535)) {
      throw new IllegalArgumentException("--ssh-port must be between 1 and 65535, not " + port);
    }
    try {
      URI uri = new URI("ssh", user, h, port == null ? -1 : port, null, null, null);
      // the multi-part constructor does not check that the host is a server name; parsing does
      URI parsed = new URI(uri.toASCIIString());
      if (parsed.getHost() == null) {
        throw new URISyntaxException(h, "not a host name");
      }
      return uri.toASCIIString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + h + "' is not a valid host name for --ssh-host");
    }
  }
}
