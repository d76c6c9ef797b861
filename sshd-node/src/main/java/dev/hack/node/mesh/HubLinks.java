package dev.hack.node.mesh;

import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of {@code hack node join}: for every hub in the registry (label {@link
 * #HUB_LABEL}) one outbound SSH connection, logged in with the node's host key, carrying a remote
 * port forward from the hub's loopback to this node's SSH port. Over it the node tells the hub
 * where its tunnel ends ({@code peer join NAME --port P}); the hub then reaches this node, though
 * nothing can connect to it from outside. A link that drops (the hub restarts, the network goes) is
 * opened again with exponential backoff and jitter; a hub that is removed from the registry is let
 * go within a second or two.
 *
 * <p>Thread-safe. One thread per hub ({@code hub-link-NAME}), one reconcile timer, one SSH client
 * shared by every link, whose forwarding filter only lets the hub reach this node's SSH port.
 */
public final class HubLinks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HubLinks.class);

  /** The registry label of a hub this node has joined. */
  public static final String HUB_LABEL = "hub";

  /** Who this node is, as it registers with a hub. */
  public record Self(String name, String id, String version) {}

  /**
   * How the links behave.
   *
   * @param timeout the bound on connecting and on the registration command
   * @param minBackoff the first retry's delay after a link drops; doubled per failure, with jitter
   * @param maxBackoff the longest delay between attempts
   * @param reconcile how often the registry is read for hubs added or removed
   */
  public record Options(
      Duration timeout, Duration minBackoff, Duration maxBackoff, Duration reconcile) {
    public static Options defaults() {
      return new Options(
          Duration.ofSeconds(10),
          Duration.ofMillis(250),
          Duration.ofSeconds(15),
          Duration.ofSeconds(2));
    }
  }

  /**
   * One link as {@code status --json} shows it.
   *
   * @param state {@code connecting}, {@code connected} or {@code retrying}
   * @param since when it entered that state
   * @param tunnelPort the hub's end of the tunnel while connected, else null
   * @param error why the last attempt failed, or null
   * @param attempts attempts since the link was last up
   */
  public record LinkStatus(
      String hub,
      String address,
      String state,
      Instant since,
      @com.google.gson.annotations.SerializedName("tunnel_port") Integer tunnelPort,
      String error,
      int attempts) {}

  private final NodeRegistry registry;
  private final KeyPair identity;
  private final Supplier<Self> self;
  private final Supplier<SshdSocketAddress> target;
  private final Options options;
  private final SshClient ssh;
  private final Map<String, Link> links = new ConcurrentHashMap<>();
  private final Thread reconciler;
  private volatile boolean closed;

  /**
   * @param self this node's name, id and version (read at each registration)
   * @param sshAddress where this node's SSH server listens; the tunnel ends there. Read when a link
   *     first needs it: the node builds its services before its SSH server has a port
   */
  public HubLinks(
      HackHome home, Supplier<Self> self, Supplier<InetSocketAddress> sshAddress, Options options)
      throws IOException {
    this(home, KeyFiles.loadOrCreate(home.hostKey(), "hack host key"), self, sshAddress, options);
  }

  /** As above with an explicit identity (a benchmark holding many joins in one process). */
  public HubLinks(
      HackHome home,
      KeyPair identity,
      Supplier<Self> self,
      Supplier<InetSocketAddress> sshAddress,
      Options options) {
    this.registry = NodeRegistry.open(home);
    this.identity = identity;
    this.self = self;
    this.target = () -> tunnelTarget(sshAddress.get());
    this.options = options;
    KnownHosts known = new KnownHosts(home.knownHosts());
    this.ssh =
        NodeClient.newClient(
            (session, address, key) -> {
              InetSocketAddress a = (InetSocketAddress) address;
              try {
                return known.check(a.getHostString(), a.getPort(), key) == KnownHosts.Verdict.KNOWN;
              } catch (IOException e) {
                return false;
              }
            });
    // through the tunnel the hub reaches this node's SSH server, and nothing else
    ssh.setForwardingFilter(new OnlyTo(target));
    this.reconciler = new Thread(this::reconcileLoop, "hub-links");
    reconciler.setDaemon(true);
  }

  /** Starts the links for the hubs in the registry now, and follows the registry from then on. */
  public void start() {
    reconcile();
    reconciler.start();
  }

  /** The links, one per hub, sorted by hub name. */
  public List<LinkStatus> status() {
    List<LinkStatus> out = new ArrayList<>();
    for (Link l : links.values()) {
      out.add(l.status());
    }
    out.sort((a, b) -> a.hub().compareTo(b.hub()));
    return out;
  }

  private void reconcileLoop() {
    while (!closed) {
      try {
        Thread.sleep(options.reconcile().toMillis());
      } catch (InterruptedException e) {
        return;
      }
      reconcile();
    }
  }

  /**
   * Opens links to hubs that are new or moved, and closes links to hubs that are gone, now rather
   * than at the next look at the registry ({@code hub add} and {@code hub rm} call it).
   */
  public synchronized void reconcile() {
    Map<String, RegisteredNode.SshEndpoint> hubs = new java.util.HashMap<>();
    try {
      for (RegisteredNode n : registry.list()) {
        if (n.labels().contains(HUB_LABEL) && n.ssh().isPresent()) {
          hubs.put(n.name(), n.ssh().get());
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("reading the hubs from the registry: {}", e.toString());
      return;
    }
    for (Map.Entry<String, Link> e : links.entrySet()) {
      RegisteredNode.SshEndpoint at = hubs.get(e.getKey());
      if (at == null || !at.equals(e.getValue().hub)) {
        links.remove(e.getKey(), e.getValue());
        e.getValue().stop();
      }
    }
    if (closed) {
      return;
    }
    hubs.forEach(
        (name, at) ->
            links.computeIfAbsent(
                name,
                k -> {
                  Link l = new Link(name, at);
                  l.start();
                  return l;
                }));
  }

  @Override
  public void close() {
    closed = true;
    reconciler.interrupt();
    for (Link l : links.values()) {
      l.stop();
    }
    links.clear();
    ssh.stop();
  }

  /** The link to one hub and the thread that keeps it up. */
  private final class Link {
    final String name;
    final RegisteredNode.SshEndpoint hub;
    final Thread thread;
    volatile boolean stopped;
    volatile ClientSession session;
    volatile String state = "connecting";
    volatile Instant since = Instant.now();
    volatile Integer tunnelPort;
    volatile String error;
    volatile int attempts;

    Link(String name, RegisteredNode.SshEndpoint hub) {
      this.name = name;
      this.hub = hub;
      this.thread = new Thread(this::run, "hub-link-" + name);
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() {
      stopped = true;
      ClientSession s = session;
      if (s != null) {
        s.close(true);
      }
      thread.interrupt();
    }

    LinkStatus status() {
      return new LinkStatus(name, hub.toString(), state, since, tunnelPort, error, attempts);
    }

    private void state(String s, String why) {
      state = s;
      since = Instant.now();
      error = why;
    }

    void run() {
      int failures = 0;
      while (!stopped && !closed) {
        attempts++;
        long upAt = 0;
        try (NodeClient c =
            NodeClient.connect(
                ssh,
                new NodeClient.Target(name, hub.host(), hub.port()),
                identity,
                options.timeout())) {
          session = c.session();
          if (stopped) {
            return;
          }
          SshdSocketAddress bound =
              session.startRemotePortForwarding(
                  new SshdSocketAddress(Joins.TUNNEL_HOST, 0), target.get());
          Self me = self.get();
          List<String> words =
              new ArrayList<>(
                  List.of("peer", "join", me.name(), "--port", String.valueOf(bound.getPort())));
          if (me.id() != null) {
            words.addAll(List.of("--id", me.id()));
          }
          if (me.version() != null) {
            words.addAll(List.of("--version", me.version()));
          }
          NodeClient.Result r = c.run(CommandLines.join(words), options.timeout());
          if (r.exit() != 0) {
            String why = r.err().strip().replaceFirst("^hack: ", "");
            throw new IOException(
                "the hub refused the registration: " + (why.isEmpty() ? "exit " + r.exit() : why));
          }
          tunnelPort = bound.getPort();
          upAt = System.nanoTime();
          attempts = 0;
          state("connected", null);
          LOG.info("joined hub {} at {}; its end of the tunnel is port {}", name, hub, tunnelPort);
          session.waitFor(EnumSet.of(ClientSession.ClientSessionEvent.CLOSED), 0L);
          if (!stopped) {
            LOG.info("the link to hub {} closed; connecting again", name);
          }
        } catch (IOException | RuntimeException e) {
          if (!stopped) {
            LOG.debug("joining hub {}: {}", name, e.toString());
            error = e.getMessage();
          }
        } finally {
          session = null;
          tunnelPort = null;
        }
        if (stopped || closed) {
          return;
        }
        // a link that stayed up a while starts over at the shortest delay
        if (upAt != 0 && System.nanoTime() - upAt > TimeUnit.SECONDS.toNanos(10)) {
          failures = 0;
        }
        long delay = backoff(failures++);
        String why = error;
        state("retrying", why);
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          return;
        }
        state("connecting", why);
      }
    }
  }

  /** Exponential from minBackoff to maxBackoff, each delay drawn from its upper half (jitter). */
  long backoff(int failures) {
    long min = options.minBackoff().toMillis();
    long max = options.maxBackoff().toMillis();
    long ceiling = Math.min(max, min << Math.min(failures, 20));
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }

  /** Where a tunnel ends: the SSH server's address, on loopback where it listens on every one. */
  private static SshdSocketAddress tunnelTarget(InetSocketAddress sshAddress) {
    String host = sshAddress.getHostString();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
      host = "127.0.0.1";
    }
    return new SshdSocketAddress(host, sshAddress.getPort());
  }

  /** Lets a forwarded connection reach exactly one address: this node's SSH server. */
  private record OnlyTo(Supplier<SshdSocketAddress> to) implements ForwardingFilter {
    @Override
    public boolean canListen(SshdSocketAddress address, Session session) {
      return false;
    }

    @Override
    public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
      SshdSocketAddress target = to.get();
      return type == Type.Forwarded
          && address.getPort() == target.getPort()
          && Objects.equals(address.getHostName(), target.getHostName());
    }

    @Override
    public boolean canForwardAgent(Session session, String requestType) {
      return false;
    }

    @Override
    public boolean canForwardX11(Session session, String requestType) {
      return false;
    }
  }
}
