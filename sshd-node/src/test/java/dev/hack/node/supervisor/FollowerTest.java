package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-client cursor: pass-through when caught up, catch-up from the log, resync when far
 * behind.
 */
class FollowerTest {
  @TempDir Path dir;

  /** A sink that holds each send until the test releases it, like a client that stops reading. */
  static final class HeldSink implements Sink {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Runnable> pending = new ArrayList<>();
    int sends;

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
