package dev.hack.node.ssh;

import dev.hack.node.api.Json;
import dev.hack.node.mesh.HubLinks;
import dev.hack.node.mesh.Joins;
import dev.hack.node.mesh.RegisteredNode;
import dev.hack.node.service.PeerAdmin;
import dev.hack.node.text.Tables;
import java.io.IOException;
import java.security.PublicKey;
import java.util.List;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.server.session.ServerSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The mesh's SSH commands beyond pairing: {@code peer join} on a hub and {@code hub add|list|rm} on
 * the node that joins it ({@code hack node join}), and {@code peer exchange} (what peers learn from
 * each other). Each is a {@link Verb}; what they change is {@link PeerAdmin}'s and {@link Joins}'s.
 * What is SSH's own stays here: the key a connection logged in with, the ports its tunnels bound,
 * and ending the connections of a key that was revoked.
 */
final class MeshCommands {
  /** The public key a session logged in with (set by the server's public key authenticator). */
  static final AttributeRepository.AttributeKey<PublicKey> AUTH_KEY =
      new AttributeRepository.AttributeKey<>();

  private MeshCommands() {}

  @Command(
      name = "join",
      description =
          "Let a node behind NAT join this node through its own tunnel (--host-key), or, from that"
              + " node, say where its tunnel ends (--port).")
  static final class PeerJoin implements Verb {
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

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      String said = port == null ? admit(call) : tunnel(call);
      call.audit.ok("peer_join", "peer join " + name, port == null ? "admitted" : "tunnel up");
      call.finish(0, said, "");
    }

    /** On the hub: lets the node in, to join through its own tunnel. */
    private String admit(SshCall call) throws IOException {
      new PeerAdmin(call.node).admitJoin(name, hostKey, id);
      return name + " may join this node; it shows up as a peer once its tunnel is up\n";
    }

    /** From the joining node, over its tunnel's connection: where that tunnel ends here. */
    private String tunnel(SshCall call) throws IOException {
      new PeerAdmin(call.node).requireOther(id);
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("--port " + port + " is not a port");
      }
      ServerSession session = call.session();
      PublicKey key = session.getAttribute(AUTH_KEY);
      if (key == null) {
        throw new IllegalStateException(
            "only a node logged in with its own key can say where it is");
      }
      if (!tunnelEndsAt(session, port)) { // the port must be this very connection's tunnel
        throw new IllegalArgumentException(
            "no tunnel of this connection ends at port " + port + " here");
      }
      Runnable closed = new Joins(call.node.home()).attach(name, key, port, id, version);
      session.addCloseFutureListener(f -> closed.run());
      call.node.peers().tunnelUp(name, () -> session.close(true));
      return "joined as " + name + " through port " + port + "\n";
    }
  }

  @Command(
      name = "exchange",
      description = "This node's peers with their host keys (JSON), for its peers to learn from.")
  static final class PeerExchangeCmd implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      call.finish(0, Json.GSON.toJson(call.node.peers().exchange().offers()) + "\n", "");
    }
  }

  @Command(
      name = "hub",
      description = "The hubs this node has joined: it keeps a tunnel to each.",
      subcommands = {HubAdd.class, HubList.class, HubRm.class})
  static final class HubCmd implements Verb.Group {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  @Command(
      name = "add",
      description = "Join the hub at URL: keep a tunnel to it, and let the hub's node in here.")
  static final class HubAdd implements Verb {
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

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      RegisteredNode.SshEndpoint at = new PeerAdmin(call.node).addHub(name, url, hostKey, id);
      call.audit.ok("hub_add", call.auditAction(), null);
      call.finish(
          0,
          "joining hub "
              + name
              + " at "
              + at
              + "; this node keeps a tunnel to it and lets its node in\n",
          "");
    }
  }

  @Command(name = "list", description = "The hubs and the state of the tunnel to each.")
  static final class HubList implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) {
      List<HubLinks.LinkStatus> links =
          call.node.hubs() == null ? List.of() : call.node.hubs().status();
      call.finish(0, json ? Json.GSON.toJson(links) + "\n" : Tables.hubs(links), "");
    }
  }

  @Command(name = "rm", description = "Leave a hub: close the tunnel and stop letting it in.")
  static final class HubRm implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      int revoked = new PeerAdmin(call.node).removeHub(name);
      call.audit.ok("hub_rm", call.auditAction(), null);
      call.finish(
          0,
          "left hub "
              + name
              + "; the tunnel closes within seconds"
              + (revoked > 0 ? " and its node may no longer log in here" : "")
              + "\n",
          "");
    }
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
}
