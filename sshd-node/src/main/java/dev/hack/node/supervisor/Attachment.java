package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;

/**
 * One client attached to a session: its input goes to the session (unless read-only), its size
 * becomes the session's (last resize wins), and it receives the screen and then the output.
 */
public interface Attachment {
  /** Writes keyboard input to the session; ignored for read-only attachments. */
  void input(byte[] data, int off, int len);

  /** The client's terminal changed size. */
  void resize(PtySize size);

  /** Leaves the session running and stops sending to this client. Idempotent. */
  void detach();

  /** How the session ended for an attachment whose end callback ran. */
  record End(boolean sessionExited, Integer exitCode) {}
}
