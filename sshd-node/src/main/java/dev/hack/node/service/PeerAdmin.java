package dev.hack.node.service;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.mesh.HubLinks;
import dev.hack.node.mesh.Joins;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.Peers;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/**
 * Changing who this node knows and lets in: peers ({@code peer add|rm}), hubs ({@code hub add|rm})
 * and nodes that join through a tunnel ({@code peer join}). Each writes the registry, {@code
 * known_hosts} and {@code authorized_keys} together, so the three never disagree. What a door does
 * with connections already open (ending those of a revoked key) is the door's.
 */
public final class PeerAdmin {
  /** The comment on the authorized_keys line that lets a peer's node in. */
  public static final String PEER_COMMENT = "hack-peer:";

  /** The comment on the authorized_keys line that lets a hub's node in. */
  public static final String HUB_COMMENT = "hack-hub:";

  private final NodeContext node;

  public PeerAdmin(NodeContext node) {
    this.node = node;
  }

  /** A peer registered: where it is and the host key it must show. */
  public record Added(RegisteredNode.SshEndpoint at, PublicKey hostKey) {}

  /**
   * {@code peer add}: registers (or moves) a peer, remembers its host key, and with {@code
   * authorize} lets its node log in here.
   *
   * @param hostKey the peer's host key, as {@code ssh-ed25519 AAAA...}
   * @param id the peer's node id, or null
   */
  public Added addPeer(String name, String url, String hostKey, String id, boolean authorize)
      throws IOException {
    PublicKey key = parseKey(hostKey);
    RegisteredNode.SshEndpoint at = RegisteredNode.SshEndpoint.parse(url);
    if (id != null && id.equals(node.status().id())) {
      throw new IllegalArgumentException("that is this node itself: a node is not its own peer");
    }
    NodeRegistry registry = NodeRegistry.open(node.home());
    RegisteredNode n =
        registry
            .find(name)
            .map(old -> old.withEndpoint(RegisteredNode.SSH, at.toString()))
            .orElse(RegisteredNode.of(name, at));
    if (id != null) {
      n = n.withId(id);
    }
    n = labelled(n, Peers.PEER_LABEL);
    registry.put(n);
    if (node.peers() != null) {
      node.peers().exchange().readmitted(id); // paired again explicitly: learnable again
    }
    new KnownHosts(node.home().knownHosts()).remember(at.host(), at.port(), key);
    if (authorize) {
      authorizedKeys().authorize(KeyFiles.openSshLine(key) + " " + PEER_COMMENT + name);
    }
    return new Added(at, key);
  }

  /**
   * {@code peer rm}: forgets a peer, keeps the other peers from bringing it back, and revokes every
   * key it could log in with (the one it was paired with, and its host key); returns those keys.
   *
   * @throws NoSuchElementException if no such peer is registered
   */
  public List<PublicKey> removePeer(String name) throws IOException {
    NodeRegistry registry = NodeRegistry.open(node.home());
    RegisteredNode n =
        registry.find(name).orElseThrow(() -> new NoSuchElementException("no peer named " + name));
    registry.remove(name);
    // a joined node: its key was let in under its name, and its tunnel may be up right now
    List<PublicKey> revoked = new ArrayList<>(revokeComment(PEER_COMMENT + name));
    if (node.peers() != null) {
      node.peers().exchange().removed(n.id(), n.name()); // other peers will not bring it back
      node.peers().dropTunnel(name);
    }
    Optional<RegisteredNode.SshEndpoint> at = n.ssh();
    if (at.isPresent()) {
      Optional<PublicKey> key =
          new KnownHosts(node.home().knownHosts()).lookup(at.get().host(), at.get().port());
      if (key.isPresent() && authorizedKeys().revoke(key.get()) > 0) {
        revoked.add(key.get());
      }
    }
    return revoked;
  }

  /** {@code peer whoami}: what another node needs to pair with this one. */
  public Map<String, Object> whoami() throws IOException {
    dev.hack.node.api.NodeStatus st = node.status();
    KeyPair hostKey = KeyFiles.loadOrCreate(node.home().hostKey(), "hack host key");
    Map<String, Object> me = new LinkedHashMap<>();
    me.put("id", st.id());
    me.put("name", st.name());
    me.put("host_key", KeyFiles.openSshLine(hostKey.getPublic()));
    me.put("ssh", st.ssh());
    me.put("tailscale", st.tailscale());
    return me;
  }

