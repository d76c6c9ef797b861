package dev.hack.node.ssh;

import dev.hack.node.jobs.Job;
import dev.hack.node.supervisor.Sink;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a job's log to an SSH channel from an offset: up to the current end ({@code job logs}), or
 * live until the job has finished ({@code job logs --follow}). One write in flight at a time, so a
 * slow client only slows itself; the job never waits for it.
 */
final class JobLogPump {
  private static final Logger LOG = LoggerFactory.getLogger(JobLogPump.class);
  private static final int CHUNK = 64 * 1024;

  private final Job job;
  private final Sink sink;
  private final Executor executor;
  private final boolean follow;
  private final long limit;
  private final Consumer<Job> onDone;
  private final byte[] buf = new byte[CHUNK];
  private Runnable unsubscribe;

  private long sent; // only the one sender (whoever set sending) touches it, and the buffer

  // guarded by this, which is never held for a log read: the job's reader thread takes it
  private boolean sending;
  private boolean dirty;
  private boolean closed;

  private JobLogPump(
      Job job, Sink sink, Executor executor, long from, boolean follow, Consumer<Job> onDone) {
    this.job = job;
    this.sink = sink;
    this.executor = executor;
    this.sent = from;
    this.follow = follow;
    this.limit = follow ? Long.MAX_VALUE : job.logEnd();
    this.onDone = onDone;
  }

  /**
   * Starts sending; {@code onDone} runs once everything was sent (for {@code follow}: once the job
   * has finished and its whole log was sent).
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
    JobLogPump p = new JobLogPump(job, sink, executor, from, follow, onDone);
    if (follow) {
      p.unsubscribe = job.subscribe(p::pump);
    }
    p.pump();
    return p;
  }

  void close() {
    synchronized (this) {
      closed = true;
    }
    if (unsubscribe != null) {
      unsubscribe.run();
    }
  }

  private void pump() {
    synchronized (this) {
      if (closed) {
        return;
      }
      if (sending) {
        dirty = true;
        return;
      }
      sending = true;
    }
    executor.execute(this::next);
  }

  private void next() {
    int n;
    while (true) {
      synchronized (this) {
        dirty = false;
      }
      boolean finished = job.isFinished(); // before reading: a finished job's log is complete
      long want = Math.min(CHUNK, limit - sent);
      try {
        n = want <= 0 ? 0 : job.readLog(sent, buf, 0, (int) want);
      } catch (IOException e) {
        LOG.warn("job {}: reading the log: {}", job.id(), e.toString());
        n = -1;
      }
      if (n > 0) {
        sent += n;
        break;
      }
      boolean done = !follow || n < 0 || (finished && sent >= job.logEnd());
      synchronized (this) {
        if (done) {
          closed = true;
          sending = false;
          break;
        }
        if (!dirty) {
          sending = false;
          return; // the next change pumps again
        }
      }
    }
    if (n > 0) {
      sink.send(buf, 0, n, () -> executor.execute(this::next));
      return;
    }
    if (unsubscribe != null) {
      unsubscribe.run();
    }
    if (follow) {
      // the log is sealed a moment before the outcome is recorded: wait for the outcome
      job.finished().whenComplete((meta, error) -> onDone.accept(job));
    } else {
      onDone.accept(job);
    }
  }
}
