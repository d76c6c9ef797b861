package dev.hack.node.mesh.tailscale;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The address ranges Tailscale gives tailnet nodes: {@code 100.64.0.0/10} (IPv4, the carrier-grade
 * NAT range) and {@code fd7a:115c:a1e0::/48} (IPv6, Tailscale's unique local prefix), as in
 * tailscale/tailscale {@code net/tsaddr/tsaddr.go} ({@code CGNATRange}, {@code TailscaleULARange}).
 * Stateless.
 */
public final class TailnetRanges {
  private TailnetRanges() {}

  /** Whether {@code ip} is in one of Tailscale's ranges. */
  public static boolean contains(InetAddress ip) {
    byte[] b = ip.getAddress();
    if (ip instanceof Inet4Address) {
      // 100.64.0.0/10: first octet 100, top two bits of the second 01
      return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 0x40;
    }
    if (ip instanceof Inet6Address) {
      return (b[0] & 0xff) == 0xfd
          && (b[1] & 0xff) == 0x7a
          && (b[2] & 0xff) == 0x11
          && (b[3] & 0xff) == 0x5c
          && (b[4] & 0xff) == 0xa1
          && (b[5] & 0xff) == 0xe0;
    }
    return false;
  }
}