  /**
   * {@code peer join NAME --host-key KEY}, on the hub: lets a node behind NAT in, to join through
   * its own tunnel.
   */
  public void admitJoin(String name, String hostKey, String id) throws IOException {
    requireOther(id);
    if (hostKey == null) {
      throw new IllegalArgumentException("say which node may join: --host-key KEY");
    }
    new Joins(node.home()).admit(name, parseKey(hostKey), id);
  }

  /**
   * {@code hub add}: joins the hub at {@code url}: registers it, remembers its host key, lets its
   * node in, and connects now.
   */
  public RegisteredNode.SshEndpoint addHub(String name, String url, String hostKey, String id)
      throws IOException {
    PublicKey key = parseKey(hostKey);
    RegisteredNode.SshEndpoint at = RegisteredNode.SshEndpoint.parse(url);
    requireOther(id);
    KnownHosts known = new KnownHosts(node.home().knownHosts());
    if (known.check(at.host(), at.port(), key) == KnownHosts.Verdict.CHANGED) {
      throw new IllegalArgumentException(
          "the host key on file for "
              + at
              + " is a different one; if the hub was reinstalled, remove it first (hub rm "
              + name
              + ")");
    }
    NodeRegistry registry = NodeRegistry.open(node.home());
    RegisteredNode n =
        registry
            .find(name)
            .filter(x -> x.name().equals(name))
            .map(old -> old.withEndpoint(RegisteredNode.SSH, at.toString()))
            .orElse(RegisteredNode.of(name, at));
    if (id != null) {
      n = n.withId(id);
    }
    n = labelled(n, HubLinks.HUB_LABEL);
    known.remember(at.host(), at.port(), key);
    authorizedKeys().authorize(KeyFiles.openSshLine(key) + " " + HUB_COMMENT + name);
    registry.put(n);
    if (node.hubs() != null) {
      node.hubs().reconcile(); // connect now, not at the next look at the registry
    }
    return at;
  }

  /**
   * {@code hub rm}: leaves a hub: the tunnel closes and its node may no longer log in here; the
   * node stays registered if it was more than a hub. Returns how many keys were revoked.
   *
   * @throws NoSuchElementException if no such hub was joined
   */
  public int removeHub(String name) throws IOException {
    NodeRegistry registry = NodeRegistry.open(node.home());
    RegisteredNode n =
        registry
            .find(name)
            .filter(x -> x.name().equals(name) && x.labels().contains(HubLinks.HUB_LABEL))
            .orElseThrow(() -> new NoSuchElementException("no hub named " + name));
    List<String> labels = new ArrayList<>(n.labels());
    labels.remove(HubLinks.HUB_LABEL);
    registry.put(n.withLabels(labels)); // still the user's node, if they added it
    int revoked = revokeComment(HUB_COMMENT + name).size();
    if (node.hubs() != null) {
      node.hubs().reconcile(); // the tunnel closes before this returns
    }
    return revoked;
  }

  /** Revokes every key authorized with exactly this comment; returns the keys revoked. */
  private List<PublicKey> revokeComment(String comment) throws IOException {
    AuthorizedKeys keys = authorizedKeys();
    List<PublicKey> out = new ArrayList<>();
    for (AuthorizedKeys.Entry e : List.copyOf(keys.entries())) {
      if (Objects.equals(e.comment(), comment) && keys.revoke(e.key()) > 0) {
        out.add(e.key());
      }
    }
    return out;
  }

  private AuthorizedKeys authorizedKeys() throws IOException {
    return new AuthorizedKeys(node.home().authorizedKeys(), w -> {});
  }

  /** Refuses {@code id} when it is this node's own: a node cannot join itself. */
  public void requireOther(String id) {
    if (id != null && id.equals(node.status().id())) {
      throw new IllegalArgumentException("that is this node itself: a node cannot join itself");
    }
  }

  private static RegisteredNode labelled(RegisteredNode n, String label) {
    if (n.labels().contains(label)) {
      return n;
    }
    List<String> labels = new ArrayList<>(n.labels());
    labels.add(label);
    return n.withLabels(labels);
  }

  private static PublicKey parseKey(String line) {
    try {
      return KeyFiles.parseOpenSshLine(line);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--host-key: " + e.getMessage(), e);
    }
  }
}
