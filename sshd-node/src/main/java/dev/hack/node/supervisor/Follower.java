package dev.hack.node.supervisor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * One client's position in a log ({@link LogSource}: a session's {@link OutputLog}, a job's log),
 * and the pump that moves bytes from the log to its {@link Sink}.
 *
 * <p>The session's reader hands each new chunk to {@link #offer}; a follower that is caught up and
 * idle sends it straight on (the hot path: no copy through the log, no thread hop). A follower that
 * is busy simply falls behind: it catches up from the log file when its sink reports the previous
 * send done. Nothing here ever blocks the reader, so a stalled client costs only its position,
 * never memory or the other clients' latency. A follower with a screen source that falls more than
 * {@code maxLag} bytes behind skips ahead: it is sent a fresh screen and continues from there, as
 * tmux does for a slow client.
 *
 * <p>Thread-safe; at most one send is outstanding.
 */
public final class Follower {
  private static final int CHUNK = 64 * 1024;

  private final LogSource log;
  private final Sink sink;
  private final Supplier<Snapshot> screen;
  private final long maxLag;
  private byte[] buffer;
  private long cursor;
  private boolean inFlight;
  private boolean pumping;
  private boolean closed;
  private Runnable whenDrained;
  private long resyncs;
  private boolean stale; // missed output that was never logged: needs a fresh screen
  private long limit = Long.MAX_VALUE;

  /**
   * @param screen source of fresh screens for resync, or null for a raw follower that must see
   *     every byte (logs)
   */
  Follower(LogSource log, Sink sink, long from, Supplier<Snapshot> screen, long maxLag) {
    this.log = log;
    this.sink = sink;
    this.cursor = from;
    this.screen = screen;
    this.maxLag = maxLag;
  }

  /** Sends {@code first} (a screen), then the log from its offset. */
  void start(Snapshot first) {
    boolean send;
    synchronized (this) {
      cursor = first.offset();
      send = !closed && first.bytes().length > 0;
      if (send) {
        inFlight = true;
      }
    }
    if (send) {
      sink.send(first.bytes(), 0, first.bytes().length, this::onSent);
    } else {
      pump();
    }
  }

  /** Starts sending from the cursor given at construction. */
  void start() {
    pump();
  }

  /** Called by the session's reader after it appended {@code len} bytes at {@code start}. */
  void offer(byte[] data, int off, long start, int len) {
    synchronized (this) {
      if (closed || inFlight || pumping || cursor != start) {
        return; // the pump will read these bytes from the log
      }
      inFlight = true;
      cursor = start + len;
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
      pump();
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
    }
  }

  /** Sends nothing at or beyond {@code offset}: a one-shot read of the log as it is now. */
  synchronized void limit(long offset) {
    limit = offset;
  }

  /** The log grew without {@link #offer} (another process appends to it): catch up. */
  void poke() {
    pump();
  }

  /** Runs {@code action} once every byte up to the log's current end has been sent. */
  void whenDrained(Runnable action) {
    synchronized (this) {
      whenDrained = action;
    }
    pump();
  }

  public synchronized long cursor() {
    return cursor;
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
    }
  }

  private void onSent() {
    synchronized (this) {
      inFlight = false;
      if (pumping) {
        return; // the loop in pump() continues
      }
    }
    pump();
  }

  private void pump() {
    synchronized (this) {
      if (pumping) {
        return;
      }
      pumping = true;
    }
    Runnable drained = null;
    try {
      while (true) {
        long from;
        long end;
        boolean resync;
        synchronized (this) {
          if (closed || inFlight) {
            return;
          }
          end = Math.min(log.end(), limit);
          if (stale) {
            stale = false;
            resync = true;
          } else {
            if (cursor >= end) {
              drained = whenDrained;
              whenDrained = null;
              return;
            }
            resync = screen != null && end - cursor > maxLag;
          }
          from = cursor;
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
          if (buffer == null) {
            buffer = new byte[CHUNK];
          }
          try {
            n = log.read(from, buffer, 0, (int) Math.min(buffer.length, end - from));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          out = buffer;
          next = from + n;
        }
        synchronized (this) {
          if (closed) {
            return;
          }
          if (resync) {
            resyncs++;
          }
          cursor = next;
          if (n == 0) {
            continue;
          }
          inFlight = true;
        }
        sink.send(out, 0, n, this::onSent);
      }
    } finally {
      synchronized (this) {
        pumping = false;
      }
      if (drained != null) {
        drained.run();
      } else {
        maybeRepump(); // bytes may have arrived while we were leaving
      }
    }
  }

  private void maybeRepump() {
    boolean again;
    synchronized (this) {
      again =
          !pumping
              && !inFlight
              && !closed
              && (stale || cursor < Math.min(log.end(), limit) || whenDrained != null);
    }
    if (again) {
      pump();
    }
  }
}
