package dev.hack.node.mesh;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import java.io.IOException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's side of {@code hack node join}: nodes behind NAT that keep an SSH connection to this
 * node with a remote port forward of their own SSH port. Each is a peer (labels {@code peer} and
 * {@code joined}) whose address is {@code ssh://127.0.0.1:PORT}, the hub's end of its tunnel, while
 * the tunnel is up, and no address while it is down: it is listed offline, not forgotten.
 *
 * <p>Two steps, two different callers. {@link #admit} is the user's explicit consent (run with the
 * user's key by {@code hack node join}): it registers the name and lets that node's host key in,
 * with the comment {@code hack-peer:NAME}. {@link #attach} is the joined node itself, logged in
 * with that very key, saying where its tunnel ends; a key admitted under another name cannot claim
 * this one, so a node cannot take over another's entry or re-add itself after {@code peer rm}.
 *
 * <p>Thread-safe as far as the registry and key files are (each change is one locked write).
 */
public final class Joins {
  private static final Logger LOG = LoggerFactory.getLogger(Joins.class);

  /** The label of a peer that reaches this node through a tunnel it opened. */
  public static final String JOINED_LABEL = "joined";

  /** The host every tunnel ends on here: forwards listen on loopback only. */
  public static final String TUNNEL_HOST = "127.0.0.1";

  private final HackHome home;
  private final NodeRegistry registry;

  public Joins(HackHome home) {
    this.home = home;
    this.registry = NodeRegistry.open(home);
  }

  /**
   * Lets the node {@code name} with host key {@code key} join: registers it (offline until its
   * tunnel comes up) and authorizes its key. Joining again with the same key is a no-op.
   *
   * @throws IllegalArgumentException if another node is registered under {@code name}
   */
  public void admit(String name, PublicKey key, String id) throws IOException {
    Optional<RegisteredNode> existing = registry.find(name).filter(n -> n.name().equals(name));
    if (existing.isPresent()) {
      RegisteredNode n = existing.get();
      if (!n.labels().contains(JOINED_LABEL)) {
        throw new IllegalArgumentException(
            "a node named "
                + name
                + " is already registered here and it did not join: remove it first (peer rm "
                + name
                + ") or join under another name");
      }
      Optional<PublicKey> admitted = admittedKey(name);
      if (admitted.isPresent() && !KeyUtils.compareKeys(admitted.get(), key)) {
        throw new IllegalArgumentException(
            name
                + " already joined with another host key ("
                + KeyFiles.fingerprint(admitted.get())
                + "): if that machine is gone, remove it first with: peer rm "
                + name);
      }
    }
    RegisteredNode n =
        existing.orElseGet(
            () ->
                new RegisteredNode(
                    null,
                    name,
                    List.of(Peers.PEER_LABEL, JOINED_LABEL),
                    List.of(),
                    null,
                    java.util.Map.of(),
                    null,
                    "offline",
                    null));
    if (id != null) {
      n = n.withId(id);
    }
    n = withLabels(n);
    registry.put(n);
    new AuthorizedKeys(home.authorizedKeys(), w -> {})
        .authorize(KeyFiles.openSshLine(key) + " hack-peer:" + name);
  }

  /**
   * Records that the joined node {@code name}, logged in with {@code key}, has its tunnel ending at
   * {@code 127.0.0.1:port} here. Another joined node's stale entry for the same port is cleared.
   *
   * @return what to run when that connection closes: the address goes away and the node is shown
   *     offline (unless it has come back through another connection meanwhile)
   * @throws IllegalStateException if {@code key} was not admitted as {@code name}
   */
  public Runnable attach(String name, PublicKey key, int port, String id, String version)
      throws IOException {
    Optional<PublicKey> admitted = admittedKey(name);
    RegisteredNode n = registry.find(name).filter(x -> x.name().equals(name)).orElse(null);
    if (n == null
        || !n.labels().contains(JOINED_LABEL)
        || admitted.isEmpty()
        || !KeyUtils.compareKeys(admitted.get(), key)) {
      throw new IllegalStateException(
          "this node's key has not joined here as "
              + name
              + "; on its machine run: hack node join <this hub>");
    }
    RegisteredNode.SshEndpoint at = new RegisteredNode.SshEndpoint(TUNNEL_HOST, port);
    for (RegisteredNode other : registry.list()) {
      if (!other.name().equals(name)
          && other.labels().contains(JOINED_LABEL)
          && other.ssh().filter(at::equals).isPresent()) {
        registry.put(
            other
                .withEndpoint(RegisteredNode.SSH, null)
                .withStatus("offline", other.lastSeen(), other.version()));
      }
    }
    KnownHosts known = new KnownHosts(home.knownHosts());
    known.forget(TUNNEL_HOST, port);
    known.remember(TUNNEL_HOST, port, key);
    RegisteredNode updated =
        withLabels(n.withEndpoint(RegisteredNode.SSH, at.toString()))
            .withStatus("online", Instant.now(), version);
    if (id != null) {
      updated = updated.withId(id);
    }
    registry.put(updated);
    LOG.info("{} joined through its tunnel at {}", name, at);
    return () -> detach(name, at);
  }

  private void detach(String name, RegisteredNode.SshEndpoint at) {
    try {
      Optional<RegisteredNode> n = registry.find(name).filter(x -> x.name().equals(name));
      if (n.isPresent() && n.get().ssh().filter(at::equals).isPresent()) {
        registry.put(
            n.get()
                .withEndpoint(RegisteredNode.SSH, null)
                .withStatus("offline", n.get().lastSeen(), n.get().version()));
        LOG.info("{}'s tunnel closed; it is offline until it connects again", name);
      }
      new KnownHosts(home.knownHosts()).forget(at.host(), at.port());
    } catch (IOException | RuntimeException e) {
      LOG.warn("recording that {}'s tunnel closed: {}", name, e.toString());
    }
  }

  /**
   * Forgets every joined node's tunnel address: run when this node starts, because a tunnel does
   * not outlive the process that held its listening port (and another node may get that port).
   */
  public void forgetTunnels() throws IOException {
    KnownHosts known = new KnownHosts(home.knownHosts());
    for (RegisteredNode n : registry.list()) {
      if (n.labels().contains(JOINED_LABEL) && n.ssh().isPresent()) {
        RegisteredNode.SshEndpoint at = n.ssh().get();
        registry.put(
            n.withEndpoint(RegisteredNode.SSH, null)
                .withStatus("offline", n.lastSeen(), n.version()));
        if (at.host().equals(TUNNEL_HOST)) {
          known.forget(at.host(), at.port());
        }
      }
    }
  }

  /** The key admitted as {@code name}: the one authorized with the comment hack-peer:NAME. */
  private Optional<PublicKey> admittedKey(String name) {
    String comment = "hack-peer:" + name;
    for (AuthorizedKeys.Entry e : new AuthorizedKeys(home.authorizedKeys(), w -> {}).entries()) {
      if (Objects.equals(e.comment(), comment)) {
        return Optional.of(e.key());
      }
    }
    return Optional.empty();
  }

  private static RegisteredNode withLabels(RegisteredNode n) {
    List<String> labels = new ArrayList<>(n.labels());
    for (String l : List.of(Peers.PEER_LABEL, JOINED_LABEL)) {
      if (!labels.contains(l)) {
        labels.add(l);
      }
    }
    return n.withLabels(labels);
  }
}
