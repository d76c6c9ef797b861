package dev.hack.node.mesh.tailscale;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class TailnetRangesTest {
  private static boolean in(String ip) throws Exception {
    return TailnetRanges.contains(InetAddress.getByName(ip));
  }

  @Test
  void tailscalesIpv4RangeIsTheCarrierGradeNatRange() throws Exception {
    assertThat(in("100.64.0.0")).isTrue();
    assertThat(in("100.101.102.103")).isTrue();
    assertThat(in("100.127.255.255")).isTrue();
    assertThat(in("100.63.255.255")).isFalse();
    assertThat(in("100.128.0.0")).isFalse();
    assertThat(in("127.0.0.1")).isFalse();
    assertThat(in("192.168.1.20")).isFalse();
  }

  @Test
  void tailscalesIpv6RangeIsItsUniqueLocalPrefix() throws Exception {
    assertThat(in("fd7a:115c:a1e0::6501:6667")).isTrue();
    assertThat(in("fd7a:115c:a1e0:ffff::1")).isTrue();
    assertThat(in("fd7a:115c:a1e1::1")).isFalse();
    assertThat(in("fd00::1")).isFalse();
    assertThat(in("::1")).isFalse();
    // an IPv4-mapped tailnet address is the IPv4 address to Java
    assertThat(in("::ffff:100.90.1.2")).isTrue();
  }
}
