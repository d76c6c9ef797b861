package dev.hack.node.jobs;

import com.google.gson.JsonObject;
import dev.hack.keys.FileModes;
import dev.hack.node.api.Json;
import dev.hack.node.supervisor.Follower;
import dev.hack.node.supervisor.LogSource;
import dev.hack.node.supervisor.Signals;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job: a program run without a terminal, its combined output log and its event history, kept in
 * {@code jobs/<jobId>/} ({@code meta.json}, {@code output.log}, {@code events.jsonl}).
 *
 * <p>Threads: {@code job-ID} starts the program, waits for it and records the outcome; {@code
 * job-read-ID} copies the program's output into the log. Both are owned by the job and end with it.
 * Every public method is safe to call from any thread and none blocks for long: reads go to the
 * page cache, and {@link #cancel()} only sends a signal.
 *
 * <p>Ordering: an event is on disk ({@code events.jsonl}, then {@code meta.json}) before {@link
 * #eventsAfter} returns it and before subscribers hear of it; log bytes are in {@code output.log}
 * before {@link #logEnd()} counts them. The final event is recorded only after the log is complete,
 * so a reader that has seen it and then reads the log to its end has every byte.
 */
public final class Job {
  private static final Logger LOG = LoggerFactory.getLogger(Job.class);

  /** How long a cancelled program has between {@code SIGTERM} and {@code SIGKILL}. */
  static final Duration KILL_AFTER = Duration.ofSeconds(3);

  /**
   * How long to wait, after the program exited, for the end of its output. Processes it left in the
   * background can hold the output open for ever; the job ends without their later output.
   */
  static final Duration EOF_GRACE = Duration.ofSeconds(2);

  static final String NODE_STOPPED = "the node stopped while the job was running";
  static final String NODE_SHUT_DOWN = "the node shut down";

  static final String META = "meta.json";
  static final String OUTPUT = "output.log";
  static final String EVENTS = "events.jsonl";

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private final String id;
  private final Path dir;
  private final JobLog log;
  private final List<String> command;
  private final Path cwd;
  private final Map<String, String> env; // overrides; memory only, may hold secrets
  private final ScheduledExecutorService timer; // the manager's; null for recovered jobs
  private final CopyOnWriteArrayList<JobEvent> events = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Runnable> subscribers = new CopyOnWriteArrayList<>();
  private final CompletableFuture<JobMeta> finished = new CompletableFuture<>();
  private volatile JobMeta meta; // replaced, under this, at every change

  // guarded by this
  private JobProcess process;
  private boolean cancelRequested;
  private String cancelSignal; // the strongest signal sent to cancel
  private boolean shutdownRequested;
  private Outcome outcome; // decided when the program has exited or cannot run
  private Integer exitCode;
  private boolean finishing;
  private Thread runner;

  /** How a job ends: its final status and event. */
  private record Outcome(JobStatus status, String eventType, JsonObject payload) {}

  private Job(
      String id,
      Path dir,
      JobLog log,
      JobMeta meta,
      List<String> command,
      Path cwd,
      Map<String, String> env,
      ScheduledExecutorService timer) {
    this.id = id;
    this.dir = dir;
    this.log = log;
    this.meta = meta;
    this.command = command;
    this.cwd = cwd;
    this.env = env;
    this.timer = timer;
  }

  /**
   * Records a new job in {@code dir} (which exists and is empty): its log, its {@code meta.json}
   * and its {@code job.created} event. Does not start it.
   */
  static Job create(String id, Path dir, JobSpec spec, ScheduledExecutorService timer)
      throws IOException {
    String now = Instant.now().toString();
    JobMeta meta =
        new JobMeta(
            id,
            JobStatus.QUEUED,
            spec.runner(),
            spec.command(),
            spec.projectId(),
            spec.projectName(),
            now,
            now,
            0,
            spec.cwd().toString(),
            null,
            null);
    Job job =
        new Job(
            id,
            dir,
            JobLog.open(dir.resolve(OUTPUT)),
            meta,
            spec.command(),
            spec.cwd(),
            spec.env(),
            timer);
    try {
      synchronized (job) {
        job.record(JobStatus.QUEUED, JobEvent.CREATED, new JsonObject());
      }
    } catch (IOException e) {
      try {
        job.log.seal(); // the job never runs: release its log
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
    return job;
  }

  /**
   * Loads a job recorded by an earlier run of the node. One that had not finished then (the node
   * died or was killed under it) is recorded now as failed: its program's output went to the old
   * node, which is gone.
   *
   * @throws IOException if {@code dir} holds no readable job record
   */
  static Job recover(Path dir) throws IOException {
    JobMeta meta;
    Path metaFile = dir.resolve(META);
    try {
      meta = Json.GSON.fromJson(Files.readString(metaFile, StandardCharsets.UTF_8), JobMeta.class);
    } catch (RuntimeException e) {
      // Gson's parse errors, and the record's own checks, which Gson wraps in RuntimeException
      throw new IOException(metaFile + " is not a job record: " + e.getMessage(), e);
    }
    if (meta == null) {
      throw new IOException(metaFile + " is empty");
    }
    if (!meta.jobId().equals(dir.getFileName().toString())) {
      // a copied directory: two jobs must never share an id
      throw new IOException(metaFile + " is for job " + JobProcess.quote(meta.jobId()));
    }
    Job job =
        new Job(
            meta.jobId(),
            dir,
            JobLog.sealed(dir.resolve(OUTPUT)),
            meta,
            meta.command() == null ? List.of() : meta.command(),
            meta.cwd() == null ? null : Path.of(meta.cwd()),
            Map.of(),
            null);
    boolean tornLine = job.loadEvents();
    synchronized (job) {
      job.finishing = true;
      JobEvent last = job.events.isEmpty() ? null : job.lastEvent();
      // Files that cannot be written now are logged, not fatal: the job is still shown.
      if (last != null && last.isFinal() && !meta.isTerminal()) {
        // The node stopped between writing the final event and meta.json.
        Integer code =
            last.payload().has("exitCode") ? last.payload().get("exitCode").getAsInt() : null;
        job.meta = meta.with(statusOf(last.type()), last.ts(), last.seq(), meta.pid(), code);
        job.writeMetaQuietly();
      } else if (!meta.isTerminal()) {
        if (tornLine) {
          try {
            job.appendToEvents("\n"); // end the half-written line so the next event has its own
          } catch (IOException e) {
            LOG.warn("job {}: could not repair {}: {}", job.id, EVENTS, e.toString());
          }
        }
        JsonObject payload = new JsonObject();
        payload.addProperty("reason", NODE_STOPPED);
        job.recordQuietly(JobStatus.FAILED, JobEvent.FAILED, payload);
        LOG.info("job {}: was {} when the node stopped; recorded as failed", job.id, meta.status());
      }
    }
    job.finished.complete(job.meta);
    return job;
  }

  /** Reads {@code events.jsonl}; returns whether its last line was cut short. */
  private boolean loadEvents() throws IOException {
    String text;
    try {
      text = Files.readString(dir.resolve(EVENTS), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return false;
    }
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JobEvent e = Json.GSON.fromJson(line, JobEvent.class);
        if (e != null) {
          events.add(e);
        }
      } catch (RuntimeException e) {
        // A line the node was writing when it died (or Gson's wrapping of the record's checks);
        // the events before it still count.
        LOG.warn("job {}: skipped an unreadable line of {}: {}", id, EVENTS, e.getMessage());
      }
    }
    return !text.isEmpty() && !text.endsWith("\n");
  }

  private static JobStatus statusOf(String finalEventType) {
    return switch (finalEventType) {
      case JobEvent.COMPLETED -> JobStatus.COMPLETED;
      case JobEvent.CANCELLED -> JobStatus.CANCELLED;
      default -> JobStatus.FAILED;
    };
  }

  /** Starts the job's thread. Called once, by the manager. */
  synchronized void start() {
    runner = new Thread(this::run, "job-" + id);
    runner.setDaemon(true);
    runner.start();
  }

  public String id() {
    return id;
  }

  /** The current metadata: an immutable snapshot. */
  public JobMeta meta() {
    return meta;
  }

  /** Whether the final event has been recorded (and the log is complete). */
  public boolean isFinished() {
    return finished.isDone();
  }

  /**
   * Completes, with the final metadata, after the final event is on disk and the log is complete.
   * Each call returns a new future, so completing or cancelling it does not affect the job.
   * Dependent actions that are not {@code …Async} run on the job's thread: keep them short.
   */
  public CompletableFuture<JobMeta> finished() {
    return finished.copy();
  }

  /**
   * Cancels the job: {@code SIGTERM} to its whole process group now, {@code SIGKILL} if the program
   * is still running {@link #KILL_AFTER} later. Whatever the program leaves behind in its group
   * when it exits is killed too. Does not wait.
   *
   * @return false if the job has finished, or its program has already exited by itself (its final
   *     event may still be on its way); true otherwise: the job will end {@code cancelled} (also
   *     when it was already being cancelled)
   */
  public boolean cancel() {
    synchronized (this) {
      if (finished.isDone()) {
        return false;
      }
      if (cancelRequested) {
        return true;
      }
      if (outcome != null || finishing) {
        return false;
      }
      cancelRequested = true;
      if (process == null) {
        // Not started: the job's thread sees the request before it starts the program.
        return true;
      }
      cancelSignal = "SIGTERM";
      signal(Signals.SIGTERM);
    }
    LOG.info("job {}: cancelled, sent SIGTERM to its process group", id);
    try {
      timer.schedule(this::killIfStillRunning, KILL_AFTER.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The manager has closed: its close() has ended the program (or is about to).
      LOG.debug("job {}: no SIGKILL timer, the job manager is closed", id);
    }
    return true;
  }

  private void killIfStillRunning() {
    synchronized (this) {
      if (outcome != null || finishing) {
        return;
      }
      cancelSignal = "SIGKILL";
      process.signal(Signals.SIGKILL);
    }
    LOG.info("job {}: still running {} after SIGTERM, sent SIGKILL", id, KILL_AFTER);
  }

  /** Caller holds this. SIGCONT after the signal so that a stopped program gets it too. */
  private void signal(int sig) {
    process.signal(sig);
    process.signal(Signals.SIGCONT);
  }

  /**
   * Node shutdown, step 1: asks the program's group to stop ({@code SIGTERM}); the job will be
   * recorded as failed because the node shut down, unless it was being cancelled already.
   */
  void shutdown() {
    synchronized (this) {
      if (outcome != null || finishing) {
        return;
      }
      shutdownRequested = true;
      if (process != null) {
        signal(Signals.SIGTERM);
      }
    }
  }

  /** Node shutdown, step 2: {@code SIGKILL} to the group of a program that is still running. */
  void kill() {
    synchronized (this) {
      if (outcome != null || finishing || process == null) {
        return;
      }
      if (cancelRequested) {
        cancelSignal = "SIGKILL";
      }
      process.signal(Signals.SIGKILL);
    }
  }

  /**
   * Node shutdown, last step: records the final event now, without waiting any longer for the
   * program or its output.
   */
  void forceFinish() {
    synchronized (this) {
      if (outcome == null) {
        outcome = stopped();
      }
    }
    finish();
  }

  /** Joins the job's thread for at most {@code timeout}; returns whether it has ended. */
  boolean awaitThread(Duration timeout) throws InterruptedException {
    Thread t;
    synchronized (this) {
      t = runner;
    }
    if (t == null) {
      return true;
    }
    t.join(Math.max(1, timeout.toMillis()));
    return !t.isAlive();
  }

  /** Bytes in the combined log so far; never decreases. */
  public long logEnd() {
    return log.end();
  }

  /**
   * Copies log bytes from offset {@code from} into {@code dst}. Never blocks waiting for output.
   *
   * @return the number of bytes copied (at most {@code len}, at least 1 when {@code len > 0} and
   *     {@code from < logEnd()}); 0 when there are no bytes at {@code from} yet (or {@code len} is
   *     0); -1 when {@code from} is the end of a complete log: the job has ended (or is ending) and
   *     no byte will ever be added
   * @throws IllegalArgumentException if {@code from} is negative or beyond {@link #logEnd()}
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code dst}
   * @throws IOException if the log file cannot be read
   */
  public int readLog(long from, byte[] dst, int off, int len) throws IOException {
    return log.read(from, dst, off, len);
  }

  /**
   * The combined log, for a {@link Follower}: complete once the job's output has ended (a moment
   * before the job counts as {@linkplain #isFinished() finished}). On a full disk it holds hack's
   * line saying how many bytes were not logged, where they would have been.
   */
  public LogSource log() {
    return log;
  }

  /**
   * Streams the log through {@code follower} (built {@linkplain Follower#over over} {@link #log()},
   * or a view of it, and pumping on an executor: it is poked from the job's threads) for as long as
   * the job runs: pokes it at every change to the job (output, events, status), starts it, and runs
   * {@code onEnd} once the job has finished and the follower has sent everything. That is after the
   * final event is recorded, not merely after the log is complete: a client told the stream ended
   * finds the job's outcome.
   *
   * @return what ends the stream early: closes the follower and stops the pokes (idempotent)
   */
  public Runnable follow(Follower follower, Runnable onEnd) {
    Runnable unsubscribe = subscribe(follower::poke);
    follower.start();
    // The future keeps its dependents until the job ends; a stream closed before that leaves only
    // an empty reference behind, not its follower and client.
    AtomicReference<Runnable> atEnd = new AtomicReference<>(() -> follower.whenDrained(onEnd));
    // runs on the job's thread, or here if the job has finished: whenDrained only hands over
    finished.whenComplete(
        (meta, error) -> {
          Runnable r = atEnd.getAndSet(null);
          if (r != null) {
            r.run();
          }
        });
    return () -> {
      atEnd.set(null);
      follower.close();
      unsubscribe.run();
    };
  }

  /** The events with a sequence number greater than {@code seq}, oldest first (0: all). */
  public List<JobEvent> eventsAfter(long seq) {
    List<JobEvent> out = new ArrayList<>();
    for (JobEvent e : events) {
      if (e.seq() > seq) {
        out.add(e);
      }
    }
    return out;
  }

  /** The sequence number of the last event, 0 if there is none. */
  public long lastEventSeq() {
    return events.isEmpty() ? 0 : lastEvent().seq();
  }

  private JobEvent lastEvent() {
    return events.get(events.size() - 1);
  }

  /**
   * Calls {@code onChange} after every change: each log append, each event, and a status change. It
   * runs on the job's threads, so it must be quick and must not block (hand work to another
   * thread); an exception from it is logged and otherwise ignored. Subscribe first, then read, so
   * that no change is missed. A finished job does not change any more.
   *
   * @return an action that unsubscribes (idempotent)
   */
  public Runnable subscribe(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    Runnable subscription =
        onChange::run; // a distinct object, so each subscription is removed once
    subscribers.add(subscription);
    return () -> subscribers.remove(subscription);
  }

  private void changed() {
    for (Runnable r : subscribers) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.warn("job {}: a subscriber failed", id, e);
      }
    }
  }

  // ---- the job's thread ----

  private void run() {
    try {
      runProgram();
    } catch (RuntimeException e) {
      LOG.error("job {}: failed unexpectedly", id, e);
      synchronized (this) {
        if (outcome == null) {
          outcome = failure("the node failed to run the job: " + e);
        }
      }
    } finally {
      finish();
    }
  }

  private void runProgram() {
    synchronized (this) {
      if (cancelRequested || shutdownRequested) {
        outcome = stopped();
        return;
      }
      meta =
          meta.with(JobStatus.STARTING, Instant.now().toString(), meta.lastEventSeq(), null, null);
      writeMetaQuietly();
    }
    changed();
    String problem = JobProcess.whyNotStartable(command, cwd, env);
    JobProcess proc = null;
    synchronized (this) {
      if (cancelRequested || shutdownRequested) {
        outcome = stopped();
        return;
      }
      if (problem == null) {
        try {
          proc = JobProcess.start(command, cwd, env);
        } catch (IOException e) {
          problem = "cannot start " + JobProcess.quote(command.get(0)) + ": " + e.getMessage();
        }
      }
      if (proc == null) {
        outcome = failure(problem);
      } else {
        process = proc;
        JsonObject payload = new JsonObject();
        payload.addProperty("pid", proc.pid());
        recordQuietly(JobStatus.RUNNING, JobEvent.STARTED, payload);
      }
    }
    if (proc == null) {
      LOG.info("job {}: {}", id, problem);
      appendQuietly(("hack: " + problem + "\n").getBytes(StandardCharsets.UTF_8));
      return;
    }
    changed();
    LOG.info("job {}: started {} as pid {}", id, JobProcess.quote(command.get(0)), proc.pid());
    CountDownLatch eof = new CountDownLatch(1);
    JobProcess started = proc;
    Thread reader = new Thread(() -> copyOutput(started, eof), "job-read-" + id);
    reader.setDaemon(true);
    reader.start();

    int code = waitForExit(proc.process());
    boolean stopping;
    synchronized (this) {
      exitCode = code;
      stopping = cancelRequested || shutdownRequested;
      if (outcome == null) {
        outcome = stopping ? stopped() : exited(code);
      }
    }
    if (stopping) {
      proc.signal(Signals.SIGKILL); // whatever the program left behind in its group
    }
    if (!await(eof, EOF_GRACE)) {
      LOG.info(
          "job {}: output still open {} after the program exited (a background process holds it);"
              + " the log ends here",
          id,
          EOF_GRACE);
      try {
        proc.process().getInputStream().close();
      } catch (IOException e) {
        LOG.debug("job {}: closing the output pipe: {}", id, e.toString());
      }
    }
  }

  /** {@code job-read-ID}: program output into the log, until end of file or the log is sealed. */
  private void copyOutput(JobProcess proc, CountDownLatch eof) {
    byte[] buf = new byte[32 * 1024];
    InputStream in = proc.process().getInputStream();
    // while the log cannot be written (a full disk), output is drained and counted, so the program
    // never blocks on a full pipe; a write is tried again once a second, and the first one that
    // succeeds is a line saying how much is missing
    long unlogged = 0;
    String unloggedWhy = null;
    long retryAt = 0;
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (n == 0) {
          continue;
        }
        if (unloggedWhy != null) {
          if (System.nanoTime() < retryAt) {
            unlogged += n;
            continue;
          }
          byte[] gap =
              ("\nhack: " + unlogged + " bytes of output were not logged (" + unloggedWhy + ")\n")
                  .getBytes(StandardCharsets.UTF_8);
          try {
            if (!log.append(gap, 0, gap.length)) {
              return;
            }
            LOG.warn("job {}: {} is written again; {} bytes were not logged", id, OUTPUT, unlogged);
            unloggedWhy = null;
            unlogged = 0;
          } catch (IOException e) {
            unlogged += n;
            retryAt = System.nanoTime() + 1_000_000_000L;
            continue;
          }
        }
        try {
          if (!log.append(buf, 0, n)) {
            return; // the job ended without waiting for the rest
          }
        } catch (IOException e) {
          LOG.warn(
              "job {}: cannot write {} ({}); its output is not logged until a write succeeds again",
              id,
              OUTPUT,
              e.getMessage());
          unloggedWhy = String.valueOf(e.getMessage());
          unlogged = n;
          retryAt = System.nanoTime() + 1_000_000_000L;
        }
        changed();
      }
    } catch (IOException e) {
      // The pipe was closed under us because the job ended without waiting for end of file.
      LOG.debug("job {}: output read ended: {}", id, e.toString());
    } finally {
      eof.countDown();
    }
  }

  /** Seals the log and records the outcome, once; then tells everyone. */
  private void finish() {
    Outcome o;
    synchronized (this) {
      if (finishing) {
        return;
      }
      finishing = true;
      o = outcome != null ? outcome : stopped();
    }
    try {
      log.seal();
    } catch (IOException e) {
      LOG.warn("job {}: closing {}: {}", id, OUTPUT, e.toString());
    }
    JobMeta last;
    synchronized (this) {
      recordQuietly(o.status(), o.eventType(), o.payload());
      last = meta;
    }
    LOG.info("job {}: {} {}", id, o.status(), o.payload());
    changed();
    finished.complete(last);
  }

  // ---- outcomes; callers hold this ----

  private Outcome stopped() {
    if (cancelRequested) {
      JsonObject payload = new JsonObject();
      if (cancelSignal != null) {
        payload.addProperty("signal", cancelSignal);
      }
      return new Outcome(JobStatus.CANCELLED, JobEvent.CANCELLED, payload);
    }
    return failure(NODE_SHUT_DOWN);
  }

  private static Outcome exited(int code) {
    JsonObject payload = new JsonObject();
    payload.addProperty("exitCode", code);
    return code == 0
        ? new Outcome(JobStatus.COMPLETED, JobEvent.COMPLETED, payload)
        : new Outcome(JobStatus.FAILED, JobEvent.FAILED, payload);
  }

  private static Outcome failure(String reason) {
    JsonObject payload = new JsonObject();
    payload.addProperty("reason", reason);
    return new Outcome(JobStatus.FAILED, JobEvent.FAILED, payload);
  }

  // ---- persistence; callers hold this ----

  /**
   * Records the next event and the status it brings: appends it to {@code events.jsonl}, rewrites
   * {@code meta.json}, then publishes both in memory. If a file cannot be written the job carries
   * on in memory, and the exception is thrown after.
   */
  private void record(JobStatus status, String type, JsonObject payload) throws IOException {
    long seq = Math.max(meta.lastEventSeq(), lastEventSeq()) + 1;
    String now = Instant.now().toString();
    JobEvent event = new JobEvent(seq, now, type, payload);
    JobMeta next =
        meta.with(
            status,
            now,
            seq,
            process != null ? Long.valueOf(process.pid()) : meta.pid(),
            exitCode != null ? exitCode : meta.exitCode());
    IOException failure = null;
    try {
      appendToEvents(Json.GSON.toJson(event) + "\n");
    } catch (IOException e) {
      failure = e;
    }
    meta = next;
    try {
      writeMeta();
    } catch (IOException e) {
      if (failure == null) {
        failure = e;
      }
    }
    events.add(event);
    if (failure != null) {
      throw failure;
    }
  }

  private void recordQuietly(JobStatus status, String type, JsonObject payload) {
    try {
      record(status, type, payload);
    } catch (IOException e) {
      LOG.warn("job {}: could not write {} to disk: {}", id, type, e.toString());
    }
  }

  private void appendToEvents(String text) throws IOException {
    Set<OpenOption> options =
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    FileAttribute<?>[] attrs =
        POSIX
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
            }
            : new FileAttribute<?>[0];
    try (FileChannel ch = FileChannel.open(dir.resolve(EVENTS), options, attrs)) {
      ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  private void writeMeta() throws IOException {
    FileModes.writeAtomically(
        dir.resolve(META), Json.PRETTY.toJson(meta).getBytes(StandardCharsets.UTF_8), false);
  }

  private void writeMetaQuietly() {
    try {
      writeMeta();
    } catch (IOException e) {
      LOG.warn("job {}: could not write {}: {}", id, META, e.toString());
    }
  }

  /** Appends a message of the node's own to the log (only while no reader thread runs). */
  private void appendQuietly(byte[] line) {
    try {
      if (log.append(line, 0, line.length)) {
        changed();
      }
    } catch (IOException e) {
      LOG.warn("job {}: cannot write {}: {}", id, OUTPUT, e.toString());
    }
  }

  private static int waitForExit(Process p) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return p.waitFor(); // as long as the program runs: cancel and shutdown bound it
        } catch (InterruptedException e) {
          interrupted = true; // the exit still has to be recorded
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static boolean await(CountDownLatch latch, Duration timeout) {
    try {
      return latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return latch.getCount() == 0;
    }
  }
}
