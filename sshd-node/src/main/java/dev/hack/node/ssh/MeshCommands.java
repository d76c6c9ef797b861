package dev.hack.node.ssh;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.api.Json;
import dev.hack.node.mesh.HubLinks;
import dev.hack.node.mesh.Joins;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.server.session.ServerSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The mesh's SSH commands beyond pairing: {@code peer join} on a hub and {@code hub add|list|rm} on
 * the node that joins it ({@code hack node join}), and {@code peer exchange} (what peers learn from
 * each other). They hold parsed arguments and carry them out through {@link Joins}, {@link
 * dev.hack.node.mesh.PeerExchange} and the registry; {@link ChannelCommand} dispatches to them.
 */
final class MeshCommands {
  /** The public key a session logged in with (set by the server's public key authenticator). */
  static final AttributeRepository.AttributeKey<PublicKey> AUTH_KEY =
      new AttributeRepository.AttributeKey<>();

  /** The hub's own label comment on the authorized_keys line that lets it in here. */
  private static final String HUB_COMMENT = "hack-hub:";

  /** What a command printed and how it ended. */
  record Outcome(int code, String out, String err) {}

  private MeshCommands() {}

  @Command(
      name = "join",
      description =
          "Let a node behind NAT join this node through its own tunnel (--host-key), or, from that"
              + " node, say where its tunnel ends (--port).")
  static final class PeerJoin {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(
        names = "--host-key",
        paramLabel = "KEY",
        description = "the joining node's host key, as 'ssh-ed25519 AAAA...': lets it in")
    String hostKey;

    @Option(names = "--id", paramLabel = "ID", description = "the joining node's id")
    String id;

    @Option(
        names = "--port",
        paramLabel = "PORT",
        description = "the port on this node's loopback where the caller's tunnel ends")
    Integer port;

    @Option(names = "--version", paramLabel = "V", description = "the joining node's version")
    String version;
  }

  @Command(
      name = "exchange",
      description = "This node's peers with their host keys (JSON), for its peers to learn from.")
  static final class PeerExchangeCmd {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  /** {@code peer exchange}. */
  static Outcome peerExchange(NodeInfo node) throws IOException {
    return new Outcome(0, Json.GSON.toJson(node.peers().exchange().offers()) + "\n", "");
  }

  @Command(
      name = "hub",
      description = "The hubs this node has joined: it keeps a tunnel to each.",
      subcommands = {HubAdd.class, HubList.class, HubRm.class})
  static final class HubCmd {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  @Command(
      name = "add",
      description = "Join the hub at URL: keep a tunnel to it, and let the hub's node in here.")
  static final class HubAdd {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "ssh://HOST[:PORT]")
    String url;

    @Option(
        names = "--host-key",
        required = true,
        paramLabel = "KEY",
        description = "the hub's host key, as 'ssh-ed25519 AAAA...'")
    String hostKey;

    @Option(names = "--id", paramLabel = "ID", description = "the hub's node id")
    String id;
  }

  @Command(name = "list", description = "The hubs and the state of the tunnel to each.")
  static final class HubList {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;
  }

  @Command(name = "rm", description = "Leave a hub: close the tunnel and stop letting it in.")
  static final class HubRm {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;
  }

  /** {@code peer join}, on the hub. */
  static Outcome peerJoin(PeerJoin j, NodeInfo node, ServerSession session) throws IOException {
    Joins joins = new Joins(node.home());
    if (j.id != null && j.id.equals(node.status().id())) {
      throw new IllegalArgumentException("that is this node itself: a node cannot join itself");
    }
    if (j.port == null) {
      if (j.hostKey == null) {
        throw new IllegalArgumentException("say which node may join: --host-key KEY");
      }
      joins.admit(j.name, KeyFiles.parseOpenSshLine(j.hostKey), j.id);
      return new Outcome(
          0, j.name + " may join this node; it shows up as a peer once its tunnel is up\n", "");
    }
    if (j.port < 1 || j.port > 65535) {
      throw new IllegalArgumentException("--port " + j.port + " is not a port");
    }
    PublicKey key = session.getAttribute(AUTH_KEY);
    if (key == null) {
      throw new IllegalStateException("only a node logged in with its own key can say where it is");
    }
    if (!tunnelEndsAt(session, j.port)) { // the port must be this very connection's tunnel
      throw new IllegalArgumentException(
          "no tunnel of this connection ends at port " + j.port + " here");
    }
    Runnable closed = joins.attach(j.name, key, j.port, j.id, j.version);
    session.addCloseFutureListener(f -> closed.run());
    node.peers().tunnelUp(j.name, () -> session.close(true));
    return new Outcome(0, "joined as " + j.name + " through port " + j.port + "\n", "");
  }

