package dev.hack.node.supervisor;

/**
 * Where a {@link Follower} delivers a session's output: an SSH channel, a WebSocket, a test. At
 * most one send is outstanding per sink at any time.
 */
public interface Sink {
  /**
   * Starts sending {@code len} bytes of {@code data} from {@code off}. Implementations copy the
   * bytes before returning and never block; they call {@code onSent} (from any thread, possibly
   * before returning) once they can take more. A sink whose transport broke simply never calls it;
   * its owner closes the follower.
   */
  void send(byte[] data, int off, int len, Runnable onSent);
}
