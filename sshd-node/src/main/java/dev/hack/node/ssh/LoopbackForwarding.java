package dev.hack.node.ssh;

import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.forward.ForwardingFilter;

/**
 * Port forwarding on the node's SSH server, loopback only: a remote forward ({@code ssh -R}, and
 * how {@code hack node join} reaches a hub) may listen on the node's loopback address, and a local
 * forward ({@code ssh -L}, e.g. to the gateway on 127.0.0.1:7788) may connect to it. Nothing
 * listens on or connects to another address, and agent and X11 forwarding are off. Every session
 * that gets this far has logged in with an authorized key, which can already run a shell here.
 */
final class LoopbackForwarding implements ForwardingFilter {
  static final LoopbackForwarding INSTANCE = new LoopbackForwarding();

  private LoopbackForwarding() {}

  @Override
  public boolean canListen(SshdSocketAddress address, Session session) {
    return isLoopback(address);
  }

  @Override
  public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
    return isLoopback(address);
  }

  @Override
  public boolean canForwardAgent(Session session, String requestType) {
    return false;
  }

  @Override
  public boolean canForwardX11(Session session, String requestType) {
    return false;
  }

  static boolean isLoopback(SshdSocketAddress address) {
    String host = address.getHostName();
    return host != null
        && (host.equalsIgnoreCase("localhost") || SshdSocketAddress.isLoopback(host));
  }
}
