package dev.hack.node.supervisor;

/**
 * Messages a {@link Follower} sends between a log's bytes, in order, each once the bytes before its
 * place in the log have been sent: a job's events on the gateway's job stream. They share the
 * follower's one send in flight with the log's bytes.
 *
 * <p>Called only by the follower's pumping thread, one call at a time, never under its lock.
 */
public interface Marks {
  /**
   * The log offset the next message waits for: it is sent once the log has been sent up to there.
   * Returns -1 when there is no message to send now. May look for new messages (cheaply: it runs on
   * the pump's thread, between sends).
   */
  long next();

  /**
   * Sends the message {@link #next()} announced. Like {@link Sink#send}: never blocks, and calls
   * {@code onSent} (from any thread, possibly before returning) once another send may start.
   */
  void send(Runnable onSent);
}
