package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.api.PtySize;
import dev.hack.node.supervisor.FollowerTest.HeldSink;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which attached client paces a session's program, and what happens when it stops taking output: a
 * real node and real programs on PTYs, with the clients' sinks played by the test.
 */
class PacingTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final PtySize SIZE = new PtySize(80, 24);

  @TempDir Path dir;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  /** A client that takes everything at once. */
  static final class Taking implements Sink {
    final AtomicLong bytes = new AtomicLong();

    @Override
    public void send(byte[] data, int off, int len, Runnable onSent) {
      bytes.addAndGet(len);
      onSent.run();
    }
  }

  private PtySession session(String id, String command) throws Exception {
    TestNode.Result r = node.mina("new --name " + id + " -- " + command);
    assertThat(r.exit()).as(r.err()).isZero();
    return (PtySession) node.node().supervisor().get(id);
  }

  private static final String READY = "ready\r\n";

  /**
   * A session that prints {@code n} bytes once it reads a line; returned once its terminal no
   * longer echoes, so the line typed to start it is not in the output.
   */
  private PtySession gated(String id, long n) throws Exception {
    PtySession s =
        session(id, "sh -c 'stty -echo; echo ready; read x; head -c " + n + " /dev/zero'");
    Poll.until(WAIT, "the program to be ready", () -> s.log().end() == READY.length());
    return s;
  }

  @Test
  void thePacerIsTheClientThatTypedLastElseTheOneThatAttachedLastAndNeverAReadOnlyOne()
      throws Exception {
    PtySession s = session("choice", "cat");
    assertThat(s.pacer()).as("nobody attached: nothing paces").isNull();
    Attachment a = s.attach(new Taking(), SIZE, false, e -> {});
    assertThat(s.pacer()).isSameAs(a);
    Attachment b = s.attach(new Taking(), SIZE, false, e -> {});
    assertThat(s.pacer()).as("the one that attached last").isSameAs(b);
    Attachment watcher = s.attach(new Taking(), SIZE, true, e -> {});
    assertThat(s.pacer()).as("a read-only client never paces").isSameAs(b);
    byte[] key = "x".getBytes(StandardCharsets.UTF_8);
    watcher.input(key, 0, 1);
    assertThat(s.pacer()).as("a read-only client's keys are ignored").isSameAs(b);

    a.input(key, 0, 1);
    assertThat(s.pacer()).as("the one that typed last").isSameAs(a);
    Attachment c = s.attach(new Taking(), SIZE, false, e -> {});
    assertThat(s.pacer()).as("typing outranks attaching").isSameAs(a);
    b.input(key, 0, 1);
    assertThat(s.pacer()).isSameAs(b);
    b.detach();
    assertThat(s.pacer()).as("the typist before it").isSameAs(a);
    a.detach();
    assertThat(s.pacer()).as("nobody typed: the last to attach").isSameAs(c);
    c.detach();
    assertThat(s.pacer()).as("only a read-only client is left").isNull();
    watcher.detach();
  }

  @Test
  void aPacerThatStopsTakingOutputStopsPacingTheProgramCompletesAndItIsSkippedAhead()
      throws Exception {
    long n = 24L << 20; // far more than the 4 MiB after which a client is skipped ahead
    PtySession s = gated("flood", n);
    HeldSink stalled = new HeldSink(); // takes one send and never completes it
    List<Attachment.End> ends = new CopyOnWriteArrayList<>();
    Attachment a = s.attach(stalled, SIZE, false, ends::add);
    byte[] enter = "\n".getBytes(StandardCharsets.UTF_8);
    a.input(enter, 0, 1); // the typist paces
    assertThat(s.pacer()).isSameAs(a);

    Poll.until(WAIT, "the program to complete without its pacer", () -> !s.isRunning());
    assertThat(s.pacer()).as("it stalled, so it no longer paces").isNull();
    assertThat(s.log().end()).as("the log has every byte").isEqualTo(READY.length() + n);
    assertThat(ends).isEmpty(); // it has not been sent the rest yet

    // the client takes output again: it is sent a fresh screen instead of 24 MiB, then the end
    Poll.until(
        WAIT,
        "the end to reach it",
        () -> {
          stalled.releaseAll();
          return !ends.isEmpty();
        });
    assertThat(ends.get(0).sessionExited()).isTrue();
    assertThat((long) stalled.received.size()).isLessThan(n);
  }

  @Test
  void aPacerThatKeepsTakingOutputGetsEveryByteAndOneThatDoesNotPaceIsSkippedAhead()
      throws Exception {
    long n = 24L << 20;
    PtySession s = gated("paced", n);
    HeldSink stalled = new HeldSink();
    List<Attachment.End> ends = new CopyOnWriteArrayList<>();
    Attachment other = s.attach(stalled, SIZE, false, ends::add);
    // a client that takes its output slowly, each send on another thread, as a socket would
    java.util.concurrent.ScheduledExecutorService later =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    AtomicLong received = new AtomicLong();
    Sink slow =
        (data, off, len, onSent) -> {
          received.addAndGet(len);
          later.schedule(onSent, 1, java.util.concurrent.TimeUnit.MILLISECONDS);
        };
    try {
      Attachment pacer = s.attach(slow, SIZE, false, e -> {});
      long screen = received.get(); // the screen it was painted on attach
      byte[] enter = "\n".getBytes(StandardCharsets.UTF_8);
      pacer.input(enter, 0, 1);
      assertThat(s.pacer()).isSameAs(pacer);

      Poll.until(WAIT, "the program to complete", () -> !s.isRunning());
      Poll.until(WAIT, "every byte to reach the pacer", () -> received.get() - screen >= n);
      assertThat(received.get() - screen)
          .as("no fresh screen in between: exactly the log")
          .isEqualTo(n);
    } finally {
      later.shutdownNow();
    }
    Poll.until(
        WAIT,
        "the end to reach the other client",
        () -> {
          stalled.releaseAll();
          return !ends.isEmpty();
        });
    assertThat((long) stalled.received.size()).isLessThan(n);
    other.detach();
  }
}
