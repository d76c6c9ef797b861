package dev.hack.node.supervisor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One client's position in a log ({@link LogSource}: a session's {@link OutputLog}, a job's log),
 * and the pump that moves bytes from the log to its {@link Sink}. It is the one way output reaches
 * a client: an attached terminal, {@code logs --follow}, {@code job logs --follow} over SSH, and
 * the gateway's shell and job streams.
 *
 * <p>The session's reader hands each new chunk to {@link #offer}; a follower that is caught up and
 * idle sends it straight on (the hot path: no copy through the log, no thread hop). A follower that
 * is busy simply falls behind: it catches up from the log file when its sink reports the previous
 * send done. Nothing here ever blocks the reader, so a stalled client costs only its position,
 * never memory or the other clients' latency. A follower with a screen source that falls more than
 * {@code maxLag} bytes behind skips ahead: it is sent a fresh screen and continues from there, as
 * tmux does for a slow client.
 *
 * <p>The one exception to "never blocks the reader" is pacing: a session's reader may wait in
 * {@link #awaitWithin} for the one attached client that paces its program (see {@link PtySession}),
 * as sshd stops reading a PTY while its client's window is closed. That wait is bounded: a follower
 * whose cursor does not move for the stall bound lets the reader go.
 *
 * <p>A follower built with {@link #over} (a job's log) is not handed chunks: it is {@link #poke}d
 * when its log changes and reads everything from the log. It may pump on an executor, so that
 * whoever pokes it (a job's threads, which must not block) never reads a log or sends, and it may
 * send {@link Marks} between the bytes (a job's events), through the same one send in flight.
 *
 * <p>Thread-safe; at most one send is outstanding. The pump runs on one thread at a time: the
 * caller's (the session's reader, the sink's completion thread) or, if it has one, the executor's.
 */
public final class Follower {
  private static final int CHUNK = 64 * 1024;

  /**
   * Read buffers for followers that pump on an executor: one per pumping thread rather than one per
   * follower, so a thousand idle job streams do not hold 64 KiB each. Sharing is safe because a
   * sink copies what it is given before it returns.
   */
  private static final ThreadLocal<byte[]> POOLED = ThreadLocal.withInitial(() -> new byte[CHUNK]);

  private final LogSource log;
  private final Sink sink;
  private final Supplier<Snapshot> screen;
  private final long maxLag;
  private final Executor executor; // null: the pump runs on the caller's thread
  private final Consumer<IOException> onReadError; // null: a read error is thrown to the caller
  private final Marks marks; // null: nothing goes between the bytes
  private byte[] buffer;
  private volatile long cursor; // written under this; read without it by lag()
  private boolean inFlight;
  private boolean pumping;
  private boolean closed;
  private boolean woken; // poked since the pump last looked: look again before going idle
  private long heldAt = -1; // the end at which the bytes at the cursor could not be used yet
  private Runnable whenDrained;
  private long resyncs;
  private boolean stale; // missed output that was never logged: needs a fresh screen
  private long limit = Long.MAX_VALUE;
  private int waiters; // readers in awaitWithin: told when the cursor moves or the follower closes

  /**
   * @param screen source of fresh screens for resync, or null for a raw follower that must see
   *     every byte (logs)
   */
  Follower(LogSource log, Sink sink, long from, Supplier<Snapshot> screen, long maxLag) {
    this(log, sink, from, screen, maxLag, null, null, null);
  }

  private Follower(
      LogSource log,
      Sink sink,
      long from,
      Supplier<Snapshot> screen,
      long maxLag,
      Executor executor,
      Consumer<IOException> onReadError,
      Marks marks) {
    this.log = Objects.requireNonNull(log, "log");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.cursor = from;
    this.screen = screen;
    this.maxLag = maxLag;
    this.executor = executor;
    this.onReadError = onReadError;
    this.marks = marks;
  }

  /** A raw follower of {@code log}: every byte from an offset, in order, to {@code sink}. */
  public static Builder over(LogSource log, Sink sink) {
    return new Builder(log, sink);
  }

  /** What a raw follower reads, from where, and what it does when the log cannot be read. */
  public static final class Builder {
    private final LogSource log;
    private final Sink sink;
    private long from;
    private Executor executor;
    private Consumer<IOException> onReadError;
    private Marks marks;

    private Builder(LogSource log, Sink sink) {
      this.log = log;
      this.sink = sink;
    }

    /** Starts at {@code offset} (default 0). */
    public Builder from(long offset) {
      if (offset < 0) {
        throw new IllegalArgumentException("negative offset " + offset);
      }
      this.from = offset;
      return this;
    }

    /**
     * Runs the pump (log reads, sends) on {@code executor}, never on the thread that pokes the
     * follower or completes its sends.
     */
    public Builder pumpOn(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * When a read of the log fails, the follower closes itself (nothing more is sent, {@link
     * #whenDrained} never runs) and calls {@code handler} on the pumping thread. Without one, the
     * read's exception is thrown to whichever thread was pumping.
     */
    public Builder onReadError(Consumer<IOException> handler) {
      this.onReadError = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Sends {@code marks}' messages between the log's bytes. The follower counts as drained only
     * when there is none left to send either.
     */
    public Builder marks(Marks marks) {
      this.marks = Objects.requireNonNull(marks, "marks");
      return this;
    }

    /** The follower, not yet sending: see {@link Follower#start()} and {@link #whenDrained}. */
    public Follower build() {
      return new Follower(log, sink, from, null, 0, executor, onReadError, marks);
    }
  }

  /** Sends {@code first} (a screen), then the log from its offset. */
  void start(Snapshot first) {
    boolean send;
    synchronized (this) {
      cursor = first.offset();
      moved();
      send = !closed && first.bytes().length > 0;
      if (send) {
        inFlight = true;
      }
    }
    if (send) {
      sink.send(first.bytes(), 0, first.bytes().length, this::onSent);
    } else {
      wake();
    }
  }

  /** Starts sending from the cursor given at construction. */
  public void start() {
    wake();
  }

  /** Called by the session's reader after it appended {@code len} bytes at {@code start}. */
  void offer(byte[] data, int off, long start, int len) {
    synchronized (this) {
      if (closed || inFlight || pumping || cursor != start) {
        return; // the pump will read these bytes from the log
      }
      inFlight = true;
      cursor = start + len;
      moved();
    }
    sink.send(data, off, len, this::onSent);
  }

  /**
   * Called by the session's reader for output that could not be written to the log (a full disk): a
   * follower that is caught up and idle sends it on, so an attached client keeps seeing its
   * program; a busy one cannot catch up on it later, so a terminal follower is marked stale and
   * sent a fresh screen as soon as it can take one.
   */
  void offerUnlogged(byte[] data, int off, int len) {
    boolean resync = false;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (inFlight || pumping || cursor != log.end()) {
        if (screen != null) {
          stale = true;
        }
        return;
      }
      if (stale) {
        resync = true;
      } else {
        inFlight = true;
      }
    }
    if (resync) {
      wake();
    } else {
      sink.send(data, off, len, this::onSent);
    }
  }

  /**
   * hack wrote a note of its own into the log at [{@code from}, {@code to}) (that output went
   * unlogged): a terminal follower that is there steps over it rather than print it into a running
   * program's screen; a raw follower (logs) reads it like any other line.
   */
  synchronized void skip(long from, long to) {
    if (screen != null && cursor == from) {
      cursor = to;
      moved();
    }
  }

  /** Sends nothing at or beyond {@code offset}: a one-shot read of the log as it is now. */
  public synchronized void limit(long offset) {
    limit = offset;
  }

  /**
   * The log changed without {@link #offer} (another process appends to it, a job wrote output or
   * ended): catch up. Never blocks, and with an executor never reads or sends on the caller's
   * thread.
   */
  public void poke() {
    synchronized (this) {
      woken = true;
    }
    wake();
  }

  /**
   * Runs {@code action} once every byte up to the log's current end has been sent (and the last
   * send has completed), on the pumping thread. Replaces an action set before.
   */
  public void whenDrained(Runnable action) {
    synchronized (this) {
      whenDrained = action;
      woken = true;
    }
    wake();
  }

  public synchronized long cursor() {
    return cursor;
  }

  /** How far behind {@code end} this follower is, without taking its lock (the reader's check). */
  long lag(long end) {
    return end - cursor;
  }

  public synchronized long resyncs() {
    return resyncs;
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /** Stops sending. Idempotent. */
  public void close() {
    synchronized (this) {
      closed = true;
      whenDrained = null;
      moved();
    }
  }

  /**
   * Blocks the caller (a session's PTY reader, for the client that paces the program) while this
   * follower is more than {@code bound} bytes behind {@code end}. Returns true once it is within
   * the bound, closed, or {@code stillWaiting} says false (another client paces now, the program is
   * being stopped; it is checked whenever {@link #wakeWaiters} is called). Returns false when the
   * cursor has not moved for {@code stallNanos}: the client has stopped taking output (its send has
   * not completed: an SSH channel whose window stays closed, a WebSocket that does not drain).
   *
   * @throws InterruptedException if the caller is interrupted (the flag is cleared, as by wait)
   */
  boolean awaitWithin(long end, long bound, long stallNanos, BooleanSupplier stillWaiting)
      throws InterruptedException {
    synchronized (this) {
      long seen = cursor;
      long deadline = System.nanoTime() + stallNanos;
      waiters++;
      try {
        while (!closed && end - cursor > bound && stillWaiting.getAsBoolean()) {
          if (cursor != seen) {
            seen = cursor; // progress: the client took a send, so the stall clock starts again
            deadline = System.nanoTime() + stallNanos;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          wait(Math.max(1, left / 1_000_000));
        }
        return true;
      } finally {
        waiters--;
      }
    }
  }

  /** Makes a reader in {@link #awaitWithin} look at its condition again. */
  synchronized void wakeWaiters() {
    notifyAll();
  }

  /** Caller holds this: the cursor moved or the follower closed. */
  private void moved() {
    if (waiters > 0) {
      notifyAll();
    }
  }

  private void onSent() {
    synchronized (this) {
      inFlight = false;
      if (pumping) {
        return; // the loop in the pump continues
      }
    }
    wake();
  }

  /**
   * Starts the pump unless it runs already or a send is in flight (its completion starts it). Only
   * one thread pumps at a time; it holds the pump from here until it finds nothing more to do.
   */
  private void wake() {
    synchronized (this) {
      if (closed || inFlight || pumping) {
        return; // the running pump, or the send's completion, looks again
      }
      pumping = true;
    }
    if (executor == null) {
      pump();
      return;
    }
    try {
      executor.execute(this::pump);
    } catch (RuntimeException e) {
      synchronized (this) {
        pumping = false;
      }
      throw e;
    }
  }

  /** Runs by the thread that set {@code pumping}, until there is nothing to do now. */
  private void pump() {
    while (true) {
      Runnable then;
      try {
        then = pumpUntilIdle();
      } catch (RuntimeException | Error e) {
        synchronized (this) {
          pumping = false;
        }
        throw e;
      }
      synchronized (this) {
        if (then == null && !closed && !inFlight && (stale || woken || readable())) {
          continue; // something came while we were leaving
        }
        pumping = false;
      }
      if (then != null) {
        then.run();
      }
      return;
    }
  }

  /** Caller holds this: bytes are there to send, and they are not the ones that were held. */
  private boolean readable() {
    long end = Math.min(log.end(), limit);
    return cursor < end && end != heldAt;
  }

  /**
   * Sends until a send is in flight, everything is sent, or the bytes at the cursor cannot be used
   * yet. Returns what to run once the pump is released: the drained action, the read error report,
   * or null.
   */
  private Runnable pumpUntilIdle() {
    while (true) {
      synchronized (this) {
        if (closed || inFlight) {
          return null;
        }
        woken = false; // before looking: a poke from here on makes the pump look again
      }
      // asked before the end is read, so that the end covers the bytes before the next mark
      long markAt = marks == null ? -1 : marks.next();
      long from;
      long end;
      long to; // where this read stops: the end, or the next mark
      boolean resync;
      boolean mark = false;
      synchronized (this) {
        if (closed || inFlight) {
          return null;
        }
        end = Math.min(log.end(), limit);
        to = markAt >= 0 ? Math.min(end, markAt) : end;
        if (stale) {
          stale = false;
          resync = true;
        } else if (markAt >= 0 && cursor >= markAt) {
          resync = false;
          mark = true;
          inFlight = true;
        } else {
          if (cursor >= to) {
            Runnable drained = whenDrained;
            whenDrained = null;
            return drained;
          }
          resync = screen != null && end - cursor > maxLag;
        }
        from = cursor;
      }
      if (mark) {
        marks.send(this::onSent);
        continue;
      }
      // I/O and screen rendering happen outside the lock: the reader's offer() must never wait
      // on it (while pumping is set, offer() leaves the cursor and the sink to this loop)
      byte[] out;
      int n;
      long next;
      if (resync) {
        Snapshot fresh = screen.get();
        out = fresh.bytes();
        n = out.length;
        next = fresh.offset();
      } else {
        out = buffer();
        try {
          n = log.read(from, out, 0, (int) Math.min(out.length, to - from));
        } catch (IOException e) {
          if (onReadError == null) {
            throw new UncheckedIOException(e);
          }
          close();
          return () -> onReadError.accept(e);
        }
        if (n <= 0) {
          if (markAt >= 0 && to == markAt) {
            // what is left before the mark cannot go yet (half a character): the mark goes
            // first, those bytes with the ones that complete them
            synchronized (this) {
              if (closed) {
                return null;
              }
              inFlight = true;
            }
            marks.send(this::onSent);
            continue;
          }
          synchronized (this) {
            heldAt = end; // nothing usable at the cursor: wait for the log to grow or be poked
          }
          return null;
        }
        next = from + n;
      }
      synchronized (this) {
        if (closed) {
          return null;
        }
        if (resync) {
          resyncs++;
        }
        cursor = next;
        moved();
        heldAt = -1;
        if (n == 0) {
          continue;
        }
        inFlight = true;
      }
      sink.send(out, 0, n, this::onSent);
    }
  }

  private byte[] buffer() {
    if (executor != null) {
      return POOLED.get();
    }
    if (buffer == null) {
      buffer = new byte[CHUNK];
    }
    return buffer;
  }
}
