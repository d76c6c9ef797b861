package dev.hack.node.ssh;

import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.server.ServerFactoryManager;
import org.apache.sshd.server.session.ServerSessionImpl;

/**
 * The node's server session: MINA's, and it says how many packets it has received, so that {@link
 * KeepAlive} counts any packet from the client as a sign of life, as OpenSSH's server does.
 */
final class NodeServerSession extends ServerSessionImpl {
  NodeServerSession(ServerFactoryManager server, IoSession io) throws Exception {
    super(server, io);
  }

  /** Packets received since the last key exchange; a change means the client sent something. */
  long packetsIn() {
    return inPacketsCount.get();
  }
}
