package dev.hack.node.ssh;

import dev.hack.node.jobs.Job;
import dev.hack.node.supervisor.Follower;
import dev.hack.node.supervisor.Sink;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code job logs}: a job's log to an SSH channel from an offset, up to the current end, or live
 * until the job has finished ({@code --follow}). A {@link Follower} does the sending (one write in
 * flight, so a slow client only slows itself and the job never waits for it); this only says where
 * the stream starts and ends.
 */
final class JobLogPump {
  private static final Logger LOG = LoggerFactory.getLogger(JobLogPump.class);

  private final Runnable stop;

  private JobLogPump(Runnable stop) {
    this.stop = stop;
  }

  /**
   * Starts sending, the log reads on {@code executor}; {@code onDone} runs once everything was sent
   * (for {@code follow}: once the job has finished and its whole log was sent). If the log cannot
   * be read, the stream ends there and {@code onDone} runs as it would have (after the job has
   * finished, for {@code follow}).
   *
   * @throws IllegalArgumentException if {@code from} is outside the log
   */
  static JobLogPump start(
      Job job, Sink sink, Executor executor, long from, boolean follow, Consumer<Job> onDone) {
    long end = job.logEnd();
    if (from < 0 || from > end) {
      throw new IllegalArgumentException(
          "offset " + from + " is outside the log of job " + job.id() + " (0.." + end + " bytes)");
    }
    Follower f =
        Follower.over(job.log(), sink)
            .from(from)
            .pumpOn(executor)
            .onReadError(
                e -> {
                  LOG.warn("job {}: reading the log: {}", job.id(), e.toString());
                  if (follow) {
                    job.finished().whenComplete((meta, error) -> onDone.accept(job));
                  } else {
                    onDone.accept(job);
                  }
                })
            .build();
    if (follow) {
      return new JobLogPump(job.follow(f, () -> onDone.accept(job)));
    }
    f.limit(end);
    f.whenDrained(() -> onDone.accept(job));
    return new JobLogPump(f::close);
  }

  void close() {
    stop.run();
  }
}
