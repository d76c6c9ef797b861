package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RemotePayloadsTest {
  @Test
  void gatewayPayloadIsCompactJsonWithTheProjectWhenGiven() {
    assertThat(RemotePayloads.gateway("HTTPS://gw.example.com/", "hk_1_s", "p_1"))
        .isEqualTo(
            "{\"type\":\"hack-gateway\",\"version\":1,\"url\":\"https://gw.example.com\","
                + "\"token\":\"hk_1_s\",\"project_id\":\"p_1\"}");
    assertThat(RemotePayloads.gateway("http://127.0.0.1:7788", "hk_1_s", null))
        .isEqualTo(
            "{\"type\":\"hack-gateway\",\"version\":1,\"url\":\"http://127.0.0.1:7788\","
                + "\"token\":\"hk_1_s\"}");
  }

  @Test
  void gatewayUrlKeepsAProxyPrefixButNotTrailingSlashes() {
    assertThat(RemotePayloads.gatewayUrl("https://example.com/hack//"))
        .isEqualTo("https://example.com/hack");
  }

  @Test
  void aUrlWithoutSchemeIsRefusedWithTheFix() {
    assertThatThrownBy(() -> RemotePayloads.gatewayUrl("gateway.example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "the gateway URL 'gateway.example.com' has no scheme; write it as"
                + " https://gateway.example.com (or http:// for a local gateway)");
    assertThatThrownBy(() -> RemotePayloads.gatewayUrl("localhost:7788"))
        .hasMessageContaining("has no scheme");
    assertThatThrownBy(() -> RemotePayloads.gatewayUrl("ftp://x.example.com"))
        .hasMessageContaining("http:// or https://");
    assertThatThrownBy(() -> RemotePayloads.gatewayUrl("https://x.example.com/?token=1"))
        .hasMessageContaining("query");
  }

  @Test
  void missingOrMangledTokenIsRefused() {
    assertThatThrownBy(() -> RemotePayloads.gateway("https://x.example.com", null, null))
        .hasMessageContaining("missing --token");
    assertThatThrownBy(() -> RemotePayloads.gateway("https://x.example.com", "hk_1 2", null))
        .hasMessageContaining("without spaces");
    assertThatThrownBy(() -> RemotePayloads.gateway("https://x.example.com", "hk_1_s", "a b"))
        .hasMessageContaining("not a project id");
  }

  @Test
  void sshPayloadIsAnSshUri() {
    assertThat(RemotePayloads.ssh("me", "laptop.tailnet.ts.net", 2222))
        .isEqualTo("ssh://me@laptop.tailnet.ts.net:2222");
    assertThat(RemotePayloads.ssh("me", "laptop", null)).isEqualTo("ssh://me@laptop");
    assertThat(RemotePayloads.ssh(null, "100.64.0.7", 22)).isEqualTo("ssh://100.64.0.7:22");
    assertThat(RemotePayloads.ssh("me", "fd7a:115c::1", null)).isEqualTo("ssh://me@[fd7a:115c::1]");
  }

  @Test
  void badSshPartsAreRefused() {
    assertThatThrownBy(() -> RemotePayloads.ssh("me", null, null))
        .hasMessageContaining("missing --ssh-host");
    assertThatThrownBy(() -> RemotePayloads.ssh("me", "ssh://laptop", null))
        .hasMessageContaining("not 'ssh://laptop'");
    assertThatThrownBy(() -> RemotePayloads.ssh("me", "bad_host!", null))
        .hasMessageContaining("not a valid host name");
    assertThatThrownBy(() -> RemotePayloads.ssh("me", "laptop", 70000))
        .hasMessageContaining("between 1 and 65535");
    assertThatThrownBy(() -> RemotePayloads.ssh("me:pw", "laptop", null))
        .hasMessageContaining("not a user name");
  }
}