  /** Whether {@code session} holds a remote forward listening on {@code port} here. */
  private static boolean tunnelEndsAt(ServerSession session, int port) {
    java.util.Set<Integer> ports = session.getAttribute(TUNNEL_PORTS);
    return ports != null && ports.contains(port);
  }

  /** The ports on which a session's remote forwards listen here. */
  private static final AttributeRepository.AttributeKey<java.util.Set<Integer>> TUNNEL_PORTS =
      new AttributeRepository.AttributeKey<>();

  /**
   * Keeps {@link #TUNNEL_PORTS} of every session up to date: MINA's forwarder does not say which
   * ports a server session's {@code tcpip-forward} requests bound, its events do.
   */
  static final org.apache.sshd.common.forward.PortForwardingEventListener TUNNELS =
      new org.apache.sshd.common.forward.PortForwardingEventListener() {
        @Override
        public void establishedExplicitTunnel(
            org.apache.sshd.common.session.Session session,
            org.apache.sshd.common.util.net.SshdSocketAddress local,
            org.apache.sshd.common.util.net.SshdSocketAddress remote,
            boolean localForwarding,
            org.apache.sshd.common.util.net.SshdSocketAddress boundAddress,
            Throwable reason) {
          if (reason == null && boundAddress != null) {
            session
                .computeAttributeIfAbsent(
                    TUNNEL_PORTS, k -> java.util.concurrent.ConcurrentHashMap.newKeySet())
                .add(boundAddress.getPort());
          }
        }

        @Override
        public void tornDownExplicitTunnel(
            org.apache.sshd.common.session.Session session,
            org.apache.sshd.common.util.net.SshdSocketAddress address,
            boolean localForwarding,
            org.apache.sshd.common.util.net.SshdSocketAddress remoteAddress,
            Throwable reason) {
          java.util.Set<Integer> ports = session.getAttribute(TUNNEL_PORTS);
          if (ports != null && address != null) {
            ports.remove(address.getPort());
          }
        }
      };

