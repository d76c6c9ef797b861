package dev.hack.node.ssh;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.KeyFiles;
import dev.hack.node.NodeFailures;
import java.io.IOException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.helpers.AbstractSession;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authorization is not only checked at login: every {@link #PERIOD} this looks at each logged-in
 * connection again and ends those whose right to be here is gone, as the gateway ends the streams
 * of a revoked token. A key login ends when its key is no longer in {@code authorized_keys} ({@code
 * hack keys} or a hand edit); a tailnet login when its identity is no longer listed, its role was
 * lowered, or tailnet logins were turned off ({@link TailnetLogins#recheck}). The client is told
 * why in the SSH disconnect message (OpenSSH prints it), and everything the connection had open
 * (attaches, commands, forwards) ends with it. Owns one thread, {@code ssh-login-watch}.
 */
final class LoginWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoginWatch.class);

  /** How often logins are checked again. */
  static final Duration PERIOD = Duration.ofSeconds(1);

  /** Gone-away reasons are told to whoever watches (the audit log): the address and why. */
  interface Ends {
    void ended(ServerSession session, String why);
  }

  private final SshServer server;
  private final AuthorizedKeys keys;
  private final TailnetLogins tailnet;
  private final Ends ends;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "ssh-login-watch");
            t.setDaemon(true);
            return t;
          });

  LoginWatch(SshServer server, AuthorizedKeys keys, TailnetLogins tailnet, Ends ends) {
    this.server = server;
    this.keys = keys;
    this.tailnet = tailnet;
    this.ends = ends;
  }

  void start() {
    timer.scheduleWithFixedDelay(
        NodeFailures.guarded("login recheck", this::check),
        PERIOD.toMillis(),
        PERIOD.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private void check() {
    for (AbstractSession s : server.getActiveSessions()) {
      if (!(s instanceof ServerSession session) || !session.isAuthenticated() || !s.isOpen()) {
        continue;
      }
      Optional<String> why = reasonToEnd(session);
      if (why.isPresent()) {
        LOG.info("{}: disconnecting: {}", session.getClientAddress(), why.get());
        ends.ended(session, why.get());
        try {
          session.disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, why.get());
        } catch (IOException | RuntimeException e) {
          s.close(true);
        }
      }
    }
  }

  private Optional<String> reasonToEnd(ServerSession session) {
    if (TailnetLogin.of(session) != null) {
      return tailnet.recheck(session);
    }
    PublicKey key = session.getAttribute(MeshCommands.AUTH_KEY);
    if (key != null && !keys.isAuthorized(key)) {
      return Optional.of(
          "the key " + KeyFiles.fingerprint(key) + " is no longer in this node's authorized_keys");
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
