package dev.hack.node.mesh.tailscale;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the LocalAPI's JSON into hack's records. Tailscale's field names are Go's (PascalCase, no
 * JSON tags) except {@code sshHostKeys}; unknown fields are ignored, absent or null ones are empty.
 *
 * <p>Shapes, from tailscale/tailscale:
 *
 * <ul>
 *   <li>{@code ipn/ipnstate/ipnstate.go}, {@code Status}: {@code Version}, {@code BackendState},
 *       {@code TailscaleIPs}, {@code Self} (a {@code PeerStatus}), {@code MagicDNSSuffix}
 *       (deprecated for {@code CurrentTailnet.MagicDNSSuffix}), {@code CurrentTailnet {Name,
 *       MagicDNSSuffix}} (null when not connected), {@code Peer} (map keyed by {@code
 *       key.NodePublic}, i.e. {@code "nodekey:<hex>"}), {@code User} (map keyed by {@code
 *       tailcfg.UserID}, an int64, so a decimal string in JSON).
 *   <li>{@code PeerStatus}: {@code ID} (StableNodeID string), {@code PublicKey}, {@code HostName},
 *       {@code DNSName} ("It ends with a dot."), {@code OS}, {@code UserID} (number), {@code
 *       TailscaleIPs}, {@code Tags}, {@code Online}, {@code LastSeen} ("only present if offline": a
 *       Go {@code time.Time}, whose zero value marshals as {@code 0001-01-01T00:00:00Z}), {@code
 *       sshHostKeys} (the one field with a JSON tag).
 *   <li>{@code client/tailscale/apitype/apitype.go}, {@code WhoIsResponse}: {@code Node} ({@code
 *       tailcfg.Node}: {@code ID} int64, {@code StableID}, {@code Name} FQDN with trailing dot,
 *       {@code Addresses} as prefixes {@code 100.x.y.z/32}, {@code Hostinfo {Hostname, OS}}, {@code
 *       Tags}, {@code ComputedName}), {@code UserProfile} ({@code tailcfg.UserProfile}: {@code ID},
 *       {@code LoginName}, {@code DisplayName}), {@code CapMap} ({@code tailcfg.PeerCapMap}: a
 *       capability name to a list of raw JSON values).
 * </ul>
 *
 * <p>Stateless; every method throws {@link JsonParseException} (or {@link IllegalArgumentException}
 * for a bad value inside valid JSON) when the text is not what tailscaled sends.
 */
final class LocalApiJson {
  /** Go's zero {@code time.Time}, which tailscaled sends for "never" / "not applicable". */
  private static final Instant GO_ZERO_TIME = Instant.parse("0001-01-01T00:00:00Z");

  private LocalApiJson() {}

  /** {@code GET /localapi/v0/status}. */
  static TailscaleStatus status(String json) {
    JsonObject root = object(json);
    Map<String, String> logins = new LinkedHashMap<>();
    JsonObject users = obj(root, "User");
    if (users != null) {
      for (Map.Entry<String, JsonElement> e : users.entrySet()) {
        if (e.getValue().isJsonObject()) {
          String login = str(e.getValue().getAsJsonObject(), "LoginName");
          if (login != null) {
            logins.put(e.getKey(), login);
          }
        }
      }
    }
    JsonObject selfJson = obj(root, "Self");
    TailnetNode self = null;
    if (selfJson != null) {
      List<String> ips = strings(selfJson, "TailscaleIPs");
      if (ips.isEmpty()) {
        ips =
            strings(root, "TailscaleIPs"); // Status.TailscaleIPs: the same addresses, older daemons
      }
      self = node(selfJson, ips, logins);
    }
    List<TailnetNode> peers = new ArrayList<>();
    JsonObject peerMap = obj(root, "Peer");
    if (peerMap != null) {
      for (Map.Entry<String, JsonElement> e : peerMap.entrySet()) {
        if (!e.getValue().isJsonObject()) {
          throw new JsonParseException("Peer " + e.getKey() + " is not an object");
        }
        JsonObject p = e.getValue().getAsJsonObject();
        if (str(p, "PublicKey") == null) {
          p = p.deepCopy();
          p.addProperty("PublicKey", e.getKey()); // the map key is the node key
        }
        peers.add(node(p, strings(p, "TailscaleIPs"), logins));
      }
    }
    peers.sort(Comparator.comparing(TailnetNode::name));
    JsonObject tailnet = obj(root, "CurrentTailnet");
    String suffix = tailnet == null ? null : str(tailnet, "MagicDNSSuffix");
    if (suffix == null) {
      suffix = str(root, "MagicDNSSuffix");
    }
    String backendState = str(root, "BackendState");
    return new TailscaleStatus(
        stateOf(backendState, self),
        backendState,
        self,
        peers,
        suffix,
        tailnet == null ? null : str(tailnet, "Name"),
        str(root, "Version"));
  }

