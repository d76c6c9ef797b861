package dev.hack.node.mesh;

import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.NodeFailures;
import dev.hack.node.api.Json;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.PeerStatus;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.sshd.client.SshClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of its peers: the nodes in its own registry ({@code registry/nodes.json}),
 * reached over SSH with the node's host key as its identity (a peer lets it in once paired) and
 * checked against {@code known_hosts}. It checks each peer's health on a period, with backoff for
 * peers that stay down, records status and {@code last_seen} in the registry (a failed check never
 * removes a peer), and lists the sessions of every peer in parallel within a bound.
 *
 * <p>Thread-safe. Owns one SSH client (shared by every peer connection), a {@code peer-health}
 * timer and a bounded {@code peer-N} pool.
 */
public final class Peers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Peers.class);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
  private static final int MAX_PARALLEL = 16;

  /** The registry label of a node this node was paired with ({@code peer add}). */
  public static final String PEER_LABEL = "peer";

  private static final String TUNNEL_DOWN = "it joined this node and its tunnel is down";

  /** The sessions of every peer that answered, and the peers that did not. */
  public record Listing(List<SessionInfo> sessions, List<PeerStatus> offline) {}

  private final NodeRegistry registry;
  private final String selfId;
  private final KeyPair identity;
  private final Duration period;
  private final Duration timeout;
  private final SshClient ssh;
  private final org.apache.sshd.client.keyverifier.ServerKeyVerifier hostKeys;
  private final ExecutorService pool;
  private final ScheduledExecutorService timer;
  private final Map<String, Health> health = new ConcurrentHashMap<>();
  private final Map<String, Runnable> tunnels = new ConcurrentHashMap<>();
  private final Map<String, NodeClient> open = new ConcurrentHashMap<>();
  private static final Duration RECORD_EVERY = Duration.ofMinutes(1);
  private final PeerExchange exchange;

  private static final class Health {
    volatile String status = "unknown";
    volatile Instant lastSeen;
    volatile String version;
    volatile String error;
    volatile int failures;
    volatile long nextCheckNanos;
    volatile Instant recordedAt;
  }

  /**
   * @param selfId this node's id, left out of its own peers
   * @param period how often a healthy peer is checked
   * @param timeout the bound on one check or one listing of one peer
   */
  public Peers(HackHome home, String selfId, Duration period, Duration timeout) throws IOException {
    this.registry = NodeRegistry.open(home);
    this.selfId = selfId;
    this.exchange = new PeerExchange(home, selfId);
    this.identity = KeyFiles.loadOrCreate(home.hostKey(), "hack host key");
    this.period = period;
    this.timeout = timeout;
    KnownHosts known = new KnownHosts(home.knownHosts());
    PublicKey own = identity.getPublic();
    this.hostKeys =
        (session, address, key) -> {
          if (KeyFiles.fingerprint(key).equals(KeyFiles.fingerprint(own))) {
            return true;
          }
          java.net.InetSocketAddress a = (java.net.InetSocketAddress) address;
          try {
            return known.check(a.getHostString(), a.getPort(), key) == KnownHosts.Verdict.KNOWN;
          } catch (IOException e) {
            return false;
          }
        };
    this.ssh = NodeClient.newClient(hostKeys);
    this.pool =
        Executors.newFixedThreadPool(
            MAX_PARALLEL,
            new java.util.concurrent.ThreadFactory() {
              private final java.util.concurrent.atomic.AtomicInteger n =
                  new java.util.concurrent.atomic.AtomicInteger();

              @Override
              public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "peer-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              }
            });
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "peer-health");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts checking peers: at once, then every second for whichever peers are due. */
  public void start() {
    timer.scheduleWithFixedDelay(
        NodeFailures.guarded("peer checks", this::checkDue), 0, 1, TimeUnit.SECONDS);
  }

  /** The registered peers (not this node), with what the last checks found. */
  public List<PeerStatus> status() throws IOException {
    List<PeerStatus> out = new ArrayList<>();
    for (RegisteredNode n : peers()) {
      out.add(statusOf(n));
    }
    return out;
  }

  private PeerStatus statusOf(RegisteredNode n) {
    Health h = health.get(n.name());
    String address = n.ssh().map(Object::toString).orElse(null);
    if (address == null) { // joined, tunnel down: whatever the last check found is over
      Instant seen = h != null && h.lastSeen != null ? h.lastSeen : n.lastSeen();
      return new PeerStatus(n.name(), n.id(), null, "offline", seen, n.version(), TUNNEL_DOWN);
    }
    if (h == null) {
      return new PeerStatus(
          n.name(),
          n.id(),
          address,
          n.status() == null ? "unknown" : n.status(),
          n.lastSeen(),
          n.version(),
          null);
    }
    Instant seen = h.lastSeen != null ? h.lastSeen : n.lastSeen();
    return new PeerStatus(n.name(), n.id(), address, h.status, seen, h.version, h.error);
  }

  /**
   * The registry's entries that are peers of this node: paired ({@link #PEER_LABEL}), with an SSH
   * address or joined through a tunnel (which has no address while it is down), and not this node.
   * The registry is shared with the user's CLI, which also lists nodes that only the user may log
   * in to; those are not this node's business.
   */
  private List<RegisteredNode> peers() throws IOException {
    List<RegisteredNode> out = new ArrayList<>();
    for (RegisteredNode n : registry.list()) {
      if ((n.ssh().isPresent() || n.labels().contains(Joins.JOINED_LABEL))
          && !Objects.equals(n.id(), selfId)
          && n.labels().contains(PEER_LABEL)) {
        out.add(n);
      }
    }
    return out;
  }

  /** Checks every peer now, in parallel, and returns when all checks are done or timed out. */
  public void checkNow() throws IOException {
    List<Future<?>> running = new ArrayList<>();
    for (RegisteredNode n : peers()) {
      running.add(pool.submit(() -> check(n)));
    }
    await(running);
  }

  private void checkDue() {
    try {
      long now = System.nanoTime();
      List<Future<?>> running = new ArrayList<>();
      List<RegisteredNode> current = peers();
      closeStale(current);
      for (RegisteredNode n : current) {
        Health h = health.computeIfAbsent(n.name(), k -> new Health());
        if (now - h.nextCheckNanos >= 0) {
          running.add(pool.submit(() -> check(n)));
        }
      }
      await(running);
    } catch (IOException | RuntimeException e) {
      LOG.warn("checking peers: {}", e.toString());
    }
  }

  private void await(List<Future<?>> running) {
    long deadline = System.nanoTime() + timeout.toNanos() * 2 + TimeUnit.SECONDS.toNanos(1);
    for (Future<?> f : running) {
      try {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        f.cancel(true);
      } catch (ExecutionException e) {
        LOG.debug("peer check: {}", e.getCause().toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * The joined peer {@code name} just said where its tunnel ends: it is online now, and checked at
   * the next tick whatever its backoff was. {@code close} ends that tunnel ({@link #dropTunnel}).
   */
  public void tunnelUp(String name, Runnable close) {
    Runnable old = tunnels.put(name, close);
    if (old != null) {
      old.run(); // the node connected again: its previous link is stale
    }
    Health h = health.computeIfAbsent(name, k -> new Health());
    h.status = "online";
    h.lastSeen = Instant.now();
    h.error = null;
    h.failures = 0;
    h.nextCheckNanos = System.nanoTime();
  }

  /** This node's peer exchange: what it offers, and the peers removed here. */
  public PeerExchange exchange() {
    return exchange;
  }

  /** Asks a peer that just answered for its peers and merges them; best effort. */
  private void exchangeWith(NodeClient c, RegisteredNode n) {
    if (!exchange.enabled() || n.labels().contains(Joins.JOINED_LABEL)) {
      return;
    }
    try {
      NodeClient.Result r = c.run("peer exchange", timeout);
      if (r.exit() == 0) {
        exchange.merge(n.name(), n.ssh().orElseThrow(), r.out());
      } // else an older node without exchange: nothing to learn
    } catch (IOException | RuntimeException e) {
      LOG.debug("peer exchange with {}: {}", n.name(), e.toString());
    }
  }

  /** Ends the tunnel of the joined peer {@code name}, if it has one (it was removed). */
  public void dropTunnel(String name) {
    Runnable close = tunnels.remove(name);
    if (close != null) {
      close.run();
    }
  }

  /** One health check: connect, {@code status --json}, record the outcome. */
  private void check(RegisteredNode n) {
    Health h = health.computeIfAbsent(n.name(), k -> new Health());
    if (n.ssh().isEmpty()) { // a joined node whose tunnel is down: nothing to dial
      h.status = "offline";
      h.error = TUNNEL_DOWN;
      h.nextCheckNanos = System.nanoTime() + period.toNanos();
      return;
    }
    String before = h.status;
    NodeClient c = null;
    try {
      c = client(n, timeout);
      NodeClient.Result r = c.run("status --json", timeout);
      if (r.exit() != 0) {
        throw new IOException(r.err().strip());
      }
      NodeStatus st = Json.GSON.fromJson(r.out(), NodeStatus.class);
      h.status = "online";
      h.lastSeen = Instant.now();
      h.version = st.version();
      h.error = null;
      h.failures = 0;
      h.nextCheckNanos = System.nanoTime() + period.toNanos();
      exchangeWith(c, n);
    } catch (IOException | RuntimeException e) {
      drop(c);
      h.status = "offline";
      h.error = e.getMessage();
      h.failures++;
      long backoff = period.toNanos() << Math.min(h.failures - 1, 16);
      h.nextCheckNanos = System.nanoTime() + Math.min(backoff, MAX_BACKOFF.toNanos());
    }
    // the registry file is rewritten when the status changes, and at most once a minute else
    if (!h.status.equals(before)
        || h.recordedAt == null
        || Duration.between(h.recordedAt, Instant.now()).compareTo(RECORD_EVERY) >= 0) {
      try {
        registry.updateStatus(n.name(), h.status, h.lastSeen, h.version);
        h.recordedAt = Instant.now();
      } catch (IOException | IllegalArgumentException e) {
        LOG.debug("recording {}'s status: {}", n.name(), e.toString()); // removed meanwhile
      }
    }
  }

  /**
   * The open connection to {@code n}, or a new one: health checks, listings and {@link #run} share
   * one connection per peer, so a check costs a channel, not a key exchange. A connection that
   * fails is {@linkplain #drop dropped} and the next call connects again.
   */
  private NodeClient client(RegisteredNode n, Duration bound) throws IOException {
    RegisteredNode.SshEndpoint e = endpoint(n);
    String key = n.name() + " " + e;
    NodeClient c = open.get(key);
    if (c != null && c.isOpen()) {
      return c;
    }
    if (c != null && open.remove(key, c)) {
      c.close();
    }
    NodeClient fresh =
        NodeClient.connect(
            ssh, new NodeClient.Target(n.name(), e.host(), e.port()), identity, bound);
    NodeClient raced = open.putIfAbsent(key, fresh);
    if (raced != null && raced.isOpen()) {
      fresh.close();
      return raced;
    }
    open.put(key, fresh);
    return fresh;
  }

  private void drop(NodeClient c) {
    if (c != null) {
      open.values().remove(c);
      c.close();
    }
  }

  /** Closes the connections to peers that are no longer registered, or moved. */
  private void closeStale(List<RegisteredNode> current) {
    java.util.Set<String> keep = new java.util.HashSet<>();
    for (RegisteredNode n : current) {
      n.ssh().ifPresent(e -> keep.add(n.name() + " " + e));
    }
    for (Map.Entry<String, NodeClient> e : open.entrySet()) {
      if (!keep.contains(e.getKey()) && open.remove(e.getKey(), e.getValue())) {
        e.getValue().close();
      }
    }
  }

  /**
   * Runs {@code command} on the peer named {@code name} and returns what it printed, within {@code
   * limit} (the picker's sessions and previews of a peer).
   *
   * @throws java.util.NoSuchElementException if no such peer is registered
   */
  public NodeClient.Result run(String name, String command, Duration limit) throws IOException {
    RegisteredNode n = peer(name);
    NodeClient c = client(n, timeout);
    try {
      return c.run(command, limit);
    } catch (IOException | RuntimeException e) {
      drop(c);
      throw e;
    }
  }

  private RegisteredNode peer(String name) throws IOException {
    return peers().stream()
        .filter(p -> p.name().equals(name) || name.equals(p.id()))
        .findFirst()
        .orElseThrow(
            () ->
                new java.util.NoSuchElementException(
                    "no peer named " + name + " on this node; see: peer list"));
  }

  /**
   * A connection of its own to the peer named {@code name} (for a long-lived stream such as an
   * attach through this node: it must not share the I/O threads of the health checks).
   *
   * @throws java.util.NoSuchElementException if no such peer is registered
   */
  public NodeClient connectOwn(String name) throws IOException {
    RegisteredNode n = peer(name);
    RegisteredNode.SshEndpoint e = endpoint(n);
    return NodeClient.connect(
        new NodeClient.Target(n.name(), e.host(), e.port()), identity, hostKeys, timeout);
  }

  private static RegisteredNode.SshEndpoint endpoint(RegisteredNode n) throws IOException {
    return n.ssh().orElseThrow(() -> new IOException(n.name() + " is offline: " + TUNNEL_DOWN));
  }

  /**
   * The sessions of every peer, asked in parallel; each peer gets {@code limit} to answer. A peer
   * that does not answer in time, refuses, or is unreachable is in {@link Listing#offline} with the
   * reason and when it was last seen. Returns within about {@code limit}.
   */
  public Listing listAll(Duration limit) throws IOException {
    // the whole listing answers within limit: what is not in by then is reported as missing
    long deadline = System.nanoTime() + limit.toNanos() - TimeUnit.MILLISECONDS.toNanos(50);
    List<RegisteredNode> all = peers();
    List<Future<List<SessionInfo>>> futures = new ArrayList<>();
    for (RegisteredNode n : all) {
      futures.add(pool.submit(() -> listOne(n, limit)));
    }
    List<SessionInfo> sessions = new ArrayList<>();
    List<PeerStatus> offline = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      RegisteredNode n = all.get(i);
      String reason;
      try {
        sessions.addAll(
            futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        continue;
      } catch (TimeoutException e) {
        futures.get(i).cancel(true);
        reason = "no answer within " + limit.toMillis() + " ms";
      } catch (ExecutionException e) {
        reason = e.getCause().getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while listing peers", e);
      }
      PeerStatus s = statusOf(n);
      offline.add(
          new PeerStatus(
              s.name(), s.id(), s.address(), "offline", s.lastSeen(), s.version(), reason));
    }
    return new Listing(sessions, offline);
  }

  private List<SessionInfo> listOne(RegisteredNode n, Duration limit) throws IOException {
    Duration bound = limit.compareTo(timeout) < 0 ? limit : timeout;
    NodeClient c = client(n, bound);
    try {
      NodeClient.Result r = c.run("ls --json", limit);
      if (r.exit() != 0) {
        throw new IOException(r.err().strip());
      }
      List<SessionInfo> out = new ArrayList<>();
      for (SessionInfo s : Json.GSON.fromJson(r.out(), SessionInfo[].class)) {
        out.add(s.withNode(n.name()));
      }
      Health h = health.computeIfAbsent(n.name(), k -> new Health());
      h.status = "online";
      h.lastSeen = Instant.now();
      h.error = null;
      return out;
    } catch (IOException | RuntimeException e) {
      drop(c);
      throw e;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    pool.shutdownNow();
    for (NodeClient c : open.values()) {
      c.close();
    }
    open.clear();
    ssh.stop();
  }
}
