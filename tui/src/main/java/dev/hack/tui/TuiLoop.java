package dev.hack.tui;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.Screen;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.MouseCaptureMode;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The render thread of one TUI: it sleeps until something happens (a key, a posted result, a
 * resize, the once-a-second tick), then runs the posted tasks, decodes the keys, and draws a frame
 * if anything changed. Only this thread touches Lanterna and the {@link Picker}.
 *
 * <p>Lanterna's own GUI threads poll every millisecond; this one costs nothing while idle. While a
 * session has the terminal the loop does not read input (the producer routes keys to the session
 * before they reach the {@link InputPipe}) and writes nothing.
 */
final class TuiLoop implements Picker.Host {
  private static final Logger LOG = LoggerFactory.getLogger(TuiLoop.class);

  /** How long an unfinished escape sequence may wait for the rest of it. */
  static final long ESC_GRACE_MS = 30;

  private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Frames are skipped while this much output is still on its way to a slow client. */
  private static final long MAX_BACKLOG = 256 * 1024;

  private final StreamTerminal term;
  private final InputPipe in;
  private final SinkOutputStream sinkOut;
  private final TerminalScreen screen;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private volatile Thread thread;
  private volatile boolean running = true;
  private boolean dirty = true;
  private boolean complete;
  private CompletableFuture<?> suspendedUntil;
  private Runnable afterResume;

  /**
   * @param sinkOut the output when it goes to a non-blocking sink (frames are skipped while it is
   *     backed up), or null when the terminal writes to a plain stream
   */
  TuiLoop(StreamTerminal term, InputPipe in, SinkOutputStream sinkOut, boolean mouse)
      throws IOException {
    this.term = term;
    this.in = in;
    this.sinkOut = sinkOut;
    if (mouse) {
      term.setMouseCaptureMode(MouseCaptureMode.CLICK_RELEASE); // on with the screen, off with it
    }
    this.screen = new TerminalScreen(term);
    in.onData(this::wake);
    term.addResizeListener((t, size) -> wake()); // the screen's own listener queues the resize
  }

  @Override
  public void post(Runnable task) {
    tasks.add(task);
    wake();
  }

  @Override
  public void quit() {
    running = false;
    wake();
  }

  @Override
  public void redrawAll() {
    complete = true;
    dirty = true;
  }

  @Override
  public void suspend() throws IOException {
    screen.stopScreen(false); // main screen, cursor shown, colours reset, mouse off; keeps input
  }

  @Override
  public <T> void resumeWhen(CompletableFuture<T> done, BiConsumer<? super T, Throwable> then) {
    suspendedUntil = done;
    afterResume =
        () -> {
          T value = null;
          Throwable error = null;
          try {
            value = done.join();
          } catch (RuntimeException e) {
            error = e;
          }
          then.accept(value, error);
        };
    done.whenComplete((v, e) -> wake());
  }

  /** Called when the output drained after a backlog. */
  void wake() {
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /** Runs the picker on the calling thread until it quits or {@link #quit} is called. */
  void run(Picker picker) throws IOException {
    thread = Thread.currentThread();
    long nextTick = System.nanoTime();
    try {
      screen.startScreen();
      while (running) {
        if (suspendedUntil != null) {
          if (!suspendedUntil.isDone()) {
            LockSupport.parkNanos(this, TICK_NANOS); // keys go to the session meanwhile
            continue;
          }
          suspendedUntil = null;
          screen.startScreen(); // the alternate screen again; the next refresh repaints it all
          screen.doResizeIfNecessary();
          dirty = true;
          Runnable r = afterResume;
          afterResume = null;
          safely(r);
        }
        for (Runnable r; (r = tasks.poll()) != null; ) {
          safely(r);
          dirty = true;
        }
        if (in.pendingEscape(ESC_GRACE_MS)) {
          LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(5));
          continue;
        }
        for (KeyStroke k; running && suspendedUntil == null && (k = screen.pollInput()) != null; ) {
          if (k.getKeyType() == KeyType.EOF) {
            running = false;
            break;
          }
          KeyStroke key = k;
          safely(() -> picker.onKey(key));
          dirty = true;
        }
        if (!running) {
          break;
        }
        if (suspendedUntil != null) {
          continue;
        }
        if (in.isClosed() && in.available() == 0) {
          break; // the client went away
        }
        if (screen.doResizeIfNecessary() != null) {
          dirty = true;
        }
        long now = System.nanoTime();
        if (now - nextTick >= 0) {
          nextTick = now + TICK_NANOS;
          safely(picker::tick);
          dirty = true;
        }
        if (dirty && (sinkOut == null || sinkOut.backlog() < MAX_BACKLOG)) {
          TerminalPosition cursor = picker.draw(screen.newTextGraphics(), screen.getTerminalSize());
          screen.setCursorPosition(cursor);
          screen.refresh(complete ? Screen.RefreshType.COMPLETE : Screen.RefreshType.AUTOMATIC);
          dirty = false;
          complete = false;
        }
        if (running && tasks.isEmpty() && in.available() == 0) {
          LockSupport.parkNanos(this, Math.max(0, nextTick - System.nanoTime()));
        }
      }
    } finally {
      running = false;
      try {
        screen.stopScreen(false);
      } catch (IOException | RuntimeException e) {
        // the terminal is gone; nothing to restore
      }
      thread = null;
    }
  }

  private static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      // a bug in one handler must not take the terminal down with it
      LOG.warn("TUI task failed", e);
    }
  }
}
