package dev.hack.node.mesh.tailscale;

/**
 * LocalAPI answers in tailscaled's real shapes (tailscale/tailscale {@code
 * ipn/ipnstate/ipnstate.go} {@code Status}/{@code PeerStatus}, {@code
 * client/tailscale/apitype/apitype.go} {@code WhoIsResponse}, {@code tailcfg/tailcfg.go} {@code
 * Node}/{@code UserProfile}): Go field names in PascalCase, {@code DNSName}/{@code Name} with the
 * trailing dot, {@code Peer} keyed by {@code nodekey:…}, {@code User} keyed by the numeric user id
 * as a string, Go's zero time for "never", {@code sshHostKeys} (the one lower-case field). Values
 * are made up; tailnet addresses are in 100.64.0.0/10 and fd7a:115c:a1e0::/48 as Tailscale's.
 */
public final class LocalApiFixtures {
  static final String SELF_KEY =
      "nodekey:6f1a7c2e9b0d4c3f8a5e1b2d3c4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5";
  static final String BUILD_KEY =
      "nodekey:0b7e5d3c1a9f8e7d6c5b4a3928170f6e5d4c3b2a19080706050403020100ffee";
  static final String PHONE_KEY =
      "nodekey:a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

  /** The tagged peer {@code build-box}, as a connection from it would look. */
  static final String PEER_ADDR = "100.90.1.2:53422";

  /** Alice's laptop over IPv6. */
  static final String PERSON_ADDR = "[fd7a:115c:a1e0::cc01:2]:61001";

  public static final String STATUS_RUNNING =
      """
      {
        "Version": "1.82.5-t7c2a1f9e3-g0d4b8c6a2",
        "TUN": true,
        "BackendState": "Running",
        "HaveNodeKey": true,
        "AuthURL": "",
        "TailscaleIPs": ["100.101.102.103", "fd7a:115c:a1e0::6501:6667"],
        "Self": {
          "ID": "nSELF1CNTRL",
          "PublicKey": "%1$s",
          "HostName": "mac-mini",
          "DNSName": "mac-mini.tail1234.ts.net.",
          "OS": "macOS",
          "UserID": 5123456789012345,
          "TailscaleIPs": ["100.101.102.103", "fd7a:115c:a1e0::6501:6667"],
          "AllowedIPs": ["100.101.102.103/32", "fd7a:115c:a1e0::6501:6667/128"],
          "Addrs": ["192.168.1.20:41641", "203.0.113.7:41641"],
          "CurAddr": "",
          "Relay": "fra",
          "RxBytes": 0,
          "TxBytes": 0,
          "Created": "2025-03-04T05:06:07.123456789Z",
          "LastWrite": "0001-01-01T00:00:00Z",
          "LastSeen": "0001-01-01T00:00:00Z",
          "LastHandshake": "0001-01-01T00:00:00Z",
          "Online": true,
          "ExitNode": false,
          "ExitNodeOption": false,
          "Active": false,
          "PeerAPIURL": ["http://100.101.102.103:52716", "http://[fd7a:115c:a1e0::6501:6667]:52716"],
          "Capabilities": ["https://tailscale.com/cap/file-sharing", "https://tailscale.com/cap/ssh"],
          "CapMap": {"https://tailscale.com/cap/file-sharing": null, "https://tailscale.com/cap/ssh": null},
          "InNetworkMap": true,
          "InMagicSock": false,
          "InEngine": false,
          "KeyExpiry": "2026-09-01T00:00:00Z"
        },
        "Health": [],
        "MagicDNSSuffix": "tail1234.ts.net",
        "CurrentTailnet": {
          "Name": "alice@example.com",
          "MagicDNSSuffix": "tail1234.ts.net",
          "MagicDNSEnabled": true
        },
        "CertDomains": ["mac-mini.tail1234.ts.net"],
        "Peer": {
          "%2$s": {
            "ID": "nBUILD1CNTRL",
            "PublicKey": "%2$s",
            "HostName": "build-box",
            "DNSName": "build-box.tail1234.ts.net.",
            "OS": "linux",
            "UserID": 5123456789012345,
            "TailscaleIPs": ["100.90.1.2", "fd7a:115c:a1e0::5a01:102"],
            "AllowedIPs": ["100.90.1.2/32", "fd7a:115c:a1e0::5a01:102/128"],
            "Tags": ["tag:ci", "tag:hack"],
            "Addrs": ["198.51.100.4:41641"],
            "CurAddr": "198.51.100.4:41641",
            "Relay": "ams",
            "RxBytes": 10240,
            "TxBytes": 20480,
            "Created": "2025-05-06T07:08:09Z",
            "LastWrite": "2026-11-20T10:00:00.5Z",
            "LastSeen": "0001-01-01T00:00:00Z",
            "LastHandshake": "2026-11-20T09:59:30Z",
            "Online": true,
            "ExitNode": false,
            "ExitNodeOption": false,
            "Active": true,
            "PeerAPIURL": ["http://100.90.1.2:41112"],
            "sshHostKeys": [
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ1aWxkLWJveC1ob3N0LWtleS1maXh0dXJlLTAx",
              "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY="
            ],
            "InNetworkMap": true,
            "InMagicSock": true,
            "InEngine": true,
            "KeyExpiry": "2026-10-01T00:00:00Z"
          },
          "%3$s": {
            "ID": "nPHONE1CNTRL",
            "PublicKey": "%3$s",
            "HostName": "localhost",
            "DNSName": "alices-iphone.tail1234.ts.net.",
            "OS": "iOS",
            "UserID": 5123456789012345,
            "TailscaleIPs": ["100.77.8.9", "fd7a:115c:a1e0::4d01:809"],
            "Addrs": null,
            "CurAddr": "",
            "Relay": "",
            "RxBytes": 0,
            "TxBytes": 0,
            "Created": "2025-07-08T09:10:11Z",
            "LastWrite": "0001-01-01T00:00:00Z",
            "LastSeen": "2026-11-19T22:15:00+01:00",
            "LastHandshake": "0001-01-01T00:00:00Z",
            "Online": false,
            "ExitNode": false,
            "ExitNodeOption": false,
            "Active": false,
            "PeerAPIURL": null,
            "InNetworkMap": true,
            "InMagicSock": false,
            "InEngine": false
          }
        },
        "User": {
          "5123456789012345": {
            "ID": 5123456789012345,
            "LoginName": "alice@example.com",
            "DisplayName": "Alice Example",
            "ProfilePicURL": "https://example.com/alice.png"
          }
        },
        "ClientVersion": {"RunningLatest": true}
      }
      """
          .formatted(SELF_KEY, BUILD_KEY, PHONE_KEY);

