package dev.hack.node.mesh.tailscale;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One machine on the tailnet as {@code /localapi/v0/status} describes it: this machine ({@code
 * Self}) or a peer (an entry of {@code Peer}). Immutable.
 *
 * <p>Read from Tailscale's {@code ipnstate.PeerStatus} (tailscale/tailscale {@code
 * ipn/ipnstate/ipnstate.go}); only the fields hack uses are kept.
 *
 * @param id the node's stable id ({@code StableNodeID}, e.g. {@code nXXXXCNTRL}), or null when
 *     tailscaled has none yet (before login)
 * @param publicKey the node key ({@code nodekey:…}; the key of the {@code Peer} map), or null
 * @param hostName the machine's own host name ({@code HostName}; not a DNS name, not unique), or
 *     null
 * @param dnsName the MagicDNS name without Tailscale's trailing dot ({@code
 *     mac-mini.tail1234.ts.net}), or null when the node has none
 * @param tailscaleIps the node's tailnet addresses ({@code TailscaleIPs}), IPv4 first as Tailscale
 *     lists them; may be empty
 * @param online whether the node is connected to the coordination server ({@code Online})
 * @param os the operating system Tailscale reports ({@code linux}, {@code macOS}, {@code iOS}, …),
 *     or null
 * @param lastSeen when the coordination server last saw the node; Tailscale sends it only for nodes
 *     that are offline, so it is null for online nodes and when unknown
 * @param loginName the login of the node's owner from the status's {@code User} map ({@code
 *     alice@example.com}, or {@code tagged-devices} for tagged nodes), or null
 * @param tags ACL tags ({@code tag:ci}); empty when the node is not tagged
 * @param sshHostKeys the node's SSH host keys as Tailscale knows them ({@code sshHostKeys}), in
 *     OpenSSH public-key format; empty when unknown
 * @throws IllegalArgumentException naming the value, for an entry of {@code tailscaleIps} that is
 *     not an IP address literal
 */
public record TailnetNode(
    String id,
    String publicKey,
    String hostName,
    String dnsName,
    List<String> tailscaleIps,
    boolean online,
    String os,
    Instant lastSeen,
    String loginName,
    List<String> tags,
    List<String> sshHostKeys) {

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?");

  public TailnetNode {
    id = blankToNull(id);
    publicKey = blankToNull(publicKey);
    hostName = blankToNull(hostName);
    dnsName = withoutTrailingDot(dnsName);
    os = blankToNull(os);
    loginName = blankToNull(loginName);
    tailscaleIps = tailscaleIps == null ? List.of() : List.copyOf(tailscaleIps);
    for (String ip : tailscaleIps) {
      if (!IP_LITERAL.matcher(ip).matches() || !(ip.contains(".") || ip.contains(":"))) {
        throw new IllegalArgumentException("not an IP address: \"" + ip + "\"");
      }
    }
    tags = tags == null ? List.of() : List.copyOf(tags);
    sshHostKeys = sshHostKeys == null ? List.of() : List.copyOf(sshHostKeys);
  }

  /** The node's first tailnet IPv4 address ({@code 100.x.y.z}). */
  public Optional<String> ipv4() {
    return tailscaleIps.stream().filter(ip -> !ip.contains(":")).findFirst();
  }

  /** The node's first tailnet IPv6 address ({@code fd7a:115c:a1e0::…}). */
  public Optional<String> ipv6() {
    return tailscaleIps.stream().filter(ip -> ip.contains(":")).findFirst();
  }

  /** The best name to show and to dial: the MagicDNS name, else the host name, else the id. */
  public String name() {
    if (dnsName != null) {
      return dnsName;
    }
    return hostName != null ? hostName : String.valueOf(id);
  }

  /** Whether the node carries ACL tags (then {@link #loginName} is not a person). */
  public boolean tagged() {
    return !tags.isEmpty();
  }

  /**
   * {@code name.} becomes {@code name}: Tailscale's DNS names are fully qualified with a trailing
   * dot ({@code PeerStatus.DNSName}, {@code tailcfg.Node.Name}), hack's are not.
   */
  static String withoutTrailingDot(String dnsName) {
    String s = blankToNull(dnsName);
    if (s != null && s.endsWith(".")) {
      s = blankToNull(s.substring(0, s.length() - 1));
    }
    return s;
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
