package dev.hack.tui;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextCharacter;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * A picker on Lanterna's virtual terminal, driven synchronously: backend calls wait in a queue
 * until {@link #settle}, posted results run at once, time moves only when told. No threads.
 */
final class Harness implements Picker.Host {
  final FakeBackend backend;
  final DefaultVirtualTerminal vt;
  final TerminalScreen screen;
  final Picker picker;
  final ArrayDeque<Runnable> io = new ArrayDeque<>();
  Instant now = Instant.parse("2026-01-01T00:05:00Z");
  boolean suspended;
  boolean quit;
  private CompletableFuture<?> until;
  private Runnable then;

  Harness(FakeBackend backend, int columns, int rows, TuiOptions options) throws IOException {
    this.backend = backend;
    this.vt = new DefaultVirtualTerminal(new TerminalSize(columns, rows));
    this.screen = new TerminalScreen(vt);
    screen.startScreen();
    Executor queue = io::add;
    Clock clock =
        new Clock() {
          @Override
          public ZoneOffset getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now;
          }
        };
    this.picker = new Picker(backend, queue, this, options, clock);
  }

  static Harness start(FakeBackend backend, int columns, int rows) throws IOException {
    return start(backend, columns, rows, TuiOptions.defaults());
  }

  static Harness start(FakeBackend backend, int columns, int rows, TuiOptions options)
      throws IOException {
    Harness h = new Harness(backend, columns, rows, options);
    h.picker.tick();
    h.settle();
    return h;
  }

  /** Runs every queued backend call (and the ones they cause); a hung node's call is dropped. */
  Harness settle() throws IOException {
    for (int i = 0; i < 1000 && !io.isEmpty(); i++) {
      Runnable r = io.poll();
      try {
        r.run();
      } catch (FakeBackend.Hang e) {
        // never answers
      }
    }
    draw();
    return this;
  }

  Harness after(Duration d) throws IOException {
    now = now.plus(d);
    picker.tick();
    return settle();
  }

  Harness key(KeyStroke k) throws IOException {
    picker.onKey(k);
    return settle();
  }

  Harness key(KeyType t) throws IOException {
    return key(new KeyStroke(t));
  }

  Harness type(String text) throws IOException {
    for (char c : text.toCharArray()) {
      picker.onKey(new KeyStroke(c, false, false));
    }
    return settle();
  }

  void draw() throws IOException {
    screen.doResizeIfNecessary();
    TerminalPosition cursor = picker.draw(screen.newTextGraphics(), screen.getTerminalSize());
    screen.setCursorPosition(cursor);
    screen.refresh();
  }

  List<String> rows() {
    TerminalSize s = vt.getTerminalSize();
    List<String> out = new ArrayList<>();
    for (int r = 0; r < s.getRows(); r++) {
      StringBuilder b = new StringBuilder();
      for (int c = 0; c < s.getColumns(); c++) {
        TextCharacter ch = vt.getCharacter(c, r);
        b.append(ch.getCharacterString());
        if (ch.isDoubleWidth()) {
          c++;
        }
      }
      out.add(b.toString().stripTrailing());
    }
    return out;
  }

  String text() {
    return String.join("\n", rows());
  }

  /** The row that contains {@code text}, or -1. */
  int rowOf(String text) {
    List<String> rows = rows();
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).contains(text)) {
        return i;
      }
    }
    return -1;
  }

  /** While true, answers posted to the picker wait in {@link #held}: a slow I/O thread. */
  boolean holdPosts;

  final ArrayDeque<Runnable> held = new ArrayDeque<>();

  @Override
  public void post(Runnable task) {
    if (holdPosts) {
      held.add(task);
    } else {
      task.run();
    }
  }

  /** Delivers the held answers now, late, in the order they were posted. */
  Harness release() throws IOException {
    holdPosts = false;
    while (!held.isEmpty()) {
      held.poll().run();
    }
    return settle();
  }

  @Override
  public void suspend() {
    suspended = true;
  }

  @Override
  public <T> void resumeWhen(CompletableFuture<T> done, BiConsumer<? super T, Throwable> then) {
    until = done;
    this.then =
        () -> {
          T v = null;
          Throwable e = null;
          try {
            v = done.join();
          } catch (RuntimeException x) {
            e = x;
          }
          then.accept(v, e);
        };
  }

  /** Completes the attach the way a detach or the session's end would, and resumes. */
  Harness resume() throws IOException {
    if (until != null && until.isDone()) {
      until = null;
      suspended = false;
      Runnable r = then;
      then = null;
      r.run();
    }
    return settle();
  }

  @Override
  public void quit() {
    quit = true;
  }

  @Override
  public void redrawAll() {}
}
