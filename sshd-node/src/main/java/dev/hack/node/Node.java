package dev.hack.node;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.api.Json;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.gateway.Gateway;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.mesh.HubLinks;
import dev.hack.node.mesh.Joins;
import dev.hack.node.mesh.Peers;
import dev.hack.node.mesh.tailscale.LocalApiClient;
import dev.hack.node.mesh.tailscale.TailnetListeners;
import dev.hack.node.mesh.tailscale.WhoIsResult;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.service.Attachments;
import dev.hack.node.service.NodeContext;
import dev.hack.node.service.Sessions;
import dev.hack.node.ssh.NodeSshServer;
import dev.hack.node.supervisor.Supervisor;
import dev.hack.node.supervisor.SupervisorConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node: supervisor, SSH server and gateway over one {@code HACK_HOME}. {@link #start}
 * returns once both listeners are bound and {@code daemon/node.json} is written; {@link #close}
 * stops them in reverse order and removes {@code node.json}.
 *
 * <p>With Tailscale running, SSH also listens on this machine's tailnet addresses ({@link
 * #sshAddresses}, kept by {@link TailnetListeners}; docs/mesh.md).
 */
public final class Node implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  /**
   * How to run a node.
   *
   * @param gatewayHost the gateway's bind address, or null for {@code bindHost}
   * @param gatewayPort the gateway's port, or -1 for no gateway
   * @param tmuxSocket tmux server socket, or null for the user's default server
   * @param tailscaleSocket tailscaled's LocalAPI socket, or null for this machine's ({@code
   *     HACK_TAILSCALE_SOCKET}, else the platform's default; see {@link
   *     LocalApiClient#fromEnvironment()})
   * @param keeper whether a keeper process holds the sessions' PTYs, so that their programs outlive
   *     the node (docs/durability.md)
   */
  public record Config(
      HackHome home,
      String name,
      String bindHost,
      int sshPort,
      String gatewayHost,
      int gatewayPort,
      Path tmuxSocket,
      Duration retention,
      NodeSshServer.Settings ssh,
      Path tailscaleSocket,
      boolean keeper) {
    public Config(
        HackHome home,
        String name,
        String bindHost,
        int sshPort,
        String gatewayHost,
        int gatewayPort,
        Path tmuxSocket,
        Duration retention,
        NodeSshServer.Settings ssh) {
      this(
          home,
          name,
          bindHost,
          sshPort,
          gatewayHost,
          gatewayPort,
          tmuxSocket,
          retention,
          ssh,
          null,
          false);
    }

    /** This config asking the tailscaled on {@code socket} (null: this machine's). */
    public Config withTailscaleSocket(Path socket) {
      return new Config(
          home,
          name,
          bindHost,
          sshPort,
          gatewayHost,
          gatewayPort,
          tmuxSocket,
          retention,
          ssh,
          socket,
          keeper);
    }

    /** This config with the keeper holding the sessions' PTYs, or not. */
    public Config withKeeper(boolean on) {
      return new Config(
          home,
          name,
          bindHost,
          sshPort,
          gatewayHost,
          gatewayPort,
          tmuxSocket,
          retention,
          ssh,
          tailscaleSocket,
          on);
    }

    public Config {
      Objects.requireNonNull(home, "home");
      Objects.requireNonNull(bindHost, "bindHost");
      Objects.requireNonNull(retention, "retention");
      Objects.requireNonNull(ssh, "ssh");
      if (sshPort < 0 || sshPort > 65535) {
        throw new IllegalArgumentException("SSH port " + sshPort + " is not in 0..65535");
      }
      if (gatewayPort < -1 || gatewayPort > 65535) {
        throw new IllegalArgumentException(
            "gateway port " + gatewayPort + " is not in 0..65535 (or -1 for none)");
      }
    }

    public static Config defaults(HackHome home) {
      return new Config(
          home,
          null,
          "127.0.0.1",
          2222,
          null,
          7788,
          null,
          Duration.ofDays(7),
          NodeSshServer.Settings.defaults());
    }
  }

  private final Config config;
  private final String id;
  private final String name;
  private final String hostKeyFingerprint;
  private final Instant startedAt = Instant.now();
  private Supervisor supervisor;
  private Sessions sessions;
  private JobManager jobs;
  private Peers peers;
  private HubLinks hubs;
  private TailnetListeners tailnet;

  /** How often a healthy peer is checked, and the bound on one check (seed 003: 15 s, 5 s). */
  static final Duration PEER_PERIOD = Duration.ofSeconds(15);

  static final Duration PEER_TIMEOUT = Duration.ofSeconds(5);
  private NodeSshServer ssh;
  private Gateway gateway;
  private InetSocketAddress sshAddress;
  private String gatewayUrl;
  private HomeLock lock;

  private Node(Config config, KeyPair hostKey) {
    this.config = config;
    this.hostKeyFingerprint = KeyFiles.fingerprint(hostKey.getPublic());
    this.id = nodeId(hostKeyFingerprint);
    this.name = config.name() != null ? config.name() : defaultName();
  }

  /** Starts a node; {@code warnings} receives one sentence per problem worth telling the user. */
  public static Node start(Config config, Consumer<String> warnings) throws IOException {
    return start(config, warnings, Duration.ZERO, () -> {});
  }

  /**
   * Starts a node that may take its home over from a node running there now: when another node
   * holds the home, this one has done what it can without the home (the JVM's start, the host key)
   * and calls {@code waiting}, then waits up to {@code takeOver} for that node to end, and starts
   * the moment it has. A restart starts the new node first and stops the old one once the new one
   * waits, so the time nobody serves is the old node's stop and the new node's opening, not a JVM's
   * whole start (docs/daemon.md).
   *
   * @throws IOException when the home is still held after {@code takeOver}
   */
  public static Node start(
      Config config, Consumer<String> warnings, Duration takeOver, Runnable waiting)
      throws IOException {
    HackHome home = config.home();
    // sessions and jobs get SIGHUP, SIGINT and SIGQUIT as in a terminal, however we were started
    dev.hack.node.supervisor.ChildSignals.resetForChildren();
    FileModes.ensurePrivateDir(home.root());
    FileModes.ensurePrivateDir(home.keysDir());
    KeyPair hostKey = KeyFiles.loadOrCreate(home.hostKey(), "hack host key");
    Node node = new Node(config, hostKey);
    node.lock = HomeLock.acquire(home);
    if (node.lock == null && takeOver.compareTo(Duration.ZERO) > 0) {
      waiting.run();
      node.lock = HomeLock.await(home, takeOver);
    }
    if (node.lock == null) {
      throw new IOException(
          "another node is already running from "
              + home
              + " (see "
              + home.nodeFile()
              + "); stop it first, or set HACK_HOME to another directory");
    }
    try {
      node.open(hostKey, warnings);
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  private void open(KeyPair hostKey, Consumer<String> warnings) throws IOException {
    AuthorizedKeys authorized = new AuthorizedKeys(config.home().authorizedKeys(), warnings);
    if (authorized.entries().isEmpty()) {
      warnings.accept(
          "no authorized keys yet: nobody can log in until you run: hack keys authorize"
              + " ~/.ssh/id_ed25519.pub");
    }
    SupervisorConfig sc =
        SupervisorConfig.defaults()
            .withTmuxSocket(config.tmuxSocket())
            .withRetention(config.retention());
    if (config.keeper()) {
      sc = sc.withKeeper(config.home().keeperSocket());
    }
    supervisor = new Supervisor(config.home().sessionsDir(), sc);
    jobs = new JobManager(config.home().jobsDir());
    sessions = new Sessions(supervisor, () -> ProjectRegistry.open(config.home()));
    peers = new Peers(config.home(), id, PEER_PERIOD, PEER_TIMEOUT);
    hubs =
        new HubLinks(
            config.home(),
            () -> new HubLinks.Self(name, id, Version.get()),
            () -> sshAddress,
            HubLinks.Options.defaults());
    NodeContext context =
        new NodeContext(
            config.home(),
            supervisor,
            sessions,
            jobs,
            peers,
            hubs,
            new Attachments(supervisor, peers, this::status),
            this::status,
            startedAt,
            new NodeContext.Tailnet() {
              @Override
              public Set<InetAddress> addresses() {
                return tailnetAddresses();
              }

              @Override
              public WhoIsResult whois(InetSocketAddress remote) {
                return Node.this.whois(remote);
              }
            });
    ssh = new NodeSshServer(authorized, hostKey, context, config.ssh());
    try {
      sshAddress = ssh.start(config.bindHost(), config.sshPort());
    } catch (java.net.BindException e) {
      throw new IOException(
          "cannot listen for SSH on "
              + config.bindHost()
              + ":"
              + config.sshPort()
              + ": "
              + e.getMessage()
              + "; choose another port with --ssh-port",
          e);
    }
    if (config.gatewayPort() >= 0) {
      gateway = new Gateway(context);
      String gatewayHost = config.gatewayHost() != null ? config.gatewayHost() : config.bindHost();
      try {
        InetSocketAddress g = gateway.start(gatewayHost, config.gatewayPort());
        gatewayUrl = "http://" + hostForUrl(g.getHostString()) + ":" + g.getPort();
      } catch (Exception e) {
        throw new IOException(
            "cannot start the gateway on "
                + gatewayHost
                + ":"
                + config.gatewayPort()
                + ": "
                + e.getMessage()
                + "; choose another port with --gateway-port",
            e);
      }
    }
    new Joins(config.home()).forgetTunnels(); // they closed when the last process ended
    peers.start();
    hubs.start();
    tailnet =
        new TailnetListeners(
            config.home(),
            id,
            this::localApi,
            new TailnetListeners.Ports() {
              @Override
              public InetSocketAddress listenAlso(InetAddress ip) throws IOException {
                return ssh.listenAlso(ip);
              }

              @Override
              public void stopListening(InetAddress ip) {
                ssh.stopListening(ip);
              }
            },
            sshAddress,
            this::nodeFileChanged);
    tailnet.start(warnings);
    writeNodeFile();
  }

  private void nodeFileChanged() {
    try {
      writeNodeFile();
    } catch (IOException e) {
      LOG.warn("cannot update {}: {}", config.home().nodeFile(), e.toString());
    }
  }

  /** Asks tailscaled again and follows it now (tests; the node does it every 30 s). */
  void refreshTailscale() {
    tailnet.refresh();
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private synchronized void writeNodeFile() throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("pid", ProcessHandle.current().pid());
    json.put("id", id);
    json.put("name", name);
    json.put("version", Version.get());
    json.put("started_at", startedAt.toString());
    json.put("ssh", Map.of("host", sshAddress.getHostString(), "port", sshAddress.getPort()));
    List<Map<String, Object>> all = new ArrayList<>();
    for (InetSocketAddress a : sshAddresses()) {
      all.add(Map.of("host", tailnet.spelled(a), "port", a.getPort()));
    }
    json.put("ssh_addresses", all);
    Map<String, Object> gw = new LinkedHashMap<>();
    gw.put("url", gatewayUrl);
    json.put("gateway", gw);
    FileModes.ensurePrivateDir(config.home().daemonDir());
    FileModes.writeAtomically(
        config.home().nodeFile(), Json.PRETTY.toJson(json).getBytes(StandardCharsets.UTF_8), false);
  }

  /** {@code node-} and the first hex digits of the host key's SHA-256: stable with the key. */
  static String nodeId(String fingerprint) {
    String b64 = fingerprint.substring(fingerprint.indexOf(':') + 1);
    byte[] raw = java.util.Base64.getDecoder().decode(padBase64(b64));
    StringBuilder sb = new StringBuilder("node-");
    for (int i = 0; i < 6; i++) {
      sb.append(String.format("%02x", raw[i]));
    }
    return sb.toString();
  }

  private static String padBase64(String s) {
    return s + "=".repeat((4 - s.length() % 4) % 4);
  }

  private static String defaultName() {
    try {
      String host = java.net.InetAddress.getLocalHost().getHostName();
      int dot = host.indexOf('.');
      return (dot > 0 ? host.substring(0, dot) : host).toLowerCase(Locale.ROOT);
    } catch (IOException e) {
      return "node";
    }
  }

  public String id() {
    return id;
  }

  public String name() {
    return name;
  }

  /** The configured address SSH listens on (its port is the one every SSH address shares). */
  public InetSocketAddress sshAddress() {
    return sshAddress;
  }

  /**
   * Every address SSH listens on now: the configured one first, then this node's tailnet addresses
   * while Tailscale runs (they follow Tailscale, see {@link TailnetListeners}).
   */
  public List<InetSocketAddress> sshAddresses() {
    List<InetSocketAddress> out = new ArrayList<>();
    out.add(sshAddress);
    if (tailnet != null) {
      out.addAll(tailnet.sshAddresses());
    }
    return List.copyOf(out);
  }

  public Set<InetAddress> tailnetAddresses() {
    return tailnet == null ? Set.of() : tailnet.addresses();
  }

  public WhoIsResult whois(InetSocketAddress remote) {
    try (LocalApiClient ts = localApi()) {
      return ts.whois(remote);
    }
  }

  /** A LocalAPI client for this node's tailscaled; the caller closes it. */
  private LocalApiClient localApi() {
    Path socket = config.tailscaleSocket();
    return socket != null
        ? LocalApiClient.forSocket(socket, LocalApiClient.DEFAULT_TIMEOUT)
        : LocalApiClient.fromEnvironment();
  }

  /** The gateway's base URL, or null when it is off. */
  public String gatewayUrl() {
    return gatewayUrl;
  }

  public Supervisor supervisor() {
    return supervisor;
  }

  public Sessions sessions() {
    return sessions;
  }

  public JobManager jobs() {
    return jobs;
  }

  public HackHome home() {
    return config.home();
  }

  public Peers peers() {
    return peers;
  }

  public HubLinks hubs() {
    return hubs;
  }

  public NodeStatus status() {
    int running = 0;
    int total = 0;
    for (SessionInfo s : supervisor.list()) {
      total++;
      if (s.isRunning()) {
        running++;
      }
    }
    List<String> warnings = supervisor.warnings();
    return new NodeStatus(
        warnings.isEmpty() ? "ok" : "degraded",
        id,
        name,
        Version.get(),
        ProcessHandle.current().pid(),
        startedAt.toString(),
        Duration.between(startedAt, Instant.now()).toMillis(),
        total,
        running,
        new NodeStatus.Endpoint(sshAddress.getHostString(), sshAddress.getPort()),
        gatewayUrl == null ? null : new NodeStatus.Gateway(gatewayUrl),
        hostKeyFingerprint,
        tailnet == null ? new NodeStatus.Tailscale("disabled", null, null) : tailnet.status(),
        hubLinks(),
        warnings);
  }

  private List<NodeStatus.Hub> hubLinks() {
    HubLinks h = hubs;
    if (h == null) {
      return List.of();
    }
    List<NodeStatus.Hub> out = new ArrayList<>();
    for (HubLinks.LinkStatus l : h.status()) {
      out.add(
          new NodeStatus.Hub(
              l.hub(),
              l.address(),
              l.state(),
              l.since() == null ? null : l.since().toString(),
              l.tunnelPort(),
              l.error()));
    }
    return out;
  }

  /** Stops listening and ends the node's PTY sessions; tmux sessions keep running. */
  @Override
  public void close() {
    if (lock == null) {
      return; // another node owns this HACK_HOME: touch nothing of it
    }
    if (tailnet != null) {
      tailnet.close();
    }
    if (gateway != null) {
      try {
        gateway.close();
      } catch (Exception e) {
        LOG.warn("stopping the gateway: {}", e.toString());
      }
    }
    if (hubs != null) {
      hubs.close(); // first: a link must not see its own node go and dial again
    }
    if (ssh != null) {
      try {
        ssh.close();
      } catch (IOException e) {
        LOG.warn("stopping the SSH server: {}", e.toString());
      }
    }
    if (peers != null) {
      peers.close();
    }
    if (jobs != null) {
      jobs.close();
    }
    if (supervisor != null) {
      supervisor.close();
    }
    try {
      Files.deleteIfExists(config.home().nodeFile());
    } catch (IOException e) {
      LOG.debug("removing node.json: {}", e.toString());
    }
    lock.close();
    lock = null;
  }
}
