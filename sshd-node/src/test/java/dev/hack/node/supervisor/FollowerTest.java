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
