package dev.hack.tui;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.concurrent.Executor;

/**
 * The TUI on one terminal that arrives as bytes: keys pushed in with {@link #input}, the screen
 * written to an output stream or a non-blocking sink, the size told with {@link #resize}. {@code
 * hack tui} runs it on the local terminal; the node runs one per SSH channel.
 *
 * <p>Threads: {@link #run} is the render thread and blocks until the user quits or {@link #close}
 * is called. {@link #input}, {@link #resize} and {@link #close} may be called from any thread and
 * never block. The backend is called on {@code io}. The caller owns the backend, the executor and
 * the output, and closes them after {@link #run} returned.
 */
public final class TerminalTui implements AutoCloseable {
  /** Where a non-blocking terminal's output goes: an SSH channel. */
  public interface Sink {
    /** Copies and queues {@code data}; never blocks; runs {@code onSent} once it is written. */
    void send(byte[] data, int off, int len, Runnable onSent);
  }

  private final InputPipe in = new InputPipe();
  private final StreamTerminal term;
  private final TuiLoop loop;
  private final Picker picker;

  private TerminalTui(
      Backend backend,
      Executor io,
      OutputStream out,
      SinkOutputStream sinkOut,
      int columns,
      int rows,
      TuiOptions options)
      throws IOException {
    this.term = new StreamTerminal(in, out, columns, rows);
    this.loop = new TuiLoop(term, in, sinkOut, options.mouse());
    this.picker = new Picker(backend, io, loop, options, Clock.systemUTC());
  }

  /** A TUI that writes to {@code out} (the local terminal); writes may block on it. */
  public static TerminalTui onStream(
      Backend backend, Executor io, OutputStream out, int columns, int rows, TuiOptions options)
      throws IOException {
    return new TerminalTui(backend, io, out, null, columns, rows, options);
  }

  /** A TUI that sends each frame to {@code sink} and skips frames while the sink is backed up. */
  public static TerminalTui onSink(
      Backend backend, Executor io, Sink sink, int columns, int rows, TuiOptions options)
      throws IOException {
    TuiLoop[] loop = new TuiLoop[1];
    SinkOutputStream out =
        new SinkOutputStream(
            sink::send,
            () -> {
              if (loop[0] != null) {
                loop[0].wake();
              }
            });
    TerminalTui t = new TerminalTui(backend, io, out, out, columns, rows, options);
    loop[0] = t.loop;
    return t;
  }

  /** Keys from the terminal. Never blocks; more than 64 KiB waiting is dropped. */
  public void input(byte[] data, int off, int len) {
    in.write(data, off, len);
  }

  /** The terminal's new size; 0 or less means unknown (80x24). */
  public void resize(int columns, int rows) {
    term.resize(columns, rows);
  }

  /** Runs the TUI until the user quits or {@link #close} is called; leaves the screen after. */
  public void run() throws IOException {
    loop.run(picker);
  }

  /** Ends {@link #run} from any thread. Idempotent. */
  @Override
  public void close() {
    loop.quit();
    in.close();
  }
}