  /** {@code GET /localapi/v0/whois?addr=…} with status 200. */
  static WhoIs whois(String json) {
    JsonObject root = object(json);
    JsonObject node = obj(root, "Node");
    JsonObject user = obj(root, "UserProfile");
    if (node == null || user == null) {
      // apitype.WhoIsResponse: "In successful whois responses, Node and UserProfile are never nil."
      throw new JsonParseException("a whois answer without Node or UserProfile");
    }
    JsonObject hostinfo = obj(node, "Hostinfo");
    List<String> addresses = new ArrayList<>();
    for (String prefix : strings(node, "Addresses")) {
      int slash = prefix.indexOf('/');
      addresses.add(slash < 0 ? prefix : prefix.substring(0, slash));
    }
    Map<String, List<String>> caps = new LinkedHashMap<>();
    JsonObject capMap = obj(root, "CapMap");
    if (capMap != null) {
      for (Map.Entry<String, JsonElement> e : capMap.entrySet()) {
        List<String> values = new ArrayList<>();
        if (e.getValue().isJsonArray()) {
          e.getValue().getAsJsonArray().forEach(v -> values.add(v.toString()));
        } else if (!e.getValue().isJsonNull()) {
          throw new JsonParseException("CapMap " + e.getKey() + " is not a list");
        }
        caps.put(e.getKey(), values);
      }
    }
    return new WhoIs(
        str(node, "StableID"),
        str(node, "Name"),
        str(node, "ComputedName"),
        hostinfo == null ? null : str(hostinfo, "Hostname"),
        hostinfo == null ? null : str(hostinfo, "OS"),
        addresses,
        strings(node, "Tags"),
        str(user, "LoginName"),
        str(user, "DisplayName"),
        caps);
  }

  /**
   * RFC 0001's state for a {@code BackendState} ({@code ipn.State}: NoState, NeedsLogin,
   * NeedsMachineAuth, Stopped, Starting, Running).
   */
  static TailscaleState stateOf(String backendState, TailnetNode self) {
    if (backendState == null) {
      return TailscaleState.blocked("tailscaled answered without a BackendState");
    }
    return switch (backendState) {
      case "Running" -> TailscaleState.running(runningMessage(self));
      case "NeedsLogin" ->
          TailscaleState.needsConfig("tailscale is not logged in: run `tailscale up` to log in");
      case "NeedsMachineAuth" ->
          TailscaleState.needsConfig(
              "this machine waits for a tailnet admin to approve it in the admin console");
      case "Stopped" -> TailscaleState.needsConfig("tailscale is stopped: run `tailscale up`");
      case "Starting" -> TailscaleState.blocked("tailscale is starting and not connected yet");
      default -> TailscaleState.blocked("tailscaled reports backend state " + backendState);
    };
  }

  private static String runningMessage(TailnetNode self) {
    if (self == null) {
      return "tailscale is running";
    }
    String ip = self.ipv4().or(self::ipv6).orElse(null);
    return "tailscale is running as " + self.name() + (ip == null ? "" : " (" + ip + ")");
  }

  private static TailnetNode node(JsonObject p, List<String> ips, Map<String, String> logins) {
    JsonElement userId = p.get("UserID");
    String login = null;
    if (userId != null && !userId.isJsonNull()) {
      login = logins.get(userId.getAsJsonPrimitive().getAsString());
    }
    JsonElement online = p.get("Online");
    return new TailnetNode(
        str(p, "ID"),
        str(p, "PublicKey"),
        str(p, "HostName"),
        str(p, "DNSName"),
        ips,
        online != null && !online.isJsonNull() && online.getAsBoolean(),
        str(p, "OS"),
        time(p, "LastSeen"),
        login,
        strings(p, "Tags"),
        strings(p, "sshHostKeys"));
  }

  private static JsonObject object(String json) {
    JsonElement e = JsonParser.parseString(json);
    if (!e.isJsonObject()) {
      throw new JsonParseException("expected a JSON object");
    }
    return e.getAsJsonObject();
  }

  private static JsonObject obj(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonObject()) {
      throw new JsonParseException(field + " is not an object");
    }
    return e.getAsJsonObject();
  }

  private static String str(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonPrimitive()) {
      throw new JsonParseException(field + " is not a string");
    }
    String s = e.getAsString();
    return s.isEmpty() ? null : s;
  }

  private static List<String> strings(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return List.of();
    }
    if (!e.isJsonArray()) {
      throw new JsonParseException(field + " is not a list");
    }
    JsonArray a = e.getAsJsonArray();
    List<String> out = new ArrayList<>(a.size());
    for (JsonElement v : a) {
      if (!v.isJsonPrimitive()) {
        throw new JsonParseException(field + " holds a non-string");
      }
      out.add(v.getAsString());
    }
    return out;
  }

  /** A Go {@code time.Time} (RFC 3339, any offset); Go's zero time and absence are null. */
  private static Instant time(JsonObject o, String field) {
    String s = str(o, field);
    if (s == null) {
      return null;
    }
    try {
      Instant t = OffsetDateTime.parse(s).toInstant();
      return t.equals(GO_ZERO_TIME) ? null : t;
    } catch (DateTimeParseException e) {
      throw new JsonParseException(field + " is not a time: " + s, e);
    }
  }
}
