package dev.hack.tui;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lanterna's output to a non-blocking sink (an SSH channel): Lanterna writes many small sequences
 * and flushes once per refresh; each flush becomes one send. {@link #backlog} counts bytes handed
 * over and not yet written, so the render loop can skip frames for a slow client; every byte is
 * still delivered in order, so the screen's delta refresh stays correct.
 */
final class SinkOutputStream extends OutputStream {
  /** Where chunks go: copies them, never blocks, runs {@code onSent} once written. */
  interface Sink {
    void send(byte[] data, int off, int len, Runnable onSent);
  }

  private final Sink sink;
  private final Runnable drained;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream(8192);
  private final AtomicLong inFlight = new AtomicLong();

  /**
   * @param drained runs (on the sink's thread) whenever the backlog falls to zero
   */
  SinkOutputStream(Sink sink, Runnable drained) {
    this.sink = sink;
    this.drained = drained;
  }

  @Override
  public synchronized void write(int b) {
    pending.write(b);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    pending.write(b, off, len);
  }

  @Override
  public synchronized void flush() {
    if (pending.size() == 0) {
      return;
    }
    byte[] chunk = pending.toByteArray();
    pending.reset();
    inFlight.addAndGet(chunk.length);
    sink.send(
        chunk,
        0,
        chunk.length,
        () -> {
          if (inFlight.addAndGet(-chunk.length) == 0) {
            drained.run();
          }
        });
  }

  /** Bytes handed to the sink and not yet written. */
  long backlog() {
    return inFlight.get();
  }
}