  /**
   * A status from a daemon that is not on a tailnet: no addresses, no DNS name, no peers, no users,
   * no tailnet (what {@code tailscale status --json} shows before {@code tailscale up}).
   */
  static String statusNotRunning(String backendState) {
    return """
        {
          "Version": "1.82.5-t7c2a1f9e3-g0d4b8c6a2",
          "TUN": true,
          "BackendState": "%s",
          "HaveNodeKey": false,
          "AuthURL": "",
          "TailscaleIPs": null,
          "Self": {
            "ID": "",
            "PublicKey": "nodekey:0000000000000000000000000000000000000000000000000000000000000000",
            "HostName": "mac-mini",
            "DNSName": "",
            "OS": "macOS",
            "UserID": 0,
            "TailscaleIPs": null,
            "Addrs": [],
            "CurAddr": "",
            "Relay": "",
            "RxBytes": 0,
            "TxBytes": 0,
            "Created": "0001-01-01T00:00:00Z",
            "LastWrite": "0001-01-01T00:00:00Z",
            "LastSeen": "0001-01-01T00:00:00Z",
            "LastHandshake": "0001-01-01T00:00:00Z",
            "Online": false,
            "ExitNode": false,
            "ExitNodeOption": false,
            "Active": false,
            "PeerAPIURL": null,
            "InNetworkMap": false,
            "InMagicSock": false,
            "InEngine": false
          },
          "Health": ["You are logged out."],
          "MagicDNSSuffix": "",
          "CurrentTailnet": null,
          "CertDomains": null,
          "Peer": null,
          "User": null,
          "ClientVersion": null
        }
        """
        .formatted(backendState);
  }

