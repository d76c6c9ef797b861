package dev.hack.node.mesh.tailscale;

import dev.hack.keys.HackHome;
import dev.hack.node.NodeFailures;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows this machine's tailnet addresses: SSH listens on each of them while Tailscale runs
 * (besides the configured address), and this node's registry entry records them (docs/mesh.md).
 *
 * <p>Asks tailscaled at {@link #start} and then every {@link #PERIOD} on its {@code
 * tailscale-watch} thread. Readers ({@link #status}, {@link #addresses}, {@link #sshAddresses})
 * never wait for tailscaled: they get the last answer. A daemon that is down or slow never stops
 * the node from serving: addresses already bound stay until Tailscale, running, no longer lists
 * them.
 */
public final class TailnetListeners implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TailnetListeners.class);

  /** How often tailscaled is asked. */
  public static final Duration PERIOD = Duration.ofSeconds(30);

  /** Where SSH can be told to listen: the SSH server, without this package knowing it. */
  public interface Ports {
    /** Listens also on {@code ip}, at the main port; returns the address bound. */
    InetSocketAddress listenAlso(InetAddress ip) throws IOException;

    void stopListening(InetAddress ip);
  }

  private final HackHome home;
  private final String nodeId;
  private final Supplier<LocalApiClient> localApi;
  private final Ports ports;
  private final InetSocketAddress main;
  private final Runnable onChange;

  private volatile NodeStatus.Tailscale last = new NodeStatus.Tailscale("disabled", null, null);
  private volatile Set<InetAddress> addresses = Set.of();
  private final Map<InetAddress, String> spellings = new ConcurrentHashMap<>();
  // guarded by itself: the tailnet addresses SSH listens on, and those that could not be bound
  private final Map<InetAddress, InetSocketAddress> listeners = new LinkedHashMap<>();
  private final Set<InetAddress> unbindable = new HashSet<>();
  private ScheduledExecutorService timer;

  /**
   * @param localApi a fresh LocalAPI client for this node's tailscaled; each use closes it
   * @param main the configured SSH address (its port is the one every SSH address shares)
   * @param onChange called after a refresh changed the addresses SSH listens on
   */
  public TailnetListeners(
      HackHome home,
      String nodeId,
      Supplier<LocalApiClient> localApi,
      Ports ports,
      InetSocketAddress main,
      Runnable onChange) {
    this.home = home;
    this.nodeId = nodeId;
    this.localApi = localApi;
    this.ports = ports;
    this.main = main;
    this.onChange = onChange;
  }

  /**
   * Asks tailscaled once and follows it, then every {@link #PERIOD}. A Tailscale that is not
   * running, or an address that cannot be bound, is said once through {@code tell}.
   */
  public void start(Consumer<String> tell) {
    follow(ask(), tell, true);
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tailscale-watch");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(
        NodeFailures.guarded("tailscale refresh", this::refresh),
        PERIOD.toMillis(),
        PERIOD.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Asks tailscaled again and follows what it says: listens on tailnet addresses that appeared,
   * stops on those that went away while it runs. Blocks for at most the LocalAPI timeout.
   */
  public void refresh() {
    try {
      if (follow(ask(), LOG::warn, false)) {
        onChange.run();
      }
    } catch (RuntimeException e) {
      // the next period tries again; a node never stops serving over this
      LOG.warn("following tailscale: {}", e.toString());
    }
  }

  /** Tailscale as last seen (RFC 0001's states). */
  public NodeStatus.Tailscale status() {
    return last;
  }

  /** This node's tailnet addresses while Tailscale runs, else none. */
  public Set<InetAddress> addresses() {
    return addresses;
  }

  /** The tailnet addresses SSH listens on now, besides the configured one. */
  public List<InetSocketAddress> sshAddresses() {
    synchronized (listeners) {
      return List.copyOf(listeners.values());
    }
  }

  /** Who tailscaled says is behind {@code remote}; never throws for a daemon down or slow. */
  public WhoIsResult whois(InetSocketAddress remote) {
    try (LocalApiClient ts = localApi.get()) {
      return ts.whois(remote);
    }
  }

  /**
   * An address as people write it: a tailnet address as Tailscale spelled it ({@code
   * fd7a:115c:a1e0::6501:6667}, not Java's {@code fd7a:115c:a1e0:0:0:0:6501:6667}), the configured
   * one as given.
   */
  public String spelled(InetSocketAddress a) {
    InetAddress ip = a.getAddress();
    if (ip == null) {
      return a.getHostString();
    }
    String tailnet = spellings.get(ip);
    if (tailnet != null) {
      return tailnet;
    }
    return a.equals(main) ? a.getHostString() : ip.getHostAddress();
  }

  /** {@code host:port}, with brackets around an IPv6 host. */
  public String hostPort(InetSocketAddress a) {
    String host = spelled(a);
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Asks tailscaled now and records its answer; never throws. */
  private TailscaleStatus ask() {
    TailscaleStatus st;
    try (LocalApiClient ts = localApi.get()) {
      st = ts.status();
    }
    TailnetNode self = st.selfNode().orElse(null);
    Set<InetAddress> ips = new HashSet<>();
    if (st.state().isRunning() && self != null) {
      for (String ip : self.tailscaleIps()) {
        InetAddress a = literal(ip);
        if (a != null) {
          ips.add(a);
          spellings.put(a, ip);
        }
      }
    }
    addresses = Set.copyOf(ips);
    last =
        new NodeStatus.Tailscale(
            st.state().status().wire(),
            self == null ? null : self.ipv4().orElse(null),
            self == null ? null : self.dnsName());
    LOG.debug("tailscale: {}", st.state());
    return st;
  }

  /**
   * Listens on this node's tailnet addresses when Tailscale runs, and records them in this node's
   * registry entry.
   *
   * @return whether the addresses SSH listens on changed
   */
  private boolean follow(TailscaleStatus st, Consumer<String> tell, boolean atStart) {
    TailnetNode self = st.selfNode().orElse(null);
    String here = hostPort(main);
    if (!st.state().isRunning() || self == null || self.tailscaleIps().isEmpty()) {
      if (atStart) {
        String why =
            st.state().isRunning()
                ? "tailscale is running but reports no tailnet address for this machine"
                : st.state().message();
        tell.accept(why + "; SSH listens on " + here + " only, not on the tailnet");
      }
      // addresses already bound stay: a daemon that restarts or is slow to answer is not a reason
      // to drop listeners that work again once it is back
      return false;
    }
    List<InetAddress> wanted = new ArrayList<>();
    for (String ip : self.tailscaleIps()) {
      InetAddress a = literal(ip);
      if (a != null) {
        wanted.add(a);
      }
    }
    boolean changed = false;
    List<String> failed = new ArrayList<>();
    synchronized (listeners) {
      for (InetAddress ip : wanted) {
        if (listeners.containsKey(ip) || covered(ip)) {
          continue;
        }
        try {
          InetSocketAddress bound = ports.listenAlso(ip);
          listeners.put(ip, bound);
          unbindable.remove(ip);
          changed = true;
          if (!atStart) {
            LOG.info("SSH now also listens on tailnet address {}", hostPort(bound));
          }
        } catch (IOException e) {
          if (unbindable.add(ip)) {
            failed.add(
                hostPort(new InetSocketAddress(ip, main.getPort())) + " (" + e.getMessage() + ")");
          }
        }
      }
      for (InetAddress ip : new ArrayList<>(listeners.keySet())) {
        if (!wanted.contains(ip)) {
          ports.stopListening(ip);
          LOG.info(
              "SSH stops listening on {}: tailscale no longer lists it",
              hostPort(listeners.remove(ip)));
          changed = true;
        }
      }
      unbindable.retainAll(wanted);
    }
    if (!failed.isEmpty()) {
      tell.accept(
          "cannot listen for SSH on tailnet address "
              + String.join(", ", failed)
              + "; SSH serves on "
              + here
              + " without it");
    }
    recordTailnetAddress(self);
    return changed;
  }

  /** Whether the configured address already takes connections for {@code ip} (a wildcard). */
  private boolean covered(InetAddress ip) {
    InetAddress bound = main.getAddress();
    if (bound == null) {
      return false;
    }
    if (bound.equals(ip)) {
      return true;
    }
    // :: takes IPv4 connections too (dual stack); 0.0.0.0 only IPv4 ones
    return bound.isAnyLocalAddress()
        && (bound instanceof Inet6Address || ip instanceof Inet4Address);
  }

  /** An IP literal as an address, never resolving a name; null for anything else. */
  private static InetAddress literal(String ip) {
    if (!ip.matches("[0-9A-Fa-f:.]+")) {
      return null;
    }
    try {
      return InetAddress.getByName(ip);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Writes {@code tailscale.ip}/{@code tailscale.hostname} into this node's own registry entry (the
   * one with this node's id, which {@code hack node add} makes), when it is there and says
   * something else. A registry that cannot be read or written is logged, never fatal.
   */
  private void recordTailnetAddress(TailnetNode self) {
    RegisteredNode.Tailscale ts =
        new RegisteredNode.Tailscale(self.ipv4().or(self::ipv6).orElse(null), self.dnsName());
    NodeRegistry registry = NodeRegistry.open(home);
    try {
      for (RegisteredNode n : registry.list()) {
        if (nodeId.equals(n.id()) && !ts.equals(n.tailscale())) {
          registry.put(n.withTailscale(ts));
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot record the tailnet address in {}: {}", registry.file(), e.getMessage());
    }
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
      try {
        timer.awaitTermination(3, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
