package dev.hack.node.ssh;

import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.forward.ForwardingFilter;

/**
 * Port forwarding for tailnet logins: only the {@code control} role may forward (a forward reaches
 * the node's loopback services, which is more than viewing or attaching to sessions). Key logins
 * and {@code control} logins get what {@code delegate} allows.
 */
final class TailnetForwarding implements ForwardingFilter {
  private final ForwardingFilter delegate;

  TailnetForwarding(ForwardingFilter delegate) {
    this.delegate = delegate;
  }

  private static boolean mayForward(Session session) {
    TailnetLogin login = TailnetLogin.of(session);
    return login == null || login.role().allows(TailnetRole.CONTROL);
  }

  @Override
  public boolean canListen(SshdSocketAddress address, Session session) {
    return mayForward(session) && delegate.canListen(address, session);
  }

  @Override
  public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
    return mayForward(session) && delegate.canConnect(type, address, session);
  }

  @Override
  public boolean canForwardAgent(Session session, String requestType) {
    return mayForward(session) && delegate.canForwardAgent(session, requestType);
  }

  @Override
  public boolean canForwardX11(Session session, String requestType) {
    return mayForward(session) && delegate.canForwardX11(session, requestType);
  }
}
