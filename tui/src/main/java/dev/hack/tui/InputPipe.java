package dev.hack.tui;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;

/**
 * Keys on their way to Lanterna: a producer (the SSH channel's data callback, or the local key
 * pump) pushes bytes in without ever blocking; Lanterna reads them on the render thread.
 *
 * <p>Unlike {@code PipedInputStream}, {@link #available} is exact, which Lanterna's non-blocking
 * {@code pollInput()} depends on. It leaves out a trailing incomplete UTF-8 character, because
 * Lanterna's reader blocks on one. At most {@link #CAPACITY} bytes wait; more is dropped (nobody
 * types that fast; a paste into the picker is not worth keeping).
 */
final class InputPipe extends InputStream {
  static final int CAPACITY = 64 * 1024;

  private final byte[] buf = new byte[CAPACITY];
  private int head;
  private int count;
  private boolean closed;
  private long lastWrite;
  private volatile Runnable onData = () -> {};

  /** Runs (on the producer's thread) after bytes or the end arrived: wakes the render loop. */
  void onData(Runnable r) {
    this.onData = r;
  }

  /** Producer side. Never blocks. */
  void write(byte[] b, int off, int len) {
    synchronized (this) {
      if (closed) {
        return;
      }
      int n = Math.min(len, CAPACITY - count);
      for (int i = 0; i < n; i++) {
        buf[(head + count + i) % CAPACITY] = b[off + i];
      }
      count += n;
      lastWrite = System.nanoTime();
      notifyAll();
    }
    onData.run();
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    onData.run();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  private byte at(int i) {
    return buf[(head + i) % CAPACITY];
  }

  /**
   * Whether the bytes waiting end inside an escape sequence (ESC, ESC [, ESC [ 1 ;, ESC O, a mouse
   * report without its coordinates) whose last byte came less than {@code millis} ago: the rest is
   * probably in the next packet, and decoding now would turn an arrow key into Escape, [ and A.
   */
  synchronized boolean pendingEscape(long millis) {
    if (count == 0 || System.nanoTime() - lastWrite >= TimeUnit.MILLISECONDS.toNanos(millis)) {
      return false;
    }
    int esc = -1;
    for (int i = count - 1; i >= 0 && i >= count - 32; i--) {
      if (at(i) == 0x1b) {
        esc = i;
        break;
      }
    }
    if (esc < 0) {
      return false;
    }
    int after = count - esc - 1;
    if (after == 0) {
      return true;
    }
    byte k = at(esc + 1);
    if (k == 'O') {
      return after == 1;
    }
    if (k != '[') {
      return false;
    }
    if (after >= 2 && at(esc + 2) == 'M') {
      return after < 5; // ESC [ M b x y
    }
    for (int i = esc + 2; i < count; i++) {
      int c = at(i) & 0xff;
      if (c >= 0x40 && c <= 0x7e) {
        return false; // the final byte is there
      }
    }
    return true;
  }

  /** Waiting bytes, less a trailing incomplete UTF-8 character. */
  @Override
  public synchronized int available() {
    int n = count;
    // look back at most 3 bytes for the lead byte of an unfinished character
    for (int back = 1; back <= 3 && back <= n; back++) {
      int b = at(n - back) & 0xff;
      if ((b & 0xc0) == 0x80) {
        continue; // a continuation byte: keep looking for its lead
      }
      int need = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 1;
      return need > back ? n - back : n;
    }
    return n;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (available() == 0) {
      if (closed) {
        return count > 0 ? drain(b, off, len, count) : -1;
      }
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException();
      }
    }
    return drain(b, off, len, available());
  }

  private int drain(byte[] b, int off, int len, int max) {
    int n = Math.min(len, max);
    for (int i = 0; i < n; i++) {
      b[off + i] = at(i);
    }
    head = (head + n) % CAPACITY;
    count -= n;
    return n;
  }
}