  /**
   * {@link #STATUS_RUNNING} with this machine at {@code ips} instead ({@code Self.TailscaleIPs} and
   * the top-level {@code TailscaleIPs}): a test plays the tailnet on loopback aliases such as
   * {@code 127.0.0.2}, which this machine can bind, where Tailscale's own addresses could not be.
   */
  public static String statusRunningAt(String... ips) {
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < ips.length; i++) {
      list.append(i == 0 ? "" : ", ").append('"').append(ips[i]).append('"');
    }
    list.append(']');
    return STATUS_RUNNING.replace(
        "\"TailscaleIPs\": [\"100.101.102.103\", \"fd7a:115c:a1e0::6501:6667\"]",
        "\"TailscaleIPs\": " + list);
  }

  /**
   * {@link #WHOIS_PERSON} as {@code loginName}, with {@code capMap} (a JSON object: capability to a
   * list of values, as {@code tailcfg.PeerCapMap}) or none when null.
   */
  public static String whoisPerson(String loginName, String capMap) {
    String json = WHOIS_PERSON.replace("\"alice@example.com\"", "\"" + loginName + "\"");
    return capMap == null
        ? json
        : json.replaceFirst(
            "\\{", java.util.regex.Matcher.quoteReplacement("{\n  \"CapMap\": " + capMap + ","));
  }

  /** WhoIs of {@link #PEER_ADDR}: a tagged server, so the user is Tailscale's "tagged-devices". */
  public static final String WHOIS_TAGGED_PEER =
      """
      {
      \t"Node": {
      \t\t"ID": 7012345678901234,
      \t\t"StableID": "nBUILD1CNTRL",
      \t\t"Name": "build-box.tail1234.ts.net.",
      \t\t"User": 6000000000000001,
      \t\t"Key": "%1$s",
      \t\t"KeyExpiry": "0001-01-01T00:00:00Z",
      \t\t"Machine": "mkey:9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9",
      \t\t"DiscoKey": "discokey:1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988",
      \t\t"Addresses": ["100.90.1.2/32", "fd7a:115c:a1e0::5a01:102/128"],
      \t\t"AllowedIPs": ["100.90.1.2/32", "fd7a:115c:a1e0::5a01:102/128"],
      \t\t"Endpoints": ["198.51.100.4:41641", "10.0.0.12:41641"],
      \t\t"HomeDERP": 4,
      \t\t"Hostinfo": {
      \t\t\t"IPNVersion": "1.80.3-t1a2b3c4d5-g6e7f8a9b0",
      \t\t\t"OS": "linux",
      \t\t\t"OSVersion": "Debian 12.7 (bookworm); kernel=6.1.0-26-amd64",
      \t\t\t"Hostname": "build-box",
      \t\t\t"Services": [{"Proto": "tcp", "Port": 2222, "Description": "java"}]
      \t\t},
      \t\t"Created": "2025-05-06T07:08:09Z",
      \t\t"Cap": 115,
      \t\t"Tags": ["tag:ci", "tag:hack"],
      \t\t"Online": true,
      \t\t"MachineAuthorized": true,
      \t\t"CapMap": {"https://tailscale.com/cap/is-owner": null},
      \t\t"ComputedName": "build-box",
      \t\t"ComputedNameWithHost": "build-box"
      \t},
      \t"UserProfile": {
      \t\t"ID": 6000000000000001,
      \t\t"LoginName": "tagged-devices",
      \t\t"DisplayName": "Tagged Devices"
      \t},
      \t"CapMap": {
      \t\t"hack.dev/cap/session": [{"role": "control"}, {"role": "view", "projects": ["web"]}],
      \t\t"tailscale.com/cap/drive": null
      \t}
      }
      """
          .formatted(BUILD_KEY);

  /** WhoIs of {@link #PERSON_ADDR}: Alice's own laptop, untagged, with no CapMap at all. */
  public static final String WHOIS_PERSON =
      """
      {
        "Node": {
          "ID": 7012345678905678,
          "StableID": "nLAPTOP1CNTRL",
          "Name": "alices-laptop.tail1234.ts.net.",
          "User": 5123456789012345,
          "Key": "nodekey:c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
          "KeyExpiry": "2026-12-01T00:00:00Z",
          "Machine": "mkey:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          "DiscoKey": "discokey:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
          "Addresses": ["100.66.0.2/32", "fd7a:115c:a1e0::cc01:2/128"],
          "AllowedIPs": ["100.66.0.2/32", "fd7a:115c:a1e0::cc01:2/128"],
          "HomeDERP": 1,
          "Hostinfo": {"OS": "macOS", "Hostname": "Alices-MacBook-Pro"},
          "Created": "2024-01-02T03:04:05Z",
          "Online": true,
          "MachineAuthorized": true,
          "ComputedName": "alices-laptop",
          "ComputedNameWithHost": "alices-laptop (Alices-MacBook-Pro)"
        },
        "UserProfile": {
          "ID": 5123456789012345,
          "LoginName": "alice@example.com",
          "DisplayName": "Alice Example",
          "ProfilePicURL": "https://example.com/alice.png"
        }
      }
      """;

  private LocalApiFixtures() {}
}
