package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-client cursor: pass-through when caught up, catch-up from the log, resync when far
 * behind; for logs that are not a terminal's, pumping on an executor, read errors, and bytes that
 * cannot go yet.
 */
class FollowerTest {
  private static final Duration T = Duration.ofSeconds(20);
  @TempDir Path dir;

  /** A sink that holds each send until the test releases it, like a client that stops reading. */
  static final class HeldSink implements Sink {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Runnable> pending = new ArrayList<>();
    volatile int sends;

    @Override
    public synchronized void send(byte[] data, int off, int len, Runnable onSent) {
      received.write(data, off, len);
      sends++;
      pending.add(onSent);
    }

    void releaseAll() {
      while (true) {
        Runnable r;
        synchronized (this) {
          if (pending.isEmpty()) {
            return;
          }
          r = pending.remove(0);
        }
        r.run();
      }
    }

    synchronized boolean holding() {
      return !pending.isEmpty();
    }

    synchronized String text() {
      return received.toString(StandardCharsets.UTF_8);
    }
  }

  private static long append(OutputLog log, Follower f, String s) throws Exception {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    long start = log.end();
    log.append(b, 0, b.length);
    f.offer(b, 0, start, b.length);
    return start;
  }

  @Test
  void aSlowFollowerCatchesUpFromTheLogWithNothingLostOrRepeated() throws Exception {
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      HeldSink sink = new HeldSink();
      Follower f = new Follower(log, sink, 0, null, 0);
      f.start();
      StringBuilder expected = new StringBuilder();
      for (int i = 0; i < 1000; i++) {
        String line = "line " + i + "\n";
        expected.append(line);
        append(log, f, line);
      }
      assertThat(sink.sends).isEqualTo(1); // one send in flight; the rest wait in the log
      sink.releaseAll();
      assertThat(sink.text()).isEqualTo(expected.toString());
      assertThat(f.cursor()).isEqualTo(log.end());
    }
  }

  @Test
  void aFollowerFarBehindIsResyncedWithAFreshScreen() throws Exception {
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      HeldSink sink = new HeldSink();
      byte[] screen = "<SCREEN>".getBytes(StandardCharsets.UTF_8);
      Follower f = new Follower(log, sink, 0, () -> new Snapshot(screen, log.end()), 100);
      f.start();
      append(log, f, "first\n"); // sent straight through, still in flight
      for (int i = 0; i < 50; i++) {
        append(log, f, "more output " + i + "\n");
      }
      sink.releaseAll();
      assertThat(f.resyncs()).isEqualTo(1);
      assertThat(sink.text()).isEqualTo("first\n<SCREEN>");
      assertThat(f.cursor()).isEqualTo(log.end());
      append(log, f, "live\n");
      sink.releaseAll();
      assertThat(sink.text()).endsWith("<SCREEN>live\n");
    }
  }

  @Test
  void aReaderWaitsWhileThePacerIsBeyondTheBoundAndGoesOnWhenItCatchesUpStallsOrIsReplaced()
      throws Exception {
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      HeldSink sink = new HeldSink();
      Follower f = new Follower(log, sink, 0, null, 0);
      f.start();
      String kib = "x".repeat(1023) + "\n";
      for (int i = 0; i < 100; i++) {
        append(log, f, kib); // the first is in flight, the rest wait in the log
      }
      long never = Duration.ofDays(1).toNanos();
      assertThat(f.awaitWithin(log.end(), 100 * 1024, never, () -> true))
          .as("within the bound: no wait")
          .isTrue();

      AtomicBoolean caughtUp = new AtomicBoolean();
      Thread reader =
          new Thread(
              () -> {
                try {
                  caughtUp.set(f.awaitWithin(log.end(), 10 * 1024, never, () -> true));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "follower-test-reader");
      reader.start();
      Poll.until(T, "the reader to wait", () -> reader.getState() == Thread.State.TIMED_WAITING);
      sink.releaseAll(); // the client takes everything
      reader.join(T.toMillis());
      assertThat(caughtUp).isTrue();

      for (int i = 0; i < 100; i++) {
        append(log, f, kib);
      }
      assertThat(f.awaitWithin(log.end(), 10 * 1024, Duration.ofMillis(50).toNanos(), () -> true))
          .as("the client takes nothing: stalled")
          .isFalse();

      AtomicBoolean stillPacer = new AtomicBoolean(true);
      AtomicBoolean released = new AtomicBoolean();
      Thread waiting =
          new Thread(
              () -> {
                try {
                  released.set(f.awaitWithin(log.end(), 10 * 1024, never, stillPacer::get));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "follower-test-reader-2");
      waiting.start();
      Poll.until(T, "the reader to wait", () -> waiting.getState() == Thread.State.TIMED_WAITING);
      stillPacer.set(false); // another client paces now
      f.wakeWaiters();
      waiting.join(T.toMillis());
      assertThat(released).isTrue();
    }
  }

  @Test
  void whenDrainedRunsOnceEverythingWasSent() throws Exception {
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      HeldSink sink = new HeldSink();
      Follower f = new Follower(log, sink, 0, null, 0);
      f.start();
      append(log, f, "a");
      append(log, f, "b");
      List<String> events = new ArrayList<>();
      f.whenDrained(() -> events.add("drained at " + sink.text()));
      assertThat(events).isEmpty();
      sink.releaseAll();
      assertThat(events).containsExactly("drained at ab");
    }
  }

  @Test
  void outputThatCouldNotBeLoggedStillReachesAnIdleFollowerAndABusyOneGetsAFreshScreen()
      throws Exception {
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      HeldSink idle = new HeldSink();
      HeldSink busy = new HeldSink();
      byte[] screen = "<SCREEN>".getBytes(StandardCharsets.UTF_8);
      Follower a = new Follower(log, idle, 0, () -> new Snapshot(screen, log.end()), 1 << 20);
      Follower b = new Follower(log, busy, 0, () -> new Snapshot(screen, log.end()), 1 << 20);
      a.start();
      b.start();
      long start = log.end();
      byte[] logged = "logged\n".getBytes(StandardCharsets.UTF_8);
      log.append(logged, 0, logged.length);
      a.offer(logged, 0, start, logged.length);
      b.offer(logged, 0, start, logged.length); // b's client stops reading here
      idle.releaseAll();
      for (String s : new String[] {"lost 1\n", "lost 2\n"}) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        a.offerUnlogged(bytes, 0, bytes.length);
        b.offerUnlogged(bytes, 0, bytes.length);
        idle.releaseAll();
      }
      assertThat(idle.text()).isEqualTo("logged\nlost 1\nlost 2\n");
      assertThat(a.cursor()).isEqualTo(log.end()); // unlogged bytes have no place in the log
      busy.releaseAll(); // b missed output it can never read back: it is sent the screen
      assertThat(busy.text()).isEqualTo("logged\n<SCREEN>");

      // logging resumes with hack's note: terminals step over it, a raw follower reads it
      HeldSink raw = new HeldSink();
      Follower r = new Follower(log, raw, log.end(), null, 0);
      r.start();
      long from = log.end();
      byte[] note = "[hack: 14 bytes of output were not logged]\n".getBytes(StandardCharsets.UTF_8);
      log.append(note, 0, note.length);
      for (Follower f : List.of(a, b, r)) {
        f.skip(from, log.end());
      }
      r.poke();
      append(log, a, "after\n");
      b.offer("after\n".getBytes(StandardCharsets.UTF_8), 0, log.end() - 6, 6);
      r.offer("after\n".getBytes(StandardCharsets.UTF_8), 0, log.end() - 6, 6);
      for (int i = 0; i < 3; i++) {
        idle.releaseAll();
        busy.releaseAll();
        raw.releaseAll();
      }
      assertThat(idle.text()).isEqualTo("logged\nlost 1\nlost 2\nafter\n");
      assertThat(busy.text()).isEqualTo("logged\n<SCREEN>after\n");
      assertThat(raw.text()).isEqualTo("[hack: 14 bytes of output were not logged]\nafter\n");
    }
  }

  @Test
  void theScreenShowsOutputThatCouldNotBeLoggedAndOffersTheLogsEndToResumeFrom() throws Exception {
    java.util.concurrent.ScheduledExecutorService ex =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      ScreenModel model = new ScreenModel("t", log, new dev.hack.node.api.PtySize(40, 5), ex);
      byte[] logged = "logged\r\n\u001b[1".getBytes(StandardCharsets.UTF_8); // ends mid-sequence
      log.append(logged, 0, logged.length);
      byte[] rest = "mbold\u001b[0m \u20ac".getBytes(StandardCharsets.UTF_8);
      model.unlogged(rest, 0, rest.length - 1); // and this ends inside the euro sign
      model.unlogged(rest, rest.length - 1, 1);
      assertThat(model.lines().get(0)).isEqualTo("logged");
      assertThat(model.lines().get(1)).isEqualTo("bold \u20ac");
      assertThat(model.snapshot().offset()).isEqualTo(log.end());
      byte[] note = "[note]\r\n".getBytes(StandardCharsets.UTF_8);
      log.append(note, 0, note.length);
      model.skipTo(log.end());
      assertThat(model.snapshot().offset()).isEqualTo(log.end());
      assertThat(String.join("|", model.lines())).doesNotContain("[note]");
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void aFollowerThatPumpsOnAnExecutorKeepsOneSendOutstandingAndNeverUsesThePokingThread()
      throws Exception {
    ExecutorService pumps =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "follower-test-pump"));
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      HeldSink sink = new HeldSink();
      List<String> sendThreads = new CopyOnWriteArrayList<>();
      Sink recording =
          (data, off, len, onSent) -> {
            sendThreads.add(Thread.currentThread().getName());
            sink.send(data, off, len, onSent);
          };
      Follower f = Follower.over(log, recording).pumpOn(pumps).build();
      f.start();
      StringBuilder expected = new StringBuilder();
      for (int i = 0; i < 20_000; i++) { // several 64 KiB chunks
        String line = "line " + i + "\n";
        expected.append(line);
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        log.append(b, 0, b.length);
        f.poke();
      }
      Poll.until(T, "the first send", () -> sink.sends == 1);
      f.poke();
      drain(pumps);
      assertThat(sink.sends).as("one send in flight; the rest wait in the log").isEqualTo(1);
      while (f.cursor() < log.end() || sink.holding()) {
        sink.releaseAll(); // completions come from this thread; the pump runs on its own
        drain(pumps);
      }
      assertThat(sink.text()).isEqualTo(expected.toString());
      assertThat(sink.sends).isGreaterThan(1);
      assertThat(sendThreads).containsOnly("follower-test-pump");
    } finally {
      pumps.shutdownNow();
    }
  }

  @Test
  void aReadErrorClosesTheFollowerAndGoesToItsHandler() throws Exception {
    HeldSink sink = new HeldSink();
    List<IOException> errors = new ArrayList<>();
    LogSource broken =
        new LogSource() {
          @Override
          public long end() {
            return 10;
          }

          @Override
          public int read(long from, byte[] dst, int off, int len) throws IOException {
            throw new IOException("disk gone");
          }
        };
    Follower f = Follower.over(broken, sink).onReadError(errors::add).build();
    List<String> drained = new ArrayList<>();
    f.whenDrained(() -> drained.add("drained"));
    assertThat(errors).extracting(Throwable::getMessage).containsExactly("disk gone");
    assertThat(f.isClosed()).isTrue();
    assertThat(sink.sends).isZero();
    f.poke();
    assertThat(errors).hasSize(1);
    assertThat(drained).isEmpty();
  }

  @Test
  void bytesTheSourceCannotHandOverYetAreWaitedForNotSpunOn() throws Exception {
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      AtomicInteger reads = new AtomicInteger();
      AtomicBoolean complete = new AtomicBoolean();
      // like a half character at the end of a job's log: the last byte goes only once the log is
      // complete
      LogSource holdsTheLastByte =
          new LogSource() {
            @Override
            public long end() {
              return log.end();
            }

            @Override
            public boolean complete() {
              return complete.get();
            }

            @Override
            public int read(long from, byte[] dst, int off, int len) throws IOException {
              reads.incrementAndGet();
              boolean last = complete.get();
              int n = log.read(from, dst, off, len);
              return last || from + n < log.end() ? n : n - 1;
            }
          };
      HeldSink sink = new HeldSink();
      Follower f = Follower.over(holdsTheLastByte, sink).build();
      f.start();
      byte[] b = "abc".getBytes(StandardCharsets.UTF_8);
      log.append(b, 0, b.length);
      f.poke();
      sink.releaseAll();
      assertThat(sink.text()).isEqualTo("ab");
      int readsSoFar = reads.get();
      assertThat(readsSoFar).isLessThan(5);
      List<String> drained = new ArrayList<>();
      f.whenDrained(() -> drained.add("drained"));
      assertThat(reads.get()).as("one more look, no spinning").isEqualTo(readsSoFar + 1);
      assertThat(drained).isEmpty();
      complete.set(true);
      f.poke();
      sink.releaseAll();
      assertThat(sink.text()).isEqualTo("abc");
      assertThat(drained).containsExactly("drained");
    }
  }

  @Test
  void marksGoBetweenTheBytesEachAfterTheBytesBeforeItsPlaceAndShareTheOneSend() throws Exception {
    try (OutputLog log = OutputLog.open(dir.resolve("out.log"))) {
      HeldSink sink = new HeldSink();
      java.util.ArrayDeque<Long> places = new java.util.ArrayDeque<>();
      java.util.ArrayDeque<String> names = new java.util.ArrayDeque<>();
      Marks marks =
          new Marks() {
            @Override
            public long next() {
              return places.isEmpty() ? -1 : places.peek();
            }

            @Override
            public void send(Runnable onSent) {
              places.poll();
              byte[] b = ("<" + names.poll() + ">").getBytes(StandardCharsets.UTF_8);
              sink.send(b, 0, b.length, onSent);
            }
          };
      Follower f = Follower.over(log, sink).marks(marks).build();
      byte[] b = "abcdef".getBytes(StandardCharsets.UTF_8);
      log.append(b, 0, b.length);
      places.add(0L); // before any byte
      names.add("start");
      places.add(3L);
      names.add("after c");
      places.add(3L);
      names.add("also after c");
      f.start();
      List<String> drained = new ArrayList<>();
      f.whenDrained(() -> drained.add(sink.text()));
      assertThat(sink.sends).as("one send at a time, marks included").isEqualTo(1);
      sink.releaseAll();
      assertThat(sink.text()).isEqualTo("<start>abc<after c><also after c>def");
      assertThat(drained).containsExactly("<start>abc<after c><also after c>def");

      places.add(6L); // a mark at the end: the follower is not drained until it went too
      names.add("end");
      f.whenDrained(() -> drained.add(sink.text()));
      assertThat(drained).hasSize(1);
      sink.releaseAll();
      assertThat(drained).last().isEqualTo("<start>abc<after c><also after c>def<end>");
    }
  }

  /** Waits until every task handed to {@code pumps} so far has run. */
  private static void drain(ExecutorService pumps) throws Exception {
    pumps.submit(() -> {}).get(T.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void boundariesNeverSplitASequenceOrACharacter() {
    byte[] csi = "abc\u001b[3".getBytes(StandardCharsets.UTF_8);
    assertThat(ScreenModel.Boundaries.safeEnd(csi, csi.length)).isEqualTo(3);
    byte[] done = "abc\u001b[31mX".getBytes(StandardCharsets.UTF_8);
    assertThat(ScreenModel.Boundaries.safeEnd(done, done.length)).isEqualTo(done.length);
    byte[] euro = "x€".getBytes(StandardCharsets.UTF_8); // 1 + 3 bytes
    assertThat(ScreenModel.Boundaries.safeEnd(euro, 3)).isEqualTo(1);
    assertThat(ScreenModel.Boundaries.safeEnd(euro, 4)).isEqualTo(4);
    byte[] osc = "\u001b]0;title".getBytes(StandardCharsets.UTF_8);
    assertThat(ScreenModel.Boundaries.safeEnd(osc, osc.length)).isZero();
    byte[] oscDone = "\u001b]0;title\u001b\\ok".getBytes(StandardCharsets.UTF_8);
    assertThat(ScreenModel.Boundaries.safeEnd(oscDone, oscDone.length)).isEqualTo(oscDone.length);
  }
}
