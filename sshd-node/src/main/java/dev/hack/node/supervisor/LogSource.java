package dev.hack.node.supervisor;

import java.io.IOException;

/**
 * An append-only byte log that a {@link Follower} reads: a session's {@link OutputLog}, a job's
 * log. Bytes are addressed by offset from the start; {@link #end()} only grows, and is published
 * only after the bytes before it can be read.
 *
 * <p>How a follower hears that the log grew is its owner's business (a session hands it each chunk,
 * a job's subscribers are told); the source only answers what is there.
 *
 * <p>Implementations are thread-safe: reads may run concurrently with appends and with each other.
 */
public interface LogSource {
  /** The offset one past the last byte that can be read now. */
  long end();

  /**
   * Reads up to {@code len} bytes at {@code from} (below {@link #end()}) into {@code dst}; never
   * waits for more. Returns how many bytes were read. A source may return fewer than are there, or
   * none, when the bytes at {@code from} cannot be used yet (half a character); a follower then
   * waits for the end to move or the log to {@link #complete()}.
   *
   * @throws IOException if the log cannot be read
   */
  int read(long from, byte[] dst, int off, int len) throws IOException;

  /**
   * Whether no byte will ever be appended: once this is seen true, an {@link #end()} read after it
   * is final. A session's log is never complete (it may be restarted); a job's is once the job's
   * output has ended.
   */
  default boolean complete() {
    return false;
  }
}
