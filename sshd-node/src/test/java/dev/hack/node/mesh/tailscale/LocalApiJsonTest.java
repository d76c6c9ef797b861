package dev.hack.node.mesh.tailscale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParseException;
import dev.hack.node.mesh.tailscale.TailscaleState.Status;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading the LocalAPI's JSON shapes, without a daemon. */
class LocalApiJsonTest {

  @Test
  void dnsNamesLoseTheirTrailingDot() {
    assertThat(TailnetNode.withoutTrailingDot("mac-mini.tail1234.ts.net."))
        .isEqualTo("mac-mini.tail1234.ts.net");
    assertThat(TailnetNode.withoutTrailingDot("mac-mini.tail1234.ts.net"))
        .isEqualTo("mac-mini.tail1234.ts.net");
    assertThat(TailnetNode.withoutTrailingDot("")).isNull();
    assertThat(TailnetNode.withoutTrailingDot(".")).isNull();
    assertThat(TailnetNode.withoutTrailingDot(null)).isNull();
  }

  @Test
  void peerKeyFromTheMapAndOwnerFromTheUserMap() {
    TailscaleStatus s =
        LocalApiJson.status(
            """
            {"BackendState": "Running",
             "Self": {"HostName": "a", "DNSName": "a.ts.net.", "TailscaleIPs": ["100.64.0.1"],
                      "UserID": 42, "Online": true},
             "Peer": {"nodekey:abcd": {"HostName": "b", "UserID": 9007199254740993,
                                       "TailscaleIPs": ["100.64.0.2"], "Online": false,
                                       "LastSeen": "2026-11-20T10:11:12.123456789Z"}},
             "User": {"42": {"ID": 42, "LoginName": "alice@example.com"},
                      "9007199254740993": {"ID": 9007199254740993, "LoginName": "bob@example.com"}}}
            """);

    assertThat(s.self().loginName()).isEqualTo("alice@example.com");
    TailnetNode peer = s.peers().get(0);
    assertThat(peer.publicKey()).isEqualTo("nodekey:abcd");
    assertThat(peer.loginName())
        .as("ids beyond 2^53 keep their digits")
        .isEqualTo("bob@example.com");
    assertThat(peer.lastSeen()).isEqualTo(Instant.parse("2026-11-20T10:11:12.123456789Z"));
    assertThat(peer.dnsName()).isNull();
    assertThat(peer.name()).isEqualTo("b");
  }

  @Test
  void olderDaemonsAddressesAndSuffixAreUsed() {
    TailscaleStatus s =
        LocalApiJson.status(
            """
            {"BackendState": "Running", "TailscaleIPs": ["100.64.0.1", "fd7a:115c:a1e0::1"],
             "MagicDNSSuffix": "example.ts.net",
             "Self": {"HostName": "a", "DNSName": "a.example.ts.net."}}
            """);

    assertThat(s.self().ipv4()).contains("100.64.0.1");
    assertThat(s.self().ipv6()).contains("fd7a:115c:a1e0::1");
    assertThat(s.magicDnsSuffix()).isEqualTo("example.ts.net");
    assertThat(s.tailnet()).isNull();
    assertThat(s.peers()).isEmpty();
  }

  @Test
  void backendStatesMapToRfcStates() {
    assertThat(LocalApiJson.stateOf("Running", null).status()).isEqualTo(Status.RUNNING);
    assertThat(LocalApiJson.stateOf("NeedsLogin", null).status()).isEqualTo(Status.NEEDS_CONFIG);
    assertThat(LocalApiJson.stateOf("NeedsMachineAuth", null).status())
        .isEqualTo(Status.NEEDS_CONFIG);
    assertThat(LocalApiJson.stateOf("Stopped", null).status()).isEqualTo(Status.NEEDS_CONFIG);
    assertThat(LocalApiJson.stateOf("Starting", null).status()).isEqualTo(Status.BLOCKED);
    assertThat(LocalApiJson.stateOf("NoState", null).status()).isEqualTo(Status.BLOCKED);
    assertThat(LocalApiJson.stateOf(null, null).status()).isEqualTo(Status.BLOCKED);
  }

  @Test
  void wrongTypesAreRefusedNotGuessed() {
    assertThatThrownBy(() -> LocalApiJson.status("[]")).isInstanceOf(JsonParseException.class);
    assertThatThrownBy(() -> LocalApiJson.status("{\"Self\": \"me\"}"))
        .isInstanceOf(JsonParseException.class)
        .hasMessageContaining("Self");
    assertThatThrownBy(() -> LocalApiJson.status("{\"Self\": {\"TailscaleIPs\": \"100.64.0.1\"}}"))
        .isInstanceOf(JsonParseException.class)
        .hasMessageContaining("TailscaleIPs");
    assertThatThrownBy(() -> LocalApiJson.status("{\"Self\": {\"LastSeen\": \"yesterday\"}}"))
        .isInstanceOf(JsonParseException.class)
        .hasMessageContaining("LastSeen");
    assertThatThrownBy(() -> LocalApiJson.status("{\"Self\": {\"TailscaleIPs\": [\"x; rm\"]}}"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void whoisNeedsNodeAndUserProfile() {
    assertThatThrownBy(() -> LocalApiJson.whois("{\"Node\": {}}"))
        .isInstanceOf(JsonParseException.class)
        .hasMessageContaining("UserProfile");
    WhoIs minimal = LocalApiJson.whois("{\"Node\": {}, \"UserProfile\": {}, \"CapMap\": null}");
    assertThat(minimal.loginName()).isNull();
    assertThat(minimal.addresses()).isEmpty();
    assertThat(minimal.capMapJson()).isEqualTo("{}");
  }

  @Test
  void recordsAreImmutableCopies() {
    List<String> ips = new java.util.ArrayList<>(List.of("100.64.0.1"));
    TailnetNode n =
        new TailnetNode(
            "", null, " ", "x.ts.net.", ips, true, null, null, null, null, List.of("k"));
    ips.add("100.64.0.2");

    assertThat(n.tailscaleIps()).containsExactly("100.64.0.1");
    assertThat(n.id()).isNull();
    assertThat(n.hostName()).isNull();
    assertThat(n.dnsName()).isEqualTo("x.ts.net");
    assertThat(n.ipv6()).isEmpty();
    assertThatThrownBy(() -> n.tags().add("tag:x"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void statesNeedAMessageAndSpeakTheRfc() {
    assertThat(Status.NEEDS_CONFIG.wire()).isEqualTo("needs_config");
    assertThat(TailscaleState.disabled("no tailscaled").toString())
        .isEqualTo("disabled: no tailscaled");
    assertThatThrownBy(() -> TailscaleState.running(" "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new WhoIsResult(
                    TailscaleState.blocked("down"),
                    LocalApiJson.whois("{\"Node\": {}, \"UserProfile\": {}}")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
