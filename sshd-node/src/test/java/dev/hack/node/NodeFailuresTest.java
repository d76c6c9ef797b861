package dev.hack.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A periodic task that throws runs again: a plain scheduled executor would drop it for good. */
class NodeFailuresTest {
  @Test
  void aGuardedPeriodicTaskThatThrowsRunsAgainAtItsNextTurn() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicInteger runs = new AtomicInteger();
      timer.scheduleWithFixedDelay(
          NodeFailures.guarded(
              "test task",
              () -> {
                runs.incrementAndGet();
                throw new IllegalStateException("every time");
              }),
          0,
          10,
          TimeUnit.MILLISECONDS);
      Poll.until(Duration.ofSeconds(10), "three runs", () -> runs.get() >= 3);
      assertThat(runs.get()).isGreaterThanOrEqualTo(3);
    } finally {
      timer.shutdownNow();
    }
  }
}