  /** {@code hub add|list|rm}, on the node that joins. */
  static Outcome hub(Object cmd, NodeInfo node) throws IOException {
    NodeRegistry registry = NodeRegistry.open(node.home());
    if (cmd instanceof HubAdd a) {
      PublicKey key = KeyFiles.parseOpenSshLine(a.hostKey);
      RegisteredNode.SshEndpoint at = RegisteredNode.SshEndpoint.parse(a.url);
      if (a.id != null && a.id.equals(node.status().id())) {
        throw new IllegalArgumentException("that is this node itself: a node cannot join itself");
      }
      KnownHosts known = new KnownHosts(node.home().knownHosts());
      if (known.check(at.host(), at.port(), key) == KnownHosts.Verdict.CHANGED) {
        throw new IllegalArgumentException(
            "the host key on file for "
                + at
                + " is a different one; if the hub was reinstalled, remove it first (hub rm "
                + a.name
                + ")");
      }
      RegisteredNode n =
          registry
              .find(a.name)
              .filter(x -> x.name().equals(a.name))
              .map(old -> old.withEndpoint(RegisteredNode.SSH, at.toString()))
              .orElse(RegisteredNode.of(a.name, at));
      if (a.id != null) {
        n = n.withId(a.id);
      }
      if (!n.labels().contains(HubLinks.HUB_LABEL)) {
        List<String> labels = new ArrayList<>(n.labels());
        labels.add(HubLinks.HUB_LABEL);
        n = n.withLabels(labels);
      }
      known.remember(at.host(), at.port(), key);
      new AuthorizedKeys(node.home().authorizedKeys(), w -> {})
          .authorize(KeyFiles.openSshLine(key) + " " + HUB_COMMENT + a.name);
      registry.put(n);
      if (node.hubs() != null) {
        node.hubs().reconcile(); // connect now, not at the next look at the registry
      }
      return new Outcome(
          0,
          "joining hub "
              + a.name
              + " at "
              + at
              + "; this node keeps a tunnel to it and lets its node in\n",
          "");
    }
    if (cmd instanceof HubList l) {
      List<HubLinks.LinkStatus> links = node.hubs() == null ? List.of() : node.hubs().status();
      if (l.json) {
        return new Outcome(0, Json.GSON.toJson(links) + "\n", "");
      }
      if (links.isEmpty()) {
        return new Outcome(
            0, "no hubs; from a machine behind NAT, join one with: hack node join HUB\n", "");
      }
      StringBuilder sb = new StringBuilder();
      String fmt = "%-16s %-26s %-10s %-8s %s%n";
      sb.append(String.format(fmt, "HUB", "ADDRESS", "STATE", "SINCE", "ERROR"));
      Instant now = Instant.now();
      for (HubLinks.LinkStatus s : links) {
        sb.append(
            String.format(
                fmt,
                s.hub(),
                s.address(),
                s.state(),
                age(Duration.between(s.since(), now)),
                s.error() == null ? "" : s.error()));
      }
      return new Outcome(0, sb.toString(), "");
    }
    if (cmd instanceof HubRm r) {
      RegisteredNode n =
          registry
              .find(r.name)
              .filter(x -> x.name().equals(r.name) && x.labels().contains(HubLinks.HUB_LABEL))
              .orElseThrow(() -> new NoSuchElementException("no hub named " + r.name));
      List<String> labels = new ArrayList<>(n.labels());
      labels.remove(HubLinks.HUB_LABEL);
      registry.put(n.withLabels(labels)); // still the user's node, if they added it
      int revoked = revokeComment(node, HUB_COMMENT + r.name).size();
      if (node.hubs() != null) {
        node.hubs().reconcile(); // the tunnel closes before this command returns
      }
      return new Outcome(
          0,
          "left hub "
              + r.name
              + "; the tunnel closes within seconds"
              + (revoked > 0 ? " and its node may no longer log in here" : "")
              + "\n",
          "");
    }
    throw new IllegalStateException("unknown hub command " + cmd);
  }

  /** Revokes every key authorized with exactly this comment; returns the keys revoked. */
  static List<PublicKey> revokeComment(NodeInfo node, String comment) throws IOException {
    AuthorizedKeys keys = new AuthorizedKeys(node.home().authorizedKeys(), w -> {});
    List<PublicKey> out = new ArrayList<>();
    for (AuthorizedKeys.Entry e : List.copyOf(keys.entries())) {
      if (Objects.equals(e.comment(), comment) && keys.revoke(e.key()) > 0) {
        out.add(e.key());
      }
    }
    return out;
  }

  /**
   * Ends the connections that logged in with {@code key}: a revoked key must not keep the sessions
   * it already has (a peer keeps one connection open for its checks).
   */
  static int disconnect(ServerSession any, PublicKey key) {
    if (!(any.getFactoryManager() instanceof org.apache.sshd.server.SshServer server)) {
      return 0;
    }
    int n = 0;
    for (org.apache.sshd.common.session.helpers.AbstractSession s : server.getActiveSessions()) {
      PublicKey k = s.getAttribute(AUTH_KEY);
      if (k != null && org.apache.sshd.common.config.keys.KeyUtils.compareKeys(k, key)) {
        s.close(true);
        n++;
      }
    }
    return n;
  }

  private static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    return s < 60 ? s + "s" : s < 3600 ? s / 60 + "m" : s / 3600 + "h";
  }
}
