package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.client.NodeClient;
import dev.hack.node.mesh.Joins;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;

/**
 * Which node a command talks to, and how to connect to it: registered nodes from {@code
 * registry/nodes.json} (host keys checked against {@code keys/known_hosts}), and the node running
 * from this {@code HACK_HOME} (its own host key, trusted).
 */
final class Nodes {
  static final String LOCAL = "local";
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final HackHome home;
  private final NodeRegistry registry;
  private final KnownHosts knownHosts;

  Nodes(HackHome home) throws IOException {
    this.home = home;
    this.registry = NodeRegistry.open(home);
    this.knownHosts = new KnownHosts(home.knownHosts());
  }

  NodeRegistry registry() {
    return registry;
  }

  KnownHosts knownHosts() {
    return knownHosts;
  }

  /**
   * A node a command can reach.
   *
   * @param nodeKey log in with this home's node host key instead of the user's key: a node that
   *     joined this one lets this node in (through its tunnel), not necessarily the user
   */
  record Ref(String name, NodeClient.Target target, boolean local, boolean nodeKey) {
    Ref(String name, NodeClient.Target target, boolean local) {
      this(name, target, local, false);
    }
  }

  /**
   * The node called {@code name}, or the default one when {@code name} is null: the node chosen
   * with {@code hack node use}, else the local node.
   */
  Ref resolve(String name) throws IOException {
    if (name == null) {
      Optional<String> chosen = registry.defaultNode();
      if (chosen.isPresent()) {
        name = chosen.get();
      }
    }
    if (name == null || LOCAL.equals(name)) {
      return local()
          .orElseThrow(
              () ->
                  new IOException(
                      "no node is running from "
                          + home
                          + "; start one with: hack node serve (or name one with --node)"));
    }
    Optional<Ref> local = local();
    if (local.isPresent() && local.get().name().equals(name)) {
      return local.get();
    }
    String wanted = name;
    RegisteredNode n =
        registry
            .find(name)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "no node named " + wanted + "; see: hack node list"));
    if (n.ssh().isEmpty() && n.labels().contains(Joins.JOINED_LABEL)) {
      throw new IOException(n.name() + " is offline: it joined this node and its tunnel is down");
    }
    return new Ref(n.name(), targetOf(n), false, n.labels().contains(Joins.JOINED_LABEL));
  }

  /**
   * Every node a listing covers: the registered ones, and the local one if it is not among them.
   */
  List<Ref> all() throws IOException {
    List<Ref> out = new ArrayList<>();
    Optional<Ref> local = local();
    boolean localRegistered = false;
    for (RegisteredNode n : registry.list()) {
      if (n.ssh().isEmpty() && n.labels().contains(Joins.JOINED_LABEL)) {
        continue; // joined, tunnel down: nothing to dial (hack node list shows it offline)
      }
      NodeClient.Target t = targetOf(n);
      boolean isLocal =
          local.isPresent()
              && local.get().target().port() == t.port()
              && local.get().target().host().equals(t.host());
      localRegistered |= isLocal;
      out.add(new Ref(n.name(), t, isLocal, n.labels().contains(Joins.JOINED_LABEL)));
    }
    if (local.isPresent() && !localRegistered) {
      out.add(0, local.get());
    }
    return out;
  }

  /**
   * Nodes a listing covers but cannot dial, each with why: those that joined this node and whose
   * tunnel is down. A listing reports them offline rather than leaving them out unsaid.
   */
  List<String> undialable() throws IOException {
    List<String> out = new ArrayList<>();
    for (RegisteredNode n : registry.list()) {
      if (n.ssh().isEmpty() && n.labels().contains(Joins.JOINED_LABEL)) {
        out.add(n.name() + ": it joined this node and its tunnel is down");
      }
    }
    return out;
  }

  Optional<Ref> local() throws IOException {
    return LocalNode.target(home).map(t -> new Ref(t.name() == null ? LOCAL : t.name(), t, true));
  }

  static NodeClient.Target targetOf(RegisteredNode n) {
    RegisteredNode.SshEndpoint ssh =
        n.ssh()
            .orElseThrow(
                () -> new IllegalArgumentException("node " + n.name() + " has no ssh endpoint"));
    return new NodeClient.Target(n.name(), ssh.host(), ssh.port());
  }

  /** Connects with the user's key, checking the node's host key. */
  NodeClient connect(Ref ref) throws IOException {
    return connect(ref, CONNECT_TIMEOUT);
  }

  /** As {@link #connect(Ref)}, giving up after {@code timeout}. */
  NodeClient connect(Ref ref, Duration timeout) throws IOException {
    KeyPair identity = ref.nodeKey() ? KeyFiles.load(home.hostKey()) : LocalNode.userKey(home);
    return NodeClient.connect(ref.target(), identity, verifier(ref), timeout);
  }

  private ServerKeyVerifier verifier(Ref ref) {
    return (session, address, key) -> {
      if (LocalNode.isOwnHostKey(home, key)) {
        return true;
      }
      return verdict(knownHosts, ref.target().host(), ref.target().port(), key)
          == KnownHosts.Verdict.KNOWN;
    };
  }

  /** The known_hosts verdict, or CHANGED (refuse) when the file cannot be read. */
  static KnownHosts.Verdict verdict(KnownHosts known, String host, int port, PublicKey key) {
    try {
      return known.check(host, port, key);
    } catch (IOException e) {
      return KnownHosts.Verdict.CHANGED;
    }
  }
}
