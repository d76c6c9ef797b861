package dev.hack.node.ssh;

import dev.hack.keys.HackHome;
import dev.hack.node.text.Ages;
import java.io.IOException;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionDisconnectHandler;
import org.apache.sshd.common.session.helpers.TimeoutIndicator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the node says when a connection does not log in within the login time ({@code
 * LoginGraceTime}): the client gets a disconnect that says so, the node's log a line, and the audit
 * log a {@code login_timeout}. MINA's own answer was a protocol error naming no cause, which the
 * client showed as a corrupt packet, and nothing was logged.
 */
final class LoginTimeouts implements SessionDisconnectHandler {
  private static final Logger LOG = LoggerFactory.getLogger(LoginTimeouts.class);

  private final HackHome home;
  private final NodeSshServer.Limits limits;

  LoginTimeouts(HackHome home, NodeSshServer.Limits limits) {
    this.home = home;
    this.limits = limits;
  }

  /** The message the client gets. */
  String message() {
    return "no login within "
        + Ages.of(limits.loginTime())
        + " (the node's login time); connect again";
  }

  @Override
  public boolean handleTimeoutDisconnectReason(Session session, TimeoutIndicator timeout)
      throws IOException {
    if (timeout.getStatus() != TimeoutIndicator.TimeoutStatus.AuthTimeout) {
      return false; // MINA's own handling
    }
    String why = message();
    LOG.info("{}: {}", session.getRemoteAddress(), why);
    if (session instanceof ServerSession s) {
      SshAudit.loginTimedOut(home, s, why);
    }
    session.disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, why);
    return true; // disconnected here, with the message
  }
}
