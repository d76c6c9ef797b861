package dev.hack.node.ssh;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.node.Version;
import dev.hack.node.supervisor.Supervisor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's SSH server: public-key auth against {@code authorized_keys} only, and the command
 * table of DESIGN.md on every exec and shell channel.
 */
public final class NodeSshServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeSshServer.class);

  /**
   * @param keepAlive interval of the server's keepalive requests
   * @param keepAliveMax unanswered keepalives after which a client is dropped
   * @param shellApp what a shell request with a pty and no command runs (the session picker), or
   *     null to print the session list and usage as for a shell without a pty
   */
  public record Settings(Duration keepAlive, int keepAliveMax, ChannelApp.Factory shellApp) {
    public Settings(Duration keepAlive, int keepAliveMax) {
      this(keepAlive, keepAliveMax, null);
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(15), 3);
    }

    /** These settings with {@code app} served to a bare {@code ssh -t NODE}. */
    public Settings withShellApp(ChannelApp.Factory app) {
      return new Settings(keepAlive, keepAliveMax, app);
    }
  }

  private final SshServer server;
  private final ExecutorService executor;
  private final KeepAlive keepAlive;

  public NodeSshServer(
      Supervisor supervisor,
      AuthorizedKeys authorizedKeys,
      KeyPair hostKey,
      NodeInfo node,
      Settings settings) {
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "ssh-command-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server = SshServer.setUpDefaultServer();
    server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
    server.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
    server.setPasswordAuthenticator(null);
    server.setKeyboardInteractiveAuthenticator(null);
    server.setGSSAuthenticator(null);
    server.setHostBasedAuthenticator(null);
    server.setPublickeyAuthenticator(
        (user, key, session) -> {
          boolean ok = authorizedKeys.isAuthorized(key);
          if (ok) {
            session.setAttribute(JoinCommands.AUTH_KEY, key); // peer join checks who is asking
          } else {
            LOG.info(
                "refused key {} for {} from {}",
                dev.hack.keys.KeyFiles.fingerprint(key),
                user,
                session.getClientAddress());
          }
          return ok;
        });
    // AES-GCM runs on the CPU's AES instructions; MINA's ChaCha20 is plain Java, and OpenSSH
    // clients prefer it (and AES-CTR) whenever the server offers them.
    server.setCipherFactories(List.of(BuiltinCiphers.aes128gcm, BuiltinCiphers.aes256gcm));
    // remote forwards let a node behind NAT join a hub (hack node join); loopback only
    server.setForwardingFilter(LoopbackForwarding.INSTANCE);
    server.addPortForwardingEventListener(JoinCommands.TUNNELS);
    CoreModuleProperties.SERVER_IDENTIFICATION.set(server, "hack_" + Version.get());
    CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
    CoreModuleProperties.NIO2_READ_TIMEOUT.set(server, Duration.ZERO);
    CoreModuleProperties.AUTH_TIMEOUT.set(server, Duration.ofSeconds(30));
    keepAlive = new KeepAlive(settings.keepAlive(), settings.keepAliveMax());
    server.addSessionListener(keepAlive);
    server.setCommandFactory(
        (channel, command) -> new ChannelCommand(command, supervisor, node, executor, null));
    server.setShellFactory(
        channel -> new ChannelCommand(null, supervisor, node, executor, settings.shellApp()));
  }

  /** Binds and starts listening; returns the bound address (port 0 picks a free port). */
  public InetSocketAddress start(String host, int port) throws IOException {
    server.setHost(host);
    server.setPort(port);
    server.start();
    for (SocketAddress a : server.getBoundAddresses()) {
      if (a instanceof InetSocketAddress inet) {
        return inet;
      }
    }
    return new InetSocketAddress(host, server.getPort());
  }

  @Override
  public void close() throws IOException {
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
