package dev.hack.node.jobs;

import static dev.hack.node.jobs.JobFixtures.TIMEOUT;
import static dev.hack.node.jobs.JobFixtures.awaitFinished;
import static dev.hack.node.jobs.JobFixtures.log;
import static dev.hack.node.jobs.JobFixtures.sh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.supervisor.Follower;
import dev.hack.node.supervisor.Sink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Job#follow}: a {@link Follower} over a running job's log, as SSH and the gateway use. */
class JobFollowTest {
  @TempDir Path home;
  @TempDir Path project;
  private JobManager jobs;
  private ExecutorService pumps;
  private ScheduledExecutorService client;

  @BeforeEach
  void open() throws Exception {
    jobs = new JobManager(home.resolve("jobs"));
    pumps = Executors.newFixedThreadPool(2, r -> new Thread(r, "job-follow-test-pump"));
    client = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "slow-client"));
  }

  @AfterEach
  void close() {
    jobs.close();
    pumps.shutdownNow();
    client.shutdownNow();
  }

  /**
   * A client that takes a millisecond for each chunk and counts how many it was given at once; the
   * job never waits for it.
   */
  final class SlowClient implements Sink {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final AtomicInteger outstanding = new AtomicInteger();
    final AtomicInteger mostOutstanding = new AtomicInteger();
    final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public void send(byte[] data, int off, int len, Runnable onSent) {
      threads.add(Thread.currentThread().getName());
      mostOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
      synchronized (this) {
        received.write(data, off, len);
      }
      client.schedule(
          () -> {
            outstanding.decrementAndGet();
            onSent.run();
          },
          1,
          TimeUnit.MILLISECONDS);
    }

    synchronized String text() {
      return received.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void aSlowClientGetsTheWholeLogOneSendAtATimeAndTheEndAfterTheOutcome() throws Exception {
    // about 1.3 MB in many small writes, while the client is still reading
    Job job = jobs.create(new JobSpec("p1", sh("seq 1 200000; exit 4"), project));
    SlowClient sink = new SlowClient();
    CompletableFuture<String> ended = new CompletableFuture<>();
    Follower f = Follower.over(job.log(), sink).pumpOn(pumps).build();
    job.follow(
        f, () -> ended.complete(job.meta().status() + " " + job.isFinished() + " " + sink.text()));

    String end = ended.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

    awaitFinished(job);
    String all = log(job);
    assertThat(all).startsWith("1\n2\n").endsWith("\n200000\n");
    assertThat(end).isEqualTo(JobStatus.FAILED + " true " + all);
    assertThat(sink.mostOutstanding).hasValue(1);
    assertThat(sink.threads).containsOnly("job-follow-test-pump");
  }

  @Test
  void aStreamFromAnOffsetGetsExactlyTheRestAndOneStoppedEarlyHearsNoMore() throws Exception {
    Job job = jobs.create(new JobSpec("p1", sh("echo one; echo two; sleep 300"), project));
    JobFixtures.awaitLog(job, "two\n");
    SlowClient rest = new SlowClient();
    Follower f = Follower.over(job.log(), rest).from(4).pumpOn(pumps).build();
    Runnable stop = job.follow(f, () -> rest.threads.add("ended"));
    dev.hack.node.testing.Poll.until(TIMEOUT, "the rest", () -> rest.text().equals("two\n"));

    stop.run();
    job.cancel();
    awaitFinished(job);

    assertThat(f.isClosed()).isTrue();
    assertThat(rest.text()).isEqualTo("two\n");
    assertThat(rest.threads).doesNotContain("ended");
  }
}
