package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

/** A supervised session: something a client can list, attach to, read and stop. */
public abstract sealed class Session permits PtySession, TmuxSession {
  public abstract String id();

  public abstract SessionInfo info();

  public abstract boolean isRunning();

  /**
   * Attaches a client. The sink first receives the current screen, then live output. {@code onEnd}
   * runs once when the session ends while attached (after every byte was sent), not on detach.
   *
   * @throws IllegalStateException if the session is not running
   */
  public abstract Attachment attach(
      Sink sink, PtySize size, boolean readOnly, Consumer<Attachment.End> onEnd) throws IOException;

  /**
   * Attaches the client that has just started this session ({@code new --attach}): for a session
   * whose output a node keeps, the sink gets the output from its first byte rather than a screen.
   * By default the same as {@link #attach}.
   */
  public Attachment attachFromStart(Sink sink, PtySize size, Consumer<Attachment.End> onEnd)
      throws IOException {
    return attach(sink, size, false, onEnd);
  }

  /** Writes {@code input} to the session as if typed. */
  public abstract void send(byte[] input) throws IOException;

  /** The session's output log. */
  public abstract OutputLog log();

  /**
   * Streams the log from {@code from} to {@code sink}; {@code onEnd} runs when the session has
   * ended and every byte was sent. A session that already ended ends the stream at once.
   */
  public abstract Follower follow(long from, Sink sink, Runnable onEnd);

  /**
   * Sends the log from {@code from} up to its end as of now, then runs {@code onDone}.
   *
   * @throws IllegalArgumentException if {@code from} is negative or past the end
   */
  public Follower read(long from, Sink sink, Runnable onDone) {
    OutputLog log = log();
    log.refresh();
    long end = log.end();
    if (from < 0 || from > end) {
      throw new IllegalArgumentException(
          "offset " + from + " is outside the log of " + id() + " (0.." + end + " bytes)");
    }
    Follower f = new Follower(log, sink, from, null, 0);
    f.limit(end);
    f.whenDrained(onDone);
    return f;
  }

  /** Stops a stream started with {@link #follow}. */
  public abstract void unfollow(Follower follower);

  /** Ends the session's processes: SIGHUP and SIGTERM to the group, SIGKILL after the grace. */
  public abstract void stop(Duration grace) throws IOException;

  /**
   * The first half of {@link #stop}, which does not wait: SIGHUP and SIGTERM to the group now; a
   * {@code stop} after it only waits (and kills what outlives the grace, counted from here). A
   * command that stops many sessions hangs every one of them up first, so they end together instead
   * of a few at a time.
   */
  public void hangUp() {}

  /** Starts the session's command again under the same id and log. */
  public abstract void restart(Duration grace) throws IOException;

  /** Releases the node's resources for this session; the processes are not touched. */
  abstract void closeResources();
}
