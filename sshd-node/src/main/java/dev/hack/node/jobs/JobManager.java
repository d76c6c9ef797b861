package dev.hack.node.jobs;

import dev.hack.keys.FileModes;
import dev.hack.node.api.Ids;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's jobs: programs run to completion without a terminal, on behalf of the gateway ({@code
 * POST /control-plane/projects/:projectId/jobs}) and the CLI ({@code hack job run}). Each job lives
 * in {@code jobsDir/<jobId>/}; see {@link Job}.
 *
 * <p>Threads: {@code job-timer} (owned here) sends the delayed {@code SIGKILL} of cancelled jobs;
 * each job owns its own threads. All methods are thread-safe. The manager owns its jobs' programs:
 * {@link #close()} ends them.
 */
public final class JobManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobManager.class);

  /** How long {@link #close()} lets running programs react to {@code SIGTERM}. */
  static final Duration SHUTDOWN_TERM = Duration.ofMillis(2_500);

  /** How long {@link #close()} takes at most before it records the jobs it ended. */
  static final Duration SHUTDOWN_TOTAL = Duration.ofSeconds(3);

  /** How long {@link #close()} then waits for the jobs' threads to end. */
  private static final Duration THREADS_GRACE = Duration.ofMillis(500);

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private final Path jobsDir;
  private final ScheduledExecutorService timer;
  private final Object lifecycle = new Object(); // serialises create with close
  private final Map<String, Job> jobs = new LinkedHashMap<>(); // guarded by itself; oldest first
  private boolean closed; // guarded by lifecycle

  /**
   * Opens {@code jobsDir} (creating it, mode 0700) and loads every job recorded there. A job that
   * had not finished when the node stopped is recorded as failed ({@code job.failed} with {@code
   * {"reason":"the node stopped while the job was running"}}). A directory that holds no readable
   * job is skipped with a warning, and its id is never reused.
   */
  public JobManager(Path jobsDir) throws IOException {
    this.jobsDir = FileModes.ensurePrivateDir(jobsDir);
    for (Job job : load(this.jobsDir)) {
      jobs.put(job.id(), job);
    }
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "job-timer");
              t.setDaemon(true);
              return t;
            });
  }

  private static List<Job> load(Path jobsDir) throws IOException {
    List<Job> loaded = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(jobsDir, Files::isDirectory)) {
      for (Path dir : dirs) {
        if (!Files.exists(dir.resolve(Job.META))) {
          continue;
        }
        try {
          loaded.add(Job.recover(dir));
        } catch (IOException e) {
          LOG.warn("{}: skipped, not a readable job: {}", dir, e.getMessage());
        }
      }
    }
    loaded.sort(Comparator.comparing(JobManager::createdAt).thenComparing(Job::id));
    return loaded;
  }

  private static Instant createdAt(Job job) {
    try {
      return Instant.parse(job.meta().createdAt());
    } catch (DateTimeParseException e) {
      return Instant.EPOCH; // a hand-edited record: sort it first rather than fail the node
    }
  }

  /**
   * Records a new job and starts its program on the job's own thread; returns at once, with the job
   * {@code queued}, {@code starting} or already {@code running}. A program that cannot be started
   * (no such program, the directory has gone) is not an exception here: the job ends {@code failed}
   * with the reason in its {@code job.failed} event and its log.
   *
   * @throws IOException if the job cannot be recorded on disk
   * @throws IllegalStateException after {@link #close()}
   */
  public Job create(JobSpec spec) throws IOException {
    Objects.requireNonNull(spec, "spec");
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the job manager is closed");
      }
      dev.hack.node.supervisor.DiskSpace.require(jobsDir, "start a job");
      String id = newJobDir();
      Job job = Job.create(id, Ids.child(jobsDir, id), spec, timer);
      synchronized (jobs) {
        jobs.put(id, job);
      }
      LOG.info("job {}: created: {}", id, spec);
      job.start();
      return job;
    }
  }

  /** Creates the directory of a new job, under an id that no job on disk has. */
  private String newJobDir() throws IOException {
    FileAttribute<?>[] attrs =
        POSIX
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))
            }
            : new FileAttribute<?>[0];
    for (int attempt = 0; ; attempt++) {
      String id = JobIds.next();
      try {
        Files.createDirectory(Ids.child(jobsDir, id), attrs);
        return id;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw new IOException("cannot find a free job id in " + jobsDir, e);
        }
        // taken (by a job of an earlier run whose clock was ahead): try the next id
      }
    }
  }

  /** The jobs of {@code projectId} (null: all jobs), oldest first. */
  public List<Job> list(String projectId) {
    List<Job> out = new ArrayList<>();
    synchronized (jobs) {
      for (Job job : jobs.values()) {
        if (projectId == null || projectId.equals(job.meta().projectId())) {
          out.add(job);
        }
      }
    }
    return out;
  }

  public Optional<Job> get(String jobId) {
    synchronized (jobs) {
      return Optional.ofNullable(jobs.get(jobId));
    }
  }

  /**
   * Node shutdown: ends every running job and records it as failed because the node shut down (a
   * job being cancelled is recorded as cancelled). Programs get {@code SIGTERM}, then {@code
   * SIGKILL} after {@link #SHUTDOWN_TERM}; after {@link #SHUTDOWN_TOTAL} every job has its final
   * event, whatever is left. Blocks for at most about {@link #SHUTDOWN_TOTAL}. Idempotent; {@link
   * #create} fails afterwards, the other methods keep working.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    long start = System.nanoTime();
    List<Job> running = new ArrayList<>();
    for (Job job : list(null)) {
      if (!job.isFinished()) {
        running.add(job);
      }
    }
    if (!running.isEmpty()) {
      LOG.info("stopping {} running job(s)", running.size());
    }
    running.forEach(Job::shutdown);
    awaitFinished(running, deadline(start, SHUTDOWN_TERM));
    running.forEach(Job::kill);
    awaitFinished(running, deadline(start, SHUTDOWN_TOTAL));
    for (Job job : running) {
      if (!job.isFinished()) {
        LOG.warn(
            "job {}: did not end within {} of shutdown; recording it anyway",
            job.id(),
            SHUTDOWN_TOTAL);
        job.forceFinish();
      }
    }
    timer.shutdownNow();
    long threadsDeadline = System.nanoTime() + THREADS_GRACE.toNanos();
    try {
      for (Job job : running) {
        Duration left = Duration.ofNanos(Math.max(0, threadsDeadline - System.nanoTime()));
        if (!job.awaitThread(left)) {
          LOG.warn("job {}: its thread is still waiting for the program", job.id());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long deadline(long start, Duration after) {
    return start + after.toNanos();
  }

  private static void awaitFinished(List<Job> jobs, long deadlineNanos) {
    List<CompletableFuture<JobMeta>> futures = new ArrayList<>();
    for (Job job : jobs) {
      futures.add(job.finished());
    }
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining <= 0) {
      return;
    }
    try {
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(remaining, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // the caller deals with the jobs that have not finished
    } catch (ExecutionException e) {
      // a job's future is only ever completed normally
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
