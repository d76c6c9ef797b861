package dev.hack.node.mesh.tailscale;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tailnet identity behind an address, from {@code /localapi/v0/whois}: which node, whose, with
 * which tags and peer capabilities. Immutable.
 *
 * <p>Read from Tailscale's {@code apitype.WhoIsResponse} (tailscale/tailscale {@code
 * client/tailscale/apitype/apitype.go}: {@code Node} is a {@code tailcfg.Node}, {@code UserProfile}
 * a {@code tailcfg.UserProfile}, {@code CapMap} a {@code tailcfg.PeerCapMap}).
 *
 * @param nodeId the node's stable id ({@code Node.StableID}), or null
 * @param nodeName the node's MagicDNS name without the trailing dot ({@code Node.Name}), or null
 * @param computedName Tailscale's display name for the node ({@code Node.ComputedName}), or null
 * @param hostName the machine's own host name ({@code Node.Hostinfo.Hostname}), or null
 * @param os the node's operating system ({@code Node.Hostinfo.OS}), or null
 * @param addresses the node's tailnet addresses without prefix lengths ({@code Node.Addresses})
 * @param tags the node's ACL tags ({@code Node.Tags}); a tagged node's user is not a person
 * @param loginName the owner's login ({@code UserProfile.LoginName}: {@code alice@example.com}, or
 *     {@code tagged-devices} for tagged nodes), or null
 * @param displayName the owner's display name ({@code UserProfile.DisplayName}), or null
 * @param capMap the capabilities the tailnet policy grants this peer towards this machine ({@code
 *     CapMap}): capability name to its values, each value a compact JSON text; a capability with no
 *     values maps to an empty list
 */
public record WhoIs(
    String nodeId,
    String nodeName,
    String computedName,
    String hostName,
    String os,
    List<String> addresses,
    List<String> tags,
    String loginName,
    String displayName,
    Map<String, List<String>> capMap) {

  public WhoIs {
    nodeId = TailnetNode.blankToNull(nodeId);
    nodeName = TailnetNode.withoutTrailingDot(nodeName);
    computedName = TailnetNode.blankToNull(computedName);
    hostName = TailnetNode.blankToNull(hostName);
    os = TailnetNode.blankToNull(os);
    loginName = TailnetNode.blankToNull(loginName);
    displayName = TailnetNode.blankToNull(displayName);
    addresses = addresses == null ? List.of() : List.copyOf(addresses);
    tags = tags == null ? List.of() : List.copyOf(tags);
    Map<String, List<String>> caps = new LinkedHashMap<>();
    if (capMap != null) {
      capMap.forEach((k, v) -> caps.put(k, v == null ? List.of() : List.copyOf(v)));
    }
    capMap = Collections.unmodifiableMap(caps);
  }

  /** Whether the node carries ACL tags: then it acts as its tags, not as {@link #loginName}. */
  public boolean tagged() {
    return !tags.isEmpty();
  }

  /** Whether the tailnet policy grants this peer {@code capability} (with or without values). */
  public boolean hasCapability(String capability) {
    return capMap.containsKey(capability);
  }

  /** {@link #capMap} as one JSON object, as tailscaled sent it ({@code {}} when empty). */
  public String capMapJson() {
    JsonObject o = new JsonObject();
    capMap.forEach(
        (k, values) -> {
          JsonArray a = new JsonArray();
          values.forEach(v -> a.add(JsonParser.parseString(v)));
          o.add(k, a);
        });
    return o.toString();
  }
}
