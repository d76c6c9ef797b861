package dev.hack.node.mesh;

import dev.hack.node.api.Ids;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One node in the registry ({@code registry/nodes.json}, RFC 0001): what {@code hack node add}
 * wrote and what the last {@code hack node status} saw. Immutable; change it with the withers.
 *
 * <p>{@code endpoints} maps a kind to an address: {@code "hackd"} (the gateway URL) and {@code
 * "ssh"} ({@code ssh://HOST[:PORT]}, stored with its port, default {@value
 * SshEndpoint#DEFAULT_PORT}; IPv6 addresses in brackets). Fields of the file that this record does
 * not know are kept by {@link NodeRegistry} when it rewrites the file.
 *
 * @param id the node's own id ({@code node-…}), or null while it has never been reached
 * @param name unique in the registry: 1 to 64 of {@code A-Z a-z 0-9 . _ -}
 * @param lastSeen when a status call last reached the node, or null
 * @param status RFC 0001 status as last seen ({@code online}, {@code offline}, ...), or null
 * @param version the hack version the node reported, or null
 * @throws IllegalArgumentException naming the bad value, for an invalid name, id or ssh endpoint
 */
public record RegisteredNode(
    String id,
    String name,
    List<String> labels,
    List<String> capabilities,
    Tailscale tailscale,
    Map<String, String> endpoints,
    Instant lastSeen,
    String status,
    String version) {
  /** The endpoint kind of the node's SSH server. */
  public static final String SSH = "ssh";

  /** The endpoint kind of the node's gateway ({@code hackd} in RFC 0001). */
  public static final String HACKD = "hackd";

  /** The node's tailnet address as Tailscale reported it; either part may be null. */
  public record Tailscale(String ip, String hostname) {}

  /**
   * An SSH endpoint, {@code ssh://HOST[:PORT]}.
   *
   * @param host a host name, IPv4 address or IPv6 address (without brackets)
   */
  public record SshEndpoint(String host, int port) {
    public static final int DEFAULT_PORT = 2222;

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?");

    public SshEndpoint {
      Objects.requireNonNull(host, "host");
      boolean ok =
          host.contains(":")
              ? IPV6.matcher(host).matches()
              : HOST.matcher(host).matches() && !host.startsWith("-");
      if (!ok) {
        throw new IllegalArgumentException("not a valid host name or address: \"" + host + "\"");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("SSH port " + port + " is not between 1 and 65535");
      }
    }

    /**
     * Parses {@code ssh://HOST[:PORT]} (port default {@value #DEFAULT_PORT}; IPv6 as {@code
     * ssh://[::1]:2222}).
     *
     * @throws IllegalArgumentException naming {@code uri} when it is not of that form
     */
    public static SshEndpoint parse(String uri) {
      Objects.requireNonNull(uri, "uri");
      String prefix = "ssh://";
      if (!uri.regionMatches(true, 0, prefix, 0, prefix.length())) {
        throw invalid(uri, "it does not start with ssh://");
      }
      String authority = uri.substring(prefix.length());
      if (authority.endsWith("/")) {
        authority = authority.substring(0, authority.length() - 1);
      }
      if (authority.contains("@") || authority.contains("/") || authority.contains("?")) {
        throw invalid(uri, "only ssh://HOST[:PORT] is supported");
      }
      String host;
      String port = null;
      if (authority.startsWith("[")) {
        int close = authority.indexOf(']');
        if (close < 0) {
          throw invalid(uri, "the IPv6 address has no closing ]");
        }
        host = authority.substring(1, close);
        String rest = authority.substring(close + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw invalid(uri, "expected :PORT after ]");
          }
          port = rest.substring(1);
        }
      } else {
        int colon = authority.indexOf(':');
        if (colon >= 0 && authority.indexOf(':', colon + 1) >= 0) {
          throw invalid(uri, "IPv6 addresses go in brackets, as in ssh://[::1]:2222");
        }
        host = colon < 0 ? authority : authority.substring(0, colon);
        port = colon < 0 ? null : authority.substring(colon + 1);
      }
      if (host.isEmpty()) {
        throw invalid(uri, "the host is missing");
      }
      int portNumber = DEFAULT_PORT;
      if (port != null) {
        if (!port.matches("[0-9]{1,5}")) {
          throw invalid(uri, "the port is not a number");
        }
        portNumber = Integer.parseInt(port);
      }
      try {
        return new SshEndpoint(host, portNumber);
      } catch (IllegalArgumentException e) {
        throw invalid(uri, e.getMessage());
      }
    }

    private static IllegalArgumentException invalid(String uri, String why) {
      return new IllegalArgumentException(
          "invalid SSH endpoint \"" + uri + "\": " + why + " (expected ssh://HOST[:PORT])");
    }

    /** {@code ssh://HOST:PORT}, with an IPv6 host in brackets. */
    @Override
    public String toString() {
      return "ssh://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  public RegisteredNode {
    Objects.requireNonNull(name, "name");
    Ids.requireName("node name", name);
    if (id != null) {
      Ids.requireId("node id", id);
    }
    labels = labels == null ? List.of() : List.copyOf(labels);
    capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    Map<String, String> copy = new LinkedHashMap<>();
    if (endpoints != null) {
      endpoints.forEach(
          (kind, address) ->
              copy.put(Objects.requireNonNull(kind), Objects.requireNonNull(address, kind)));
    }
    if (copy.containsKey(SSH)) {
      copy.put(SSH, SshEndpoint.parse(copy.get(SSH)).toString());
    }
    endpoints = Collections.unmodifiableMap(copy);
  }

  /** A node known only by name and SSH endpoint, as {@code hack node add NAME ssh://...} makes. */
  public static RegisteredNode of(String name, SshEndpoint ssh) {
    return new RegisteredNode(
        null, name, List.of(), List.of(), null, Map.of(SSH, ssh.toString()), null, null, null);
  }

  /** The parsed {@code ssh} endpoint, if the node has one. */
  public Optional<SshEndpoint> ssh() {
    String uri = endpoints.get(SSH);
    return uri == null ? Optional.empty() : Optional.of(SshEndpoint.parse(uri));
  }

  /** The {@code hackd} (gateway) endpoint, if the node has one. */
  public Optional<String> hackd() {
    return Optional.ofNullable(endpoints.get(HACKD));
  }

  public RegisteredNode withStatus(String status, Instant lastSeen, String version) {
    return new RegisteredNode(
        id, name, labels, capabilities, tailscale, endpoints, lastSeen, status, version);
  }

  public RegisteredNode withId(String id) {
    return new RegisteredNode(
        id, name, labels, capabilities, tailscale, endpoints, lastSeen, status, version);
  }

  public RegisteredNode withLabels(List<String> labels) {
    return new RegisteredNode(
        id, name, labels, capabilities, tailscale, endpoints, lastSeen, status, version);
  }

  public RegisteredNode withCapabilities(List<String> capabilities) {
    return new RegisteredNode(
        id, name, labels, capabilities, tailscale, endpoints, lastSeen, status, version);
  }

  public RegisteredNode withTailscale(Tailscale tailscale) {
    return new RegisteredNode(
        id, name, labels, capabilities, tailscale, endpoints, lastSeen, status, version);
  }

  /** This node with endpoint {@code kind} set to {@code address}, or removed when it is null. */
  public RegisteredNode withEndpoint(String kind, String address) {
    Map<String, String> copy = new LinkedHashMap<>(endpoints);
    if (address == null) {
      copy.remove(kind);
    } else {
      copy.put(kind, address);
    }
    return new RegisteredNode(
        id, name, labels, capabilities, tailscale, copy, lastSeen, status, version);
  }
}
