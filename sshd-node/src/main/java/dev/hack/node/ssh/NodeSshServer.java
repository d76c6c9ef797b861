package dev.hack.node.ssh;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.node.Version;
import dev.hack.node.api.ChannelApp;
import dev.hack.node.mesh.tailscale.TailnetRanges;
import dev.hack.node.service.NodeContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.ServiceFactory;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.mac.Mac;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.session.ServerUserAuthServiceFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's SSH server: public-key auth against {@code authorized_keys}, login by tailnet identity
 * where {@code config.json} allows it ({@link TailnetLogins}), and the command table of DESIGN.md
 * on every exec and shell channel.
 */
public final class NodeSshServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSshServer.class);

  /**
   * @param keepAlive interval of the server's keepalive requests
   * @param keepAliveMax unanswered keepalives after which a client is dropped
   * @param shellApp what a shell request with a pty and no command runs (the session picker), or
   *     null to print the session list and usage as for a shell without a pty
   * @param tailnetClients which client addresses count as tailnet addresses for login by tailnet
   *     identity (docs/ssh.md); null for Tailscale's ranges ({@link TailnetRanges}), which is what
   *     a real tailnet needs. Tests that play a tailnet on loopback widen it.
   */
  public record Settings(
      Duration keepAlive,
      int keepAliveMax,
      ChannelApp.Factory shellApp,
      Predicate<InetAddress> tailnetClients,
      Limits limits) {
    public Settings {
      if (tailnetClients == null) {
        tailnetClients = TailnetRanges::contains;
      }
      if (limits == null) {
        limits = Limits.DEFAULTS;
      }
    }

    public Settings(Duration keepAlive, int keepAliveMax, ChannelApp.Factory shellApp) {
      this(keepAlive, keepAliveMax, shellApp, null, null);
    }

    public Settings(Duration keepAlive, int keepAliveMax) {
      this(keepAlive, keepAliveMax, null, null, null);
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(15), 3);
    }

    /** These settings with {@code app} served to a bare {@code ssh -t NODE}. */
    public Settings withShellApp(ChannelApp.Factory app) {
      return new Settings(keepAlive, keepAliveMax, app, tailnetClients, limits);
    }

    /** These settings with {@code clients} as the test for tailnet client addresses. */
    public Settings withTailnetClients(Predicate<InetAddress> clients) {
      return new Settings(keepAlive, keepAliveMax, shellApp, clients, limits);
    }

    /** These settings with other limits. */
    public Settings withLimits(Limits other) {
      return new Settings(keepAlive, keepAliveMax, shellApp, tailnetClients, other);
    }
  }

  /**
   * What one client may hold (docs/security.md). OpenSSH's sshd has the same kinds of limit: {@code
   * LoginGraceTime}, {@code MaxAuthTries}, {@code MaxSessions}, {@code MaxStartups}.
   *
   * @param loginTime how long a connection may take from its first byte to a successful login
   * @param authAttempts how many keys and methods a connection may try
   * @param channelsPerConnection how many channels (commands, attaches, forwards) one connection
   *     may have open at once
   * @param connectionsPerRemote connections one client address may hold
   * @param loggingInPerRemote connections one client address may hold that have not logged in yet
   */
  public record Limits(
      Duration loginTime,
      int authAttempts,
      int channelsPerConnection,
      int connectionsPerRemote,
      int loggingInPerRemote) {
    public static final Limits DEFAULTS = new Limits(Duration.ofSeconds(30), 10, 64, 64, 10);

    public Limits {
      if (loginTime.isNegative()
          || loginTime.isZero()
          || authAttempts < 1
          || channelsPerConnection < 1
          || connectionsPerRemote < 1
          || loggingInPerRemote < 1) {
        throw new IllegalArgumentException("every SSH limit must be positive");
      }
    }

    /** These limits with another login time. */
    public Limits withLoginTime(Duration d) {
      return new Limits(
          d, authAttempts, channelsPerConnection, connectionsPerRemote, loggingInPerRemote);
    }

    /** These limits with other connection caps per client address. */
    public Limits withPerRemote(int connections, int loggingIn) {
      return new Limits(loginTime, authAttempts, channelsPerConnection, connections, loggingIn);
    }
  }

  /**
   * The ciphers offered: OpenSSH sshd's modern set. The client's order decides (RFC 4253 7.1), so
   * this order only matters to clients without one. Dropbear's dbclient has only ChaCha20-Poly1305
   * and AES-CTR, libssh2 before 1.11 (Blink) only AES-CTR; no CBC, no arcfour (docs/ssh.md).
   * ChaCha20-Poly1305, which OpenSSH clients pick first, runs on the JDK's ChaCha20 ({@link
   * ChaCha20Poly1305}) rather than MINA's slower one.
   */
  static final List<NamedFactory<Cipher>> CIPHERS =
      List.of(
          BuiltinCiphers.aes128gcm,
          BuiltinCiphers.aes256gcm,
          ChaCha20Poly1305.FACTORY,
          BuiltinCiphers.aes128ctr,
          BuiltinCiphers.aes192ctr,
          BuiltinCiphers.aes256ctr);

  /**
   * The MACs offered, for AES-CTR (the AEAD ciphers carry their own). Encrypt-then-MAC first; the
   * plain SHA-2 HMACs because libssh2 before 1.11 and dbclient have no ETM. No SHA-1, no MD5.
   */
  static final List<NamedFactory<Mac>> MACS =
      List.of(
          BuiltinMacs.hmacsha256etm,
          BuiltinMacs.hmacsha512etm,
          BuiltinMacs.hmacsha256,
          BuiltinMacs.hmacsha512);

  /** How long a login waits for a tailnet verdict at most: the WhoIs's 2 s bound and a margin. */
  private static final Duration TAILNET_WAIT = Duration.ofSeconds(3);

  /** How many connections may wait to be accepted, on every address: sshd's {@code listen(128)}. */
  public static final int LISTEN_BACKLOG = 128;

  private final ListeningServer server;

  /** The calls (channels) now open, so that attached clients hear why the node goes away. */
  private final java.util.Set<SshCall> live = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** How long stopping waits for attached clients to have been told. */
  private static final Duration TELL_WAIT = Duration.ofSeconds(3);

  private final NodeContext context;

  /**
   * Before the connections close: every attached client gets one line saying the node is stopping
   * and whether its session goes on, and its channel ends with exit status 75 (try again).
   */
  private void tellAttachedClients() {
    boolean survive = context.supervisor().sessionsOutliveNode();
    List<SshCall> told = new ArrayList<>();
    for (SshCall c : live) {
      if (c.nodeStopping(survive)) {
        told.add(c);
      }
    }
    // told means closed: the exit status went out, and the client answered the channel's close
    // (stopping the server right after sending it could lose it in the socket being closed)
    long deadline = System.nanoTime() + TELL_WAIT.toNanos();
    for (SshCall c : told) {
      while (live.contains(c) && System.nanoTime() < deadline) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    // then their connections close gracefully, which writes out what is still queued; stopping
    // the server closes them at once and drops it (ssh then exited 255 instead of 75)
    List<org.apache.sshd.common.future.CloseFuture> closing = new ArrayList<>();
    for (SshCall c : told) {
      closing.add(c.session().close(false));
    }
    for (org.apache.sshd.common.future.CloseFuture f : closing) {
      long left = deadline - System.nanoTime();
      try {
        if (left <= 0 || !f.await(Duration.ofNanos(left))) {
          break;
        }
      } catch (java.io.IOException e) {
        break; // interrupted: stop now
      }
    }
  }

  private final ExecutorService executor;
  private final KeepAlive keepAlive;
  private final LoginWatch logins;
  private volatile InetSocketAddress first;

  public NodeSshServer(
      AuthorizedKeys authorizedKeys, KeyPair hostKey, NodeContext node, Settings settings) {
    this.context = node;
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "ssh-command-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    // SshServer.setUpDefaultServer(), with a server that can listen on more addresses later
    server = (ListeningServer) ServerBuilder.builder().factory(ListeningServer::new).build();
    server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
    // session channels send their exit status before EOF, as sshd does (ExitStatusFirst)
    List<org.apache.sshd.common.channel.ChannelFactory> channels = new ArrayList<>();
    for (org.apache.sshd.common.channel.ChannelFactory f : server.getChannelFactories()) {
      channels.add("session".equals(f.getName()) ? ExitStatusFirst.FACTORY : f);
    }
    server.setChannelFactories(channels);
    TailnetLogins tailnet =
        new TailnetLogins(node, settings.tailnetClients(), executor, TAILNET_WAIT);
    server.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
    // the "none" method (which clients try first) lets an allowed tailnet identity in without a
    // key; MINA's own user-auth service cannot (see TailnetLogins)
    List<ServiceFactory> services = new ArrayList<>();
    for (ServiceFactory f : SshServer.DEFAULT_SERVICE_FACTORIES) {
      services.add(f instanceof ServerUserAuthServiceFactory ? tailnet.userAuthService() : f);
    }
    server.setServiceFactories(services);
    server.setPasswordAuthenticator(null);
    server.setKeyboardInteractiveAuthenticator(null);
    server.setGSSAuthenticator(null);
    server.setHostBasedAuthenticator(null);
    server.setPublickeyAuthenticator(
        (user, key, session) -> {
          if (authorizedKeys.isAuthorized(key)) {
            session.setAttribute(MeshCommands.AUTH_KEY, key); // peer join checks who is asking
            return true;
          }
          // on a tailnet address an allowed tailnet identity gets in with whatever key it offers
          boolean ok = tailnet.allows(session);
          if (!ok) {
            SshAudit.loginRefused(node.home(), session, key);
            LOG.info(
                "refused key {} for {} from {}",
                dev.hack.keys.KeyFiles.fingerprint(key),
                user,
                session.getClientAddress());
          }
          return ok;
        });
    server.setCipherFactories(CIPHERS);
    server.setMacFactories(MACS);
    // remote forwards let a node behind NAT join a hub (hack node join); loopback only
    server.setForwardingFilter(LoopbackForwarding.INSTANCE);
    // ...and, for tailnet logins, only with the control role
    server.setForwardingFilter(new TailnetForwarding(server.getForwardingFilter()));
    server.addPortForwardingEventListener(MeshCommands.TUNNELS);
    // interactive traffic: never hold a small write back for an ACK (OpenSSH does the same)
    CoreModuleProperties.TCP_NODELAY.set(server, true);
    // sshd's listen backlog; MINA's default of 50 refuses a burst of reconnecting clients (every
    // phone after a network change) with SYNs dropped and retried a second later
    CoreModuleProperties.SOCKET_BACKLOG.set(server, LISTEN_BACKLOG);
    CoreModuleProperties.SERVER_IDENTIFICATION.set(server, "hack_" + Version.get());
    CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
    CoreModuleProperties.NIO2_READ_TIMEOUT.set(server, Duration.ZERO);
    Limits limits = settings.limits();
    CoreModuleProperties.AUTH_TIMEOUT.set(server, limits.loginTime());
    CoreModuleProperties.MAX_AUTH_REQUESTS.set(server, limits.authAttempts());
    CoreModuleProperties.MAX_CONCURRENT_CHANNELS.set(server, limits.channelsPerConnection());
    server.setSessionDisconnectHandler(new LoginTimeouts(node.home(), limits));
    server.addSessionListener(
        new ConnectionLimits(
            limits.connectionsPerRemote(),
            limits.loggingInPerRemote(),
            (remote, why) -> SshAudit.connectionRefused(node.home(), remote, why)));
    keepAlive = new KeepAlive(settings.keepAlive(), settings.keepAliveMax());
    server.addSessionListener(keepAlive);
    server.addSessionListener(
        new SessionListener() {
          @Override
          public void sessionCreated(Session session) {
            if (session instanceof ServerSession s) {
              tailnet.started(s);
            }
          }

          @Override
          public void sessionEvent(Session session, Event event) {
            if (event == Event.Authenticated && session instanceof ServerSession s) {
              TailnetLogins.logLogin(s);
              SshAudit.login(node.home(), s);
            }
          }
        });
    logins =
        new LoginWatch(
            server,
            authorizedKeys,
            tailnet,
            (session, why) -> SshAudit.loginEnded(node.home(), session, why));
    server.setCommandFactory(
        (channel, command) -> new ChannelCommand(command, node, executor, null, live));
    server.setShellFactory(
        channel -> new ChannelCommand(null, node, executor, settings.shellApp(), live));
  }

  /**
   * Binds and starts listening; returns the bound address (port 0 picks a free port). {@code host}
   * may list several hosts separated by commas (MINA binds each, all on one port, and fails if any
   * fails); {@link #listenAlso} adds addresses one at a time instead.
   */
  public InetSocketAddress start(String host, int port) throws IOException {
    server.setHost(host);
    server.setPort(port);
    server.start();
    logins.start();
    for (SocketAddress a : server.getBoundAddresses()) {
      if (a instanceof InetSocketAddress inet) {
        first = inet;
        return inet;
      }
    }
    first = new InetSocketAddress(host, server.getPort());
    return first;
  }

  /**
   * Also listens on {@code ip}, at the port {@link #start} bound. Call after {@link #start}.
   *
   * @return the address now listening
   * @throws IOException if {@code ip} cannot be bound (not an address of this machine, or the port
   *     is taken there); nothing changes then
   */
  public synchronized InetSocketAddress listenAlso(InetAddress ip) throws IOException {
    if (first == null) {
      throw new IllegalStateException("start the server first");
    }
    InetSocketAddress wanted = new InetSocketAddress(ip, first.getPort());
    server.bind(wanted);
    for (SocketAddress a : server.getBoundAddresses()) {
      if (a instanceof InetSocketAddress inet && ip.equals(inet.getAddress())) {
        return inet;
      }
    }
    return wanted;
  }

  /** Stops listening on {@code ip} (added by {@link #listenAlso}); connections stay. Idempotent. */
  public synchronized void stopListening(InetAddress ip) {
    for (SocketAddress a : server.getBoundAddresses()) {
      if (a instanceof InetSocketAddress inet && ip.equals(inet.getAddress())) {
        server.unbind(inet);
      }
    }
  }

  /** Every address the server listens on now, in no particular order. */
  public List<InetSocketAddress> addresses() {
    return server.getBoundAddresses().stream()
        .filter(InetSocketAddress.class::isInstance)
        .map(InetSocketAddress.class::cast)
        .toList();
  }

  /** MINA's server, with its acceptor's bind and unbind opened for {@link #listenAlso}. */
  private static final class ListeningServer extends SshServer {
    @Override
    protected org.apache.sshd.server.session.SessionFactory createSessionFactory() {
      return KeepAlive.sessionFactory(this); // sessions that count what they receive
    }

    void bind(InetSocketAddress address) throws IOException {
      acceptor.bind(address);
    }

    void unbind(InetSocketAddress address) {
      acceptor.unbind(address);
    }
  }

  @Override
  public void close() throws IOException {
    logins.close();
    tellAttachedClients();
    server.stop(true);
    keepAlive.close();
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
