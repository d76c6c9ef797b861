package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * SSH connections to nodes that stay open between the fast path's requests, in the node's JVM
 * ({@link FastPathServer} installs one). A command that asks through {@link #run} gets a connection
 * made earlier when it still passes the checks a new one would: it is open, it was made with the
 * key a new one would use, and the host key it was accepted with is still accepted now (this home's
 * own host key, or a {@code known_hosts} entry; a {@code hack node remove} or {@code ssh-keygen -R}
 * in between means a new connection, checked anew). Without an installed instance (every {@code
 * hack} process) {@link #run} connects, runs and closes, as it always did.
 *
 * <p>It repeats {@link Nodes#connect}'s choice of key and its host key check, because it has to see
 * the host key a connection was accepted with; the two must change together.
 *
 * <p>Thread-safe: requests run at once on several threads and share a connection ({@link
 * NodeClient#run} may be called concurrently). At most {@link #MAX} are kept; one unused for {@link
 * #IDLE} is closed. Whoever makes an instance closes it, which closes every connection.
 */
final class WarmClients implements AutoCloseable {
  static final Duration IDLE = Duration.ofSeconds(60);

  /**
   * At most this many kept at once: each has an SSH client of its own (a few I/O threads per CPU
   * core), because {@link NodeClient} checks host keys per client and this check is per node.
   */
  static final int MAX = 8;

  private static volatile WarmClients installed;

  /** A kept connection, its own SSH client, and what it was accepted with. */
  private static final class Entry {
    final SshClient ssh;
    final NodeClient client;
    final PublicKey identity;
    final PublicKey hostKey;
    private volatile long lastUsed = System.nanoTime();

    Entry(SshClient ssh, NodeClient client, PublicKey identity, PublicKey hostKey) {
      this.ssh = ssh;
      this.client = client;
      this.identity = identity;
      this.hostKey = hostKey;
    }

    void touch() {
      lastUsed = System.nanoTime();
    }

    boolean idle(long now) {
      return now - lastUsed > IDLE.toNanos();
    }

    void close() {
      client.close();
      ssh.stop();
    }
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private volatile ScheduledFuture<?> sweeper;
  private volatile boolean closed;

  /** Makes {@code c} the connections of this JVM's commands; {@code timer} closes idle ones. */
  static void install(WarmClients c, ScheduledExecutorService timer) {
    c.sweeper =
        timer.scheduleWithFixedDelay(
            dev.hack.node.NodeFailures.guarded("warm client sweep", c::sweep),
            IDLE.toSeconds(),
            15,
            TimeUnit.SECONDS);
    installed = c;
  }

  static void uninstall(WarmClients c) {
    if (installed == c) {
      installed = null;
    }
  }

  /**
   * Runs {@code command} on {@code ref}'s node within {@code limit}, connecting within {@link
   * Nodes#CONNECT_TIMEOUT}: on a warm connection when one is installed, else on a new one that is
   * closed afterwards.
   */
  static NodeClient.Result run(Nodes nodes, Nodes.Ref ref, String command, Duration limit)
      throws IOException {
    WarmClients warm = installed;
    if (warm == null) {
      try (NodeClient c = nodes.connect(ref)) {
        return c.run(command, limit);
      }
    }
    return warm.runWarm(HackHome.fromEnvironment(), nodes, ref, command, limit);
  }

  private NodeClient.Result runWarm(
      HackHome home, Nodes nodes, Nodes.Ref ref, String command, Duration limit)
      throws IOException {
    KeyPair identity = identity(home, ref);
    String key = ref.target().host() + ":" + ref.target().port();
    Entry e = entries.get(key);
    if (e != null) {
      if (e.client.isOpen()
          && KeyUtils.compareKeys(e.identity, identity.getPublic())
          && accepted(home, nodes, ref, e.hostKey)) {
        e.touch();
        try {
          return e.client.run(command, limit);
        } catch (IOException x) {
          if (e.client.isOpen()) {
            throw x; // a timeout or a refusal: a new connection would not do better
          }
          // it closed under us (that node restarted): connect again, as a new process would
        }
      }
      drop(key, e);
    }
    Entry fresh = connect(home, nodes, ref, identity);
    boolean kept = entries.size() < MAX && entries.putIfAbsent(key, fresh) == null;
    if (kept && closed) { // close() ran meanwhile and will not see this one
      entries.remove(key, fresh);
      kept = false;
    }
    try {
      return fresh.client.run(command, limit);
    } catch (IOException x) {
      if (kept) {
        drop(key, fresh); // the next request starts afresh, as a new process would
      }
      throw x;
    } finally {
      if (!kept) {
        fresh.close();
      }
    }
  }

  /**
   * Connects as {@link Nodes#connect} does, with an SSH client of its own whose host key check
   * remembers the key it accepted.
   */
  private static Entry connect(HackHome home, Nodes nodes, Nodes.Ref ref, KeyPair identity)
      throws IOException {
    AtomicReference<PublicKey> presented = new AtomicReference<>();
    SshClient ssh =
        NodeClient.newClient(
            (session, address, k) -> {
              presented.set(k);
              return accepted(home, nodes, ref, k);
            });
    try {
      NodeClient c = NodeClient.connect(ssh, ref.target(), identity, Nodes.CONNECT_TIMEOUT);
      return new Entry(ssh, c, identity.getPublic(), presented.get());
    } catch (IOException | RuntimeException e) {
      ssh.stop();
      throw e;
    }
  }

  /**
   * The key {@link Nodes#connect} logs in with: the node's host key for a node that joined this
   * one, else the user's key (created, and authorized here, on first use).
   */
  private static KeyPair identity(HackHome home, Nodes.Ref ref) throws IOException {
    return ref.nodeKey() ? KeyFiles.load(home.hostKey()) : LocalNode.userKey(home);
  }

  /** The host key check of {@link Nodes#connect}: this home's own key, or a known_hosts entry. */
  private static boolean accepted(HackHome home, Nodes nodes, Nodes.Ref ref, PublicKey key) {
    if (key == null) {
      return false;
    }
    return LocalNode.isOwnHostKey(home, key)
        || Nodes.verdict(nodes.knownHosts(), ref.target().host(), ref.target().port(), key)
            == KnownHosts.Verdict.KNOWN;
  }

  private void drop(String key, Entry e) {
    entries.remove(key, e);
    e.close();
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Map.Entry<String, Entry> x : entries.entrySet()) {
      Entry e = x.getValue();
      if (!e.client.isOpen() || e.idle(now)) {
        drop(x.getKey(), e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    ScheduledFuture<?> s = sweeper;
    if (s != null) {
      s.cancel(false);
    }
    for (Map.Entry<String, Entry> x : entries.entrySet()) {
      drop(x.getKey(), x.getValue());
    }
  }
}
