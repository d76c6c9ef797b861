package dev.hack.node.ssh;

import java.io.IOException;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.server.channel.ChannelSession;

/**
 * Session channels that end as OpenSSH's sshd ends them: {@code exit-status}, then EOF, then CLOSE.
 * MINA's {@code ChannelSession} sends EOF first. A client that answers EOF with CLOSE at once (an
 * OpenSSH ControlMaster with {@code ssh -n}) could close the channel before MINA sent the status,
 * which was then dropped: about 1 command in 1,800 through a ControlMaster under load ended with
 * 255 and no message although it had worked.
 */
final class ExitStatusFirst extends ChannelSession {
  /** The factory for {@code session} channels. */
  static final ChannelFactory FACTORY =
      new ChannelFactory() {
        @Override
        public String getName() {
          return "session";
        }

        @Override
        public Channel createChannel(Session session) {
          return new ExitStatusFirst();
        }
      };

  @Override
  protected void closeShell(int exitValue, boolean immediately) throws IOException {
    if (isClosing()) {
      commandExitFuture.setClosed();
      return;
    }
    if (out != null) {
      out.close();
    }
    sendExitStatus(exitValue); // before EOF: after it, the client may close the channel
    sendEof();
    commandExitFuture.setClosed();
    close(immediately);
  }
}
