package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import dev.hack.node.screen.VtScreen;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The headless screen of one PTY session, kept beside the output path rather than in it.
 *
 * <p>Clients get the PTY's bytes straight from the reader; this model reads the same bytes back
 * from the {@link OutputLog} later, when output pauses, when it has fallen {@link #EAGER_LAG}
 * behind, or when a client needs a screen. It only ever stops between escape sequences and between
 * UTF-8 characters, so the {@link Snapshot} offset it reports is a point where the raw log can be
 * resumed without starting mid-sequence.
 *
 * <p>Processing runs on the supervisor's {@code screen-model} executor or in the caller of {@link
 * #snapshot}, serialised by this object's lock.
 */
final class ScreenModel {
  private static final Logger LOG = LoggerFactory.getLogger(ScreenModel.class);
  static final long EAGER_LAG = 64L << 20;
  private static final long QUIET_MS = 50;
  private static final int CHUNK = 64 * 1024;
  private static final int MAX_UNSAFE_TAIL = 64 * 1024;

  private final String id;
  private final OutputLog log;
  private final ScheduledExecutorService executor;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Deque<long[]> resizes = new ArrayDeque<>(); // {offset, cols, rows}
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);

  // guarded by this
  private final VtScreen screen;
  private long processed;
  private byte[] buffer;
  private CharBuffer chars;
  private boolean closed;
  private byte[] pending; // unlogged output not yet fed: the start of an unfinished sequence
  private int pendingLength;

  ScreenModel(String id, OutputLog log, PtySize size, ScheduledExecutorService executor) {
    this.id = id;
    this.log = log;
    this.executor = executor;
    this.screen = new VtScreen(size.columns(), size.rows());
    this.processed = log.end();
  }

  /** The most of a log replayed to rebuild a screen; a longer log is replayed from its tail. */
  static final long MAX_REPLAY = 64L << 20;

  /**
   * Rebuilds the screen from the log, as of a session taken back after the node restarted: the
   * model starts from the log's beginning (or its last {@link #MAX_REPLAY} bytes, where modes set
   * earlier can be missed) instead of its end, at the size the output was written at then, and
   * changes size where the terminal did ({@link SizeLog}). Call before anyone attaches.
   */
  synchronized void replay(List<SizeLog.Change> sizes) {
    processed = Math.max(0, log.end() - MAX_REPLAY);
    processedVolatile = processed;
    int columns = screen.columns();
    int rows = screen.rows(); // the session's size now: where the screen must end up
    resizes.clear();
    SizeLog.Change first = null;
    for (SizeLog.Change c : sizes) {
      if (c.offset() <= processed) {
        first = c;
      } else {
        resizes.addLast(new long[] {c.offset(), c.columns(), c.rows()});
      }
    }
    if (first != null) {
      screen.resize(first.columns(), first.rows());
    }
    resizes.addLast(new long[] {log.end(), columns, rows});
  }

  /** New bytes are in the log. Cheap; called by the session's reader for every chunk. */
  void advanced() {
    lastAdvance = System.nanoTime();
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      long lag = log.end() - processedVolatile;
      try {
        executor.schedule(
            this::backgroundCatchUp, lag >= EAGER_LAG ? 0 : QUIET_MS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        scheduled.set(false); // the node is shutting down
      }
    }
  }

  private volatile long processedVolatile;
  private volatile long lastAdvance;

  private void backgroundCatchUp() {
    scheduled.set(false);
    long end = log.end();
    boolean busy = System.nanoTime() - lastAdvance < TimeUnit.MILLISECONDS.toNanos(QUIET_MS);
    if (busy && end - processedVolatile < EAGER_LAG) {
      schedule(); // output still flowing: wait for a pause instead of competing with it
      return;
    }
    synchronized (this) {
      catchUp(end);
    }
    if (log.end() > processedVolatile) {
      schedule();
    }
  }

  /**
   * Output that could not be written to the log (a full disk): it goes into the screen at once,
   * from the caller's thread, so a client that attaches meanwhile sees the program as it is. The
   * screen's offset stays at the log's end, where live output continues.
   */
  synchronized void unlogged(byte[] data, int off, int len) {
    if (closed) {
      return;
    }
    long end = log.end();
    catchUp(end);
    applyResizes(end);
    if (pendingLength == 0 && processed < end) {
      // the log ends inside a sequence: what is logged of it comes first
      int tail = (int) Math.min(end - processed, MAX_UNSAFE_TAIL);
      byte[] head = new byte[tail];
      try {
        tail = log.read(end - tail, head, 0, tail);
      } catch (IOException e) {
        tail = 0;
      }
      addPending(head, 0, tail);
    }
    processed = end;
    processedVolatile = end;
    addPending(data, off, len);
    int fed = 0;
    while (pendingLength - fed > 0) {
      int n = Math.min(CHUNK, pendingLength - fed);
      byte[] slice = java.util.Arrays.copyOfRange(pending, fed, fed + n);
      int safe = Boundaries.safeEnd(slice, n);
      if (safe == 0) {
        if (n < CHUNK && pendingLength - fed <= MAX_UNSAFE_TAIL) {
          break; // the rest of this sequence is still to come
        }
        safe = n;
      }
      feed(slice, safe);
      fed += safe;
    }
    System.arraycopy(pending, fed, pending, 0, pendingLength - fed);
    pendingLength -= fed;
  }

  private void addPending(byte[] data, int off, int len) {
    if (buffer == null) {
      buffer = new byte[CHUNK];
      chars = CharBuffer.allocate(CHUNK + 16);
    }
    if (pending == null || pending.length < pendingLength + len) {
      pending =
          java.util.Arrays.copyOf(pending == null ? new byte[0] : pending, pendingLength + len);
    }
    System.arraycopy(data, off, pending, pendingLength, len);
    pendingLength += len;
  }

  /**
   * Logging resumed with hack's own note at [log end, {@code to}): the screen already shows what
   * went unlogged, and the note is for the log's readers, not the screen.
   */
  synchronized void skipTo(long to) {
    pending = null;
    pendingLength = 0;
    applyResizes(to);
    processed = Math.max(processed, to);
    processedVolatile = processed;
  }

  private void applyResizes(long upTo) {
    long[] resize;
    while ((resize = resizes.peekFirst()) != null && resize[0] <= upTo) {
      resizes.pollFirst();
      screen.resize((int) resize[1], (int) resize[2]);
    }
  }

  /** The PTY was resized after the byte at {@code offset}. */
  synchronized void resized(long offset, PtySize size) {
    resizes.addLast(new long[] {offset, size.columns(), size.rows()});
  }

  /** The current screen, after catching up with everything in the log. */
  synchronized Snapshot snapshot() {
    catchUp(log.end());
    return new Snapshot(screen.repaint().getBytes(StandardCharsets.UTF_8), processed);
  }

  /** Plain text rows of the screen as of the last catch-up, for previews and tests. */
  synchronized java.util.List<String> lines() {
    catchUp(log.end());
    return screen.lines();
  }

  synchronized void close() {
    closed = true;
  }

  private void catchUp(long target) {
    if (closed) {
      return;
    }
    if (buffer == null) {
      buffer = new byte[CHUNK];
      chars = CharBuffer.allocate(CHUNK + 16);
    }
    try {
      while (processed < target) {
        long[] resize = resizes.peekFirst();
        if (resize != null && resize[0] <= processed) {
          resizes.pollFirst();
          screen.resize((int) resize[1], (int) resize[2]);
          continue;
        }
        long stop = resize != null ? Math.min(target, resize[0]) : target;
        int n = log.read(processed, buffer, 0, (int) Math.min(buffer.length, stop - processed));
        if (n <= 0) {
          break;
        }
        int safe = Boundaries.safeEnd(buffer, n);
        if (safe == 0 && n == buffer.length) {
          safe = n; // a sequence longer than a whole chunk: cut it rather than stall
        }
        if (safe > 0) {
          feed(buffer, safe);
          processed += safe;
        }
        if (safe < n && processed + (n - safe) >= stop) {
          if (stop < target) {
            // a resize landed inside a sequence: apply it just before that sequence
            resizes.pollFirst();
            screen.resize((int) resize[1], (int) resize[2]);
            continue;
          }
          break; // the newest output ends mid-sequence: the rest is still arriving
        }
      }
    } catch (IOException e) {
      LOG.warn("{}: screen model cannot read the log: {}", id, e.getMessage());
    } finally {
      processedVolatile = processed;
    }
  }

  private void feed(byte[] data, int len) {
    chars.clear();
    decoder.reset();
    decoder.decode(ByteBuffer.wrap(data, 0, len), chars, true);
    decoder.flush(chars);
    chars.flip();
    screen.write(chars);
  }

  /** Where a stream of terminal output can be cut without splitting a sequence or character. */
  static final class Boundaries {
    private static final int GROUND = 0;
    private static final int ESC = 1;
    private static final int ESC_INTERMEDIATE = 2;
    private static final int CSI = 3;
    private static final int STRING = 4;
    private static final int STRING_ESC = 5;

    private Boundaries() {}

    /**
     * The largest {@code i <= len} such that {@code data[0, i)}, read from the ground state, ends
     * in the ground state and not inside a UTF-8 character.
     */
    static int safeEnd(byte[] data, int len) {
      int state = GROUND;
      int utf8Left = 0;
      int safe = 0;
      for (int i = 0; i < len; i++) {
        int b = data[i] & 0xff;
        switch (state) {
          case GROUND -> {
            if (utf8Left > 0 && (b & 0xc0) == 0x80) {
              utf8Left--;
            } else {
              utf8Left = 0;
              if (b == 0x1b) {
                state = ESC;
              } else if (b >= 0xf0 && b < 0xf8) {
                utf8Left = 3;
              } else if (b >= 0xe0) {
                utf8Left = b < 0xf0 ? 2 : 0;
              } else if (b >= 0xc0) {
                utf8Left = 1;
              }
            }
          }
          case ESC -> {
            if (b == '[') {
              state = CSI;
            } else if (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_') {
              state = STRING;
            } else if (b >= 0x20 && b <= 0x2f) {
              state = ESC_INTERMEDIATE;
            } else if (b == 0x1b) {
              state = ESC;
            } else if (b >= 0x30 && b <= 0x7e) {
              state = GROUND;
            }
          }
          case ESC_INTERMEDIATE -> {
            if (b >= 0x30 && b <= 0x7e) {
              state = GROUND;
            } else if (b == 0x1b) {
              state = ESC;
            }
          }
          case CSI -> {
            if (b >= 0x40 && b <= 0x7e) {
              state = GROUND;
            } else if (b == 0x1b) {
              state = ESC;
            } else if (b == 0x18 || b == 0x1a) {
              state = GROUND; // CAN and SUB abort a sequence
            }
          }
          case STRING -> {
            if (b == 0x07) {
              state = GROUND;
            } else if (b == 0x1b) {
              state = STRING_ESC;
            }
          }
          case STRING_ESC -> {
            if (b == '\\') {
              state = GROUND;
            } else if (b == '[') {
              state = CSI;
            } else if (b == 0x1b) {
              state = STRING_ESC;
            } else {
              state = GROUND;
            }
          }
          default -> throw new IllegalStateException("state " + state);
        }
        if (state == GROUND && utf8Left == 0) {
          safe = i + 1;
        }
      }
      return safe;
    }
  }
}
