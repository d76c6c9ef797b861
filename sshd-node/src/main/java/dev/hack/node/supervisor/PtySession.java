package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.api.SessionStatus;
import dev.hack.node.client.CommandLines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code shell} or {@code process} session: a program on a PTY owned by this node.
 *
 * <p>Threads: none of its own at rest. The node's {@link PtyPoller} ({@code pty-poll}) reads the
 * PTY when the program writes, appends to the log and offers each chunk to the followers; a {@code
 * pty-wait} thread waits for the pacer or the program's exit when there is one to wait for; a
 * {@code pty-input} task writes queued input to the PTY while there is some, so a program that
 * stops reading its input never blocks an SSH I/O thread.
 *
 * <p>Pacing: while a client is attached, one of them paces the program, as the one client of an
 * sshd session does: the reader does not read the PTY while that client's follower is more than
 * {@link #PACE_BOUND} behind the log's end, so the kernel's PTY buffer fills and the program waits
 * for the client, and that client gets every byte. The pacer is the attached client that most
 * recently typed, or, if none has, the one that attached last; read-only clients never pace. A
 * pacer whose output has not moved for {@link #PACE_STALL} has stalled: it stops pacing (the next
 * one in that order takes over) and is treated like every other client, skipped ahead with a fresh
 * screen once far behind, until it is within the bound again or types. The reader waits for nothing
 * else.
 */
public final class PtySession extends Session {
  private static final Logger LOG = LoggerFactory.getLogger(PtySession.class);

  /**
   * Drains the input that queued for each session ({@link #write}): a task per session while it has
   * queued input, none at rest. A write the terminal is not ready for blocks its task only; idle
   * threads end after a minute.
   */
  private static final java.util.concurrent.ExecutorService INPUT = pool("pty-input");

  /** A cached pool of daemon threads called {@code name}: none at rest, idle ones end in 60 s. */
  private static java.util.concurrent.ExecutorService pool(String name) {
    return java.util.concurrent.Executors.newCachedThreadPool(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  private static final long MAX_LAG = 4L << 20;

  /**
   * How far the pacing client may be behind the log before the reader stops reading the PTY: room
   * for a few of the follower's 64 KiB sends, so the client is never starved while the reader waits
   * for its turn, and little enough that Ctrl-C stops the output about as soon as under sshd (whose
   * own limit is the client's 2 MiB channel window, which MINA's window adds to ours).
   */
  static final long PACE_BOUND = 256 * 1024;

  /**
   * How long the pacing client may take no output at all (no send of it completes) before it stops
   * pacing: longer than a slow or lossy link's pause (TCP's retransmissions back off 0.2, 0.4, 0.8,
   * 1.6 s), short enough that the program and the other clients see a stutter, not a hang. A client
   * that stays under about 20 KiB/s (one 64 KiB send in 3 s) counts as stalled.
   */
  static final Duration PACE_STALL = Duration.ofSeconds(3);

  private static final long LOG_RETRY_NANOS = Duration.ofSeconds(1).toNanos();

  private final SessionSpec spec;
  private final String id;
  private final Path dir;
  private final List<String> argv;
  private final Path cwd;
  private final Map<String, String> env;
  private final OutputLog log;
  private final ScreenModel screen;
  private final Runnable onChange;
  private final ScheduledExecutorService executor;
  private final CopyOnWriteArrayList<Follower> followers = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<PtyAttachment> attachments = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<LogFollower> logFollowers = new CopyOnWriteArrayList<>();
  private final Object publishLock = new Object();
  private static final int DIRECT_INPUT_MAX = 1024;
  private final Object inputLock = new Object();
  private long queuedBytes; // guarded by inputLock
  private final BlockingQueue<byte[]> input = new LinkedBlockingQueue<>();
  private final Instant createdAt;
  private final Object paceLock = new Object(); // choosing the pacer; never held while waiting
  private final java.util.concurrent.atomic.AtomicLong claims =
      new java.util.concurrent.atomic.AtomicLong(); // orders attaches and keystrokes
  private volatile PtyAttachment pacer; // null: nobody paces, the reader reads at full speed
  private volatile boolean stalledAny; // some attachment stopped pacing: look for its catch-up
  private volatile boolean unpaced; // stopping or abandoned: the reader waits for nobody

  // guarded by this
  private Pty pty;
  private SessionStatus status;
  private Integer exitCode;
  private Long pid;
  private Instant updatedAt;
  private PtySize size;
  private boolean stopRequested;

  /** The program {@link #hangUp} signalled, and when: a stop after it only waits. */
  private Pty hungUp;

  private long hungUpAt;
  private int restartAttempt;
  private Instant startedRunAt;
  private boolean draining; // guarded by inputLock: an INPUT task drains this session's queue
  private boolean abandoned;
  private final Supervisor.PtyHost ptys;
  private boolean restartPending;
  private String bootId; // the boot the program started in
  private String lostReason; // why a lost session's program is gone: reboot, keeper, node
  private Instant restoredAt; // when a node last brought it back by its intent
  private String lastCwd; // where a shell was last seen

  PtySession(
      SessionSpec spec,
      String id,
      Path dir,
      List<String> argv,
      Path cwd,
      Map<String, String> env,
      ScheduledExecutorService executor,
      Runnable onChange,
      Instant createdAt,
      Supervisor.PtyHost ptys)
      throws IOException {
    this.ptys = ptys;
    this.spec = spec;
    this.id = id;
    this.dir = dir;
    this.argv = List.copyOf(argv);
    this.cwd = cwd;
    this.env = Map.copyOf(env);
    this.onChange = onChange;
    this.executor = executor;
    this.log = OutputLog.open(dir.resolve("output.log"));
    this.size = spec.size();
    this.screen = new ScreenModel(id, log, size, executor);
    this.createdAt = createdAt;
    this.updatedAt = createdAt;
    this.status = SessionStatus.RUNNING;
  }

  /**
   * A session recorded by an earlier run of the node. One that was running is taken back from the
   * keeper when it holds it. When its program is gone (the machine restarted, or the keeper ended)
   * and a keeper should have held it ({@code kept}), it comes back by its intent ({@link
   * #restoreIntent}); otherwise it is {@code lost}, with the reason, its log readable and {@code
   * restart} starting it again.
   */
  static PtySession recovered(
      SessionMeta meta,
      Path dir,
      Map<String, String> env,
      ScheduledExecutorService executor,
      Runnable onChange,
      Supervisor.PtyHost ptys,
      KeeperClient keeper,
      boolean kept)
      throws IOException {
    SessionType type = SessionType.parse(meta.type());
    PtySize size = PtySize.orDefault(meta.cols(), meta.rows());
    SessionSpec spec =
        new SessionSpec(
            meta.id(),
            type,
            type == SessionType.PROCESS ? meta.command() : List.of(),
            meta.cwd(),
            meta.project(),
            Map.of(),
            type == SessionType.PROCESS ? RestartPolicy.parse(meta.restart()) : null,
            size,
            meta.onRestore());
    PtySession s =
        new PtySession(
            spec,
            meta.id(),
            dir,
            meta.command(),
            Path.of(meta.cwd()),
            env,
            executor,
            onChange,
            Instant.parse(meta.createdAt()),
            ptys);
    synchronized (s) {
      s.bootId = meta.bootId();
      s.lastCwd = meta.lastCwd();
      s.lostReason = meta.lostReason();
      s.restoredAt = meta.restoredAt() == null ? null : Instant.parse(meta.restoredAt());
    }
    boolean wasRunning = meta.status() == SessionStatus.RUNNING;
    if (wasRunning && keeper != null && s.adopt(keeper, meta)) {
      return s;
    }
    String reason =
        !wasRunning
            ? meta.lostReason()
            : BootId.changedSince(meta.bootId()) ? "reboot" : kept ? "keeper" : "node";
    Restore intent = wasRunning && kept ? s.restoreIntent() : null;
    if (intent != null) {
      try {
        s.restore(intent, reason, meta);
        return s;
      } catch (IOException | RuntimeException e) {
        LOG.warn("{}: cannot bring it back ({}): {}", meta.id(), intent, e.getMessage());
      }
    }
    synchronized (s) {
      s.status = wasRunning ? SessionStatus.LOST : meta.status();
      s.lostReason = wasRunning ? reason : meta.lostReason();
      s.exitCode = meta.exitCode();
      s.pid = meta.pid();
      s.updatedAt = wasRunning ? Instant.now() : Instant.parse(meta.updatedAt());
      s.persist();
    }
    if (wasRunning) {
      LOG.info("{}: lost ({}); its log is kept", meta.id(), reason);
    }
    return s;
  }

  /** How a session whose program is gone at a node's start comes back. */
  enum Restore {
    /** its {@code --on-restore} command, in its directory */
    ON_RESTORE,
    /** a {@code process} session with {@code --restart always|on-failure}: its command again */
    RESTART,
    /** a {@code shell}: a login shell again, where the last one was */
    SHELL
  }

  /** What this session asked for when its program is gone at a node's start; null: nothing. */
  Restore restoreIntent() {
    if (spec.onRestore() != null) {
      return Restore.ON_RESTORE;
    }
    if (spec.type() == SessionType.PROCESS) {
      return spec.restart() == RestartPolicy.NEVER ? null : Restore.RESTART;
    }
    return spec.type() == SessionType.SHELL ? Restore.SHELL : null;
  }

  /**
   * Brings the session back by {@code how}: the old log stays, a line of hack's own marks where the
   * new program's output starts, and the screen is rebuilt from the log first, so an attached
   * client sees what was there above the line.
   */
  private void restore(Restore how, String reason, SessionMeta meta) throws IOException {
    log.refresh();
    screen.replay(SizeLog.read(dir));
    List<String> lines = screen.lines();
    String lastLine = "";
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (!lines.get(i).isBlank()) {
        lastLine = lines.get(i).strip();
        break;
      }
    }
    Path where = cwd;
    if (how == Restore.SHELL
        && meta.lastCwd() != null
        && Files.isDirectory(Path.of(meta.lastCwd()))) {
      where = Path.of(meta.lastCwd());
    }
    List<String> program =
        how == Restore.ON_RESTORE ? List.of("/bin/sh", "-c", spec.onRestore()) : argv;
    String why =
        switch (reason) {
          case "reboot" -> "the machine restarted";
          case "keeper" -> "the keeper that held it ended";
          default -> "it ended with the node";
        };
    String what =
        switch (how) {
          case ON_RESTORE -> "running its --on-restore command: " + spec.onRestore();
          case RESTART ->
              "starting "
                  + CommandLines.join(argv)
                  + " again (--restart "
                  + spec.restart().wireName()
                  + ")";
          case SHELL -> "a new shell in " + where;
        };
    String before =
        CommandLines.join(argv)
            + " ran here until about "
            + meta.updatedAt()
            + (lastLine.isEmpty() ? "" : "; its last line: " + lastLine);
    note("[hack: " + why + "; " + before + "]");
    note("[hack: " + what + "]");
    synchronized (this) {
      restoredAt = Instant.now();
      lostReason = null;
      spawn(program, where);
    }
    LOG.info("{}: {}; brought back: {}", id, why, what);
  }

  /**
   * Takes the program back from the keeper, which held it while no node ran: the log already has
   * everything it printed meanwhile, and reading goes on from its end. False when the keeper does
   * not hold it (it ended before the keeper did, or the machine restarted).
   */
  private boolean adopt(KeeperClient keeper, SessionMeta meta) {
    KeeperClient.Adopted a;
    try {
      a = keeper.adopt(id);
    } catch (IOException e) {
      LOG.info("{}: the keeper does not hold it ({})", id, e.getMessage());
      return false;
    }
    log.refresh(); // what the keeper appended while no node ran
    screen.replay(SizeLog.read(dir));
    synchronized (this) {
      pty = a.pty();
      pid = a.pty().pid();
      status = SessionStatus.RUNNING;
      exitCode = null;
      startedRunAt = Instant.now();
      updatedAt = Instant.parse(meta.updatedAt()); // its record is unchanged: no write needed
      watchOutput(pty);
    }
    LOG.info("{}: taken back from the keeper, pid {}, log at {} bytes", id, pid, a.logEnd());
    return true;
  }

  synchronized Instant updatedAt() {
    return updatedAt;
  }

  /** Spawns the program. Called once by the supervisor right after construction. */
  synchronized void start() throws IOException {
    try {
      meta().write(dir); // a session the node could not find again after a restart never starts
    } catch (IOException e) {
      String message = "cannot start a session: cannot write its record: " + e.getMessage();
      throw DiskSpace.isFull(e) ? new DiskSpace.Full(message, e) : new IOException(message, e);
    }
    spawn();
  }

  private void spawn() throws IOException {
    spawn(argv, cwd);
  }

  private void spawn(List<String> program, Path dir) throws IOException {
    pty = ptys.start(id, program, dir, env, size, log.file());
    SizeLog.append(this.dir, log.end(), size);
    bootId = BootId.current();
    pid = pty.pid();
    status = SessionStatus.RUNNING;
    exitCode = null;
    startedRunAt = Instant.now();
    updatedAt = startedRunAt;
    persist();
    watchOutput(pty);
  }

  /**
   * Reads {@code p}'s output as the program writes it: the node's {@link PtyPoller} calls {@link
   * #readable} when there is some, so a quiet program costs no thread.
   */
  private void watchOutput(Pty p) {
    synchronized (p) {
      if (!p.closed) { // a closed descriptor's number may be the next PTY's
        PtyPoller.SHARED.watch(p.fd, () -> readable(p));
      }
    }
  }

  /** The poller's one read buffer: {@link #readable} runs on the poller's thread only. */
  private static final byte[] READ_BUF = new byte[32 * 1024];

  /**
   * On the poller's thread: one read of {@code p}'s output into the log and to the followers. When
   * the pacing client is too far behind, or the program's output has ended, the waiting goes to a
   * {@code pty-wait} thread ({@link #pace}; {@link #readEnded} records the end once the exit is
   * known) and the poller stops watching until it is done. Returns whether the poller should go on
   * watching.
   */
  private boolean readable(Pty p) {
    int n;
    try {
      n = p.read(READ_BUF);
    } catch (IOException e) {
      LOG.debug("{}: PTY read ended: {}", id, e.toString());
      n = -1;
    }
    if (n <= 0) {
      readEnded(p);
      return false;
    }
    publish(READ_BUF, n);
    if (stalledAny) {
      resumePacing();
    }
    PtyAttachment a = pacer;
    if (a == null || unpaced || a.follower.lag(log.end()) <= PACE_BOUND) {
      return true; // the common case: read on
    }
    WAIT.execute(
        () -> {
          pace();
          watchOutput(p);
        });
    return false;
  }

  /**
   * Waits on behalf of the poller (pacing), and records a program's exit once its status is known
   * (the record is a file write the poller must not wait for). A thread each while it works, none
   * at rest; none waits for an exit.
   */
  private static final java.util.concurrent.ExecutorService WAIT = pool("pty-wait");

  /**
   * The program's output has ended: once its status is known (at most 10 s on), close the terminal
   * and record the exit, on a {@code pty-wait} thread. No thread waits meanwhile: 1,000 sessions
   * stopped at once made 1,000 threads that each waited for one end.
   */
  private void readEnded(Pty p) {
    p.onExit()
        .copy()
        .completeOnTimeout(null, 10, java.util.concurrent.TimeUnit.SECONDS)
        .whenCompleteAsync(
            (code, failure) -> {
              p.close();
              exited(p, code == null ? -1 : code);
            },
            WAIT);
  }

  /**
   * Waits, before the next read of the PTY, while the pacing client is more than {@link
   * #PACE_BOUND} behind; a pacer that takes nothing for {@link #PACE_STALL} stops pacing. Called on
   * a {@code pty-wait} thread while the poller does not watch the PTY ({@link #readable}), never
   * under a lock.
   */
  private void pace() {
    if (stalledAny) {
      resumePacing();
    }
    while (true) {
      PtyAttachment a = pacer;
      if (a == null || unpaced || a.follower.lag(log.end()) <= PACE_BOUND) {
        return; // the common case, without the follower's lock
      }
      boolean moving;
      try {
        moving =
            a.follower.awaitWithin(
                log.end(), PACE_BOUND, PACE_STALL.toNanos(), () -> pacer == a && !unpaced);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (!moving) {
        stalled(a);
      } else if (pacer == a) {
        return;
      } // else another client paces now (or nobody): look again
    }
  }

  private void stalled(PtyAttachment a) {
    a.stalled = true;
    stalledAny = true;
    LOG.info(
        "{}: the pacing client took no output for {} s; it stops pacing the program and gets a"
            + " fresh screen once it is far behind",
        id,
        PACE_STALL.toSeconds());
    choosePacer();
  }

  /**
   * A client that stalled paces again once it is within the bound again (it took what it had
   * missed, or a fresh screen, and kept up), or when it types.
   */
  private void resumePacing() {
    boolean any = false;
    boolean back = false;
    long end = log.end();
    for (PtyAttachment a : attachments) {
      if (a.stalled) {
        if (a.follower.lag(end) <= PACE_BOUND) {
          a.stalled = false;
          back = true;
        } else {
          any = true;
        }
      }
    }
    stalledAny = any;
    if (back) {
      choosePacer();
    }
  }

  /**
   * Picks the pacer: of the attached clients that are not read-only and have not stalled, the one
   * that typed last, else the one that attached last. A reader waiting for the previous pacer looks
   * again.
   */
  private void choosePacer() {
    PtyAttachment old;
    PtyAttachment best = null;
    synchronized (paceLock) {
      for (PtyAttachment a : attachments) {
        if (a.readOnly || a.stalled || a.follower.isClosed()) {
          continue;
        }
        if (best == null
            || a.typedAt > best.typedAt
            || (a.typedAt == best.typedAt && a.attachedAt > best.attachedAt)) {
          best = a;
        }
      }
      old = pacer;
      pacer = best;
    }
    if (old != null && old != best) {
      old.follower.wakeWaiters();
    }
  }

  /** The attachment that paces the program now, or null when nobody does. */
  Attachment pacer() {
    return pacer;
  }

  /** The program is being stopped or let go: a reader waiting for the pacer goes on. */
  private void stopPacing() {
    unpaced = true;
    PtyAttachment a = pacer;
    if (a != null) {
      a.follower.wakeWaiters();
    }
  }

  /**
   * Appends output and hands it to every follower. Only the reader thread calls this (and {@link
   * #note}, under the same lock).
   *
   * <p>When the log cannot be written (a full disk), the output still goes to the followers and the
   * screen, so the program never blocks and attached clients keep seeing it; it is counted as
   * unlogged, and once a write succeeds again the log gets a line saying how much is missing.
   */
  private void publish(byte[] buf, int n) {
    synchronized (publishLock) {
      if (logError == null || resumeLogging()) {
        long start = log.end();
        try {
          log.append(buf, 0, n);
          for (Follower f : followers) {
            f.offer(buf, 0, start, n);
          }
          return;
        } catch (IOException e) {
          loggingFailed(e);
        } finally {
          screen.advanced();
        }
      }
      unlogged += n;
      unloggedTotal += n;
      screen.unlogged(buf, 0, n);
      for (Follower f : followers) {
        f.offerUnlogged(buf, 0, n);
      }
    }
  }

  // written under publishLock; volatile ones are read without it
  private volatile String logError;
  private long unlogged;
  private volatile long unloggedTotal;
  private Instant unloggedSince;
  private long nextLogRetry;

  private void loggingFailed(IOException e) {
    logError = e.getMessage() == null ? e.toString() : e.getMessage();
    unloggedSince = Instant.now();
    nextLogRetry = System.nanoTime() + LOG_RETRY_NANOS;
    LOG.warn(
        "{}: cannot write its log {} ({}); the program keeps running and attached clients keep"
            + " seeing it, but its output is not logged until a write succeeds again",
        id,
        log.file(),
        logError);
    changedLater();
  }

  /**
   * Tries to end an unlogged stretch by writing the line that marks it: at most once a second, and
   * only once the disk has room again. Returns whether the log is being written again.
   */
  private boolean resumeLogging() {
    if (System.nanoTime() < nextLogRetry) {
      return false;
    }
    if (!DiskSpace.hasRoom(log.file())) {
      nextLogRetry = System.nanoTime() + LOG_RETRY_NANOS;
      return false;
    }
    String line =
        "\r\n[hack: "
            + unlogged
            + " bytes of output were not logged ("
            + logError
            + ") from "
            + unloggedSince
            + " to "
            + Instant.now()
            + "]\r\n";
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    long from = log.end();
    try {
      log.append(bytes, 0, bytes.length);
    } catch (IOException e) {
      nextLogRetry = System.nanoTime() + LOG_RETRY_NANOS;
      return false;
    }
    long to = log.end();
    screen.skipTo(to);
    for (Follower f : followers) {
      f.skip(from, to);
    }
    LOG.warn("{}: its log is written again; {} bytes of output were not logged", id, unlogged);
    logError = null;
    unlogged = 0;
    changedLater();
    return true;
  }

  /** Tells the supervisor, from another thread: this one may hold the publish lock. */
  private void changedLater() {
    try {
      executor.execute(onChange);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // the node is shutting down
    }
  }

  /**
   * Notes where a shell is now, so that one reopened after a reboot starts there. Called every few
   * seconds by the supervisor; writes the record only when the directory changed.
   */
  void trackCwd() {
    Long p;
    synchronized (this) {
      if (spec.type() != SessionType.SHELL || status != SessionStatus.RUNNING) {
        return;
      }
      p = pid;
    }
    String now =
        p == null
            ? null
            : dev.hack.node.platform.Platform.current()
                .workingDirectory(p)
                .map(Path::toString)
                .orElse(null);
    if (now == null) {
      return;
    }
    synchronized (this) {
      if (now.equals(lastCwd)) {
        return;
      }
      lastCwd = now;
    }
    persist();
  }

  /** Called once a second by the supervisor: a quiet program's log recovers too. */
  void retryLogging() {
    synchronized (publishLock) {
      if (logError != null) {
        resumeLogging();
      }
    }
  }

  /** Why the log is not being written now, or null when it is. */
  String logError() {
    return logError;
  }

  private void exited(Pty p, int code) {
    boolean restart;
    Duration delay = Duration.ZERO;
    synchronized (this) {
      if (p != pty || abandoned) {
        return; // an explicit restart replaced this program, or the node is shutting down
      }
      exitCode = code;
      updatedAt = Instant.now();
      restart = !stopRequested && spec.restart().restarts(code);
      restartPending = restart;
      if (restart) {
        restartAttempt =
            RestartPolicy.ranLongEnough(Duration.between(startedRunAt, updatedAt))
                ? 1
                : restartAttempt + 1;
        delay = RestartPolicy.backoff(restartAttempt);
      } else {
        status = SessionStatus.EXITED;
        pty = null;
      }
      persist();
      notifyAll(); // stop() waits for the exit to be on record
    }
    LOG.info("{}: program exited with code {}{}", id, code, restart ? ", restarting" : "");
    if (restart) {
      note(
          "[hack: "
              + id
              + " exited with code "
              + code
              + "; restarting in "
              + delay.toMillis()
              + " ms]");
      scheduleRestart(delay);
      return;
    }
    ended(code);
  }

  /** The program is gone for good: end the writer, the attachments and the log streams. */
  private void ended(int code) {
    onChange.run();
    for (PtyAttachment a : attachments) {
      a.follower.whenDrained(() -> a.end(new Attachment.End(true, code)));
    }
    for (LogFollower lf : logFollowers) {
      lf.follower().whenDrained(lf.onEnd());
    }
  }

  private void scheduleRestart(Duration delay) {
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(delay.toMillis());
                synchronized (this) {
                  if (stopRequested || !restartPending) {
                    return;
                  }
                  restartPending = false;
                  spawn();
                }
                onChange.run();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (IOException e) {
                LOG.warn("{}: restart failed: {}", id, e.getMessage());
                synchronized (this) {
                  status = SessionStatus.EXITED;
                  pty = null;
                  persist();
                }
              }
            },
            "restart-" + id);
    t.setDaemon(true);
    t.start();
  }

  /** Writes a line of hack's own into the session's output (e.g. a restart notice). */
  private void note(String line) {
    byte[] bytes = ("\r\n" + line + "\r\n").getBytes(StandardCharsets.UTF_8);
    publish(bytes, bytes.length);
  }

  /** Writes what queued, in order, until nothing is left; one such task per session at a time. */
  private void drainInput() {
    while (true) {
      byte[] data;
      synchronized (inputLock) {
        data = input.poll();
        if (data == null) {
          draining = false;
          return;
        }
      }
      Pty p;
      synchronized (this) {
        p = pty;
      }
      if (p != null) {
        try {
          p.write(data, 0, data.length);
        } catch (IOException e) {
          LOG.debug("{}: input dropped, the program has exited: {}", id, e.toString());
        }
      }
      synchronized (inputLock) {
        queuedBytes -= data.length;
      }
    }
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public synchronized boolean isRunning() {
    return status == SessionStatus.RUNNING;
  }

  @Override
  public synchronized SessionInfo info() {
    return new SessionInfo(
        id,
        spec.type().wireName(),
        status.wire(),
        commandForDisplay(),
        cwd.toString(),
        spec.project(),
        pid,
        createdAt.toString(),
        updatedAt.toString(),
        exitCode,
        attachments.size(),
        size.columns(),
        size.rows(),
        null,
        true,
        logError,
        unloggedTotal,
        spec.onRestore(),
        status == SessionStatus.LOST ? lostReason : null,
        restoredAt == null ? null : restoredAt.toString());
  }

  private List<String> commandForDisplay() {
    return argv;
  }

  synchronized SessionMeta meta() {
    return new SessionMeta(
        id,
        spec.type().wireName(),
        status,
        argv,
        cwd.toString(),
        spec.project(),
        pid,
        createdAt.toString(),
        updatedAt.toString(),
        exitCode,
        size.columns(),
        size.rows(),
        spec.restart().wireName(),
        null,
        spec.onRestore(),
        lostReason,
        restoredAt == null ? null : restoredAt.toString(),
        bootId,
        lastCwd);
  }

  private void persist() {
    try {
      meta().write(dir);
    } catch (IOException e) {
      LOG.warn("{}: cannot write {}: {}", id, SessionMeta.FILE, e.getMessage());
    }
  }

  @Override
  public Attachment attach(
      Sink sink, PtySize clientSize, boolean readOnly, Consumer<Attachment.End> onEnd)
      throws IOException {
    return attach(sink, clientSize, readOnly, onEnd, false);
  }

  /**
   * Attaches the client that has just started this session ({@code new --attach}): it gets the log
   * from its first byte instead of a screen, so nothing the program printed while the attach was
   * being set up is missing, as under {@code ssh -t HOST CMD}. (Far behind already, it gets a
   * screen like any client.)
   */
  @Override
  public Attachment attachFromStart(Sink sink, PtySize clientSize, Consumer<Attachment.End> onEnd)
      throws IOException {
    return attach(sink, clientSize, false, onEnd, true);
  }

  private Attachment attach(
      Sink sink,
      PtySize clientSize,
      boolean readOnly,
      Consumer<Attachment.End> onEnd,
      boolean fromStart)
      throws IOException {
    if (!isRunning()) {
      throw new IllegalStateException(endedMessage());
    }
    if (!readOnly) {
      resize(clientSize);
    }
    // from the start, the cursor is 0 from the first offer on, so no chunk goes out twice
    Follower follower =
        new Follower(log, sink, fromStart ? 0 : log.end(), screen::snapshot, MAX_LAG);
    PtyAttachment a = new PtyAttachment(follower, readOnly, onEnd);
    attachments.add(a);
    followers.add(follower);
    touch();
    if (fromStart) {
      follower.start();
    } else {
      follower.start(screen.snapshot());
    }
    choosePacer();
    if (!isRunning()) {
      follower.whenDrained(() -> a.end(new Attachment.End(true, exitCode())));
    }
    return a;
  }

  String endedMessage() {
    Integer code = exitCode();
    boolean lost;
    synchronized (this) {
      lost = status == SessionStatus.LOST;
    }
    if (lost) {
      return "session "
          + id
          + " was lost: its program ended with the node that ran it; its log is kept (logs "
          + id
          + "), and restart "
          + id
          + " starts it again";
    }
    return "session "
        + id
        + " has exited"
        + (code == null ? "" : " with code " + code)
        + "; read its output with: logs "
        + id;
  }

  synchronized Integer exitCode() {
    return exitCode;
  }

  private void touch() {
    synchronized (this) {
      updatedAt = Instant.now();
    }
    persist();
    onChange.run();
  }

  void resize(PtySize newSize) {
    Pty p;
    synchronized (this) {
      if (newSize.equals(size)) {
        return;
      }
      size = newSize;
      p = pty;
    }
    synchronized (publishLock) {
      screen.resized(log.end(), newSize);
      SizeLog.append(dir, log.end(), newSize);
    }
    if (p != null) {
      p.resize(newSize);
    }
  }

  @Override
  public void send(byte[] data) {
    if (!isRunning()) {
      throw new IllegalStateException(endedMessage());
    }
    write(data, 0, data.length);
  }

  /**
   * Input to the program. A keystroke goes straight to the PTY from the caller's thread (an SSH I/O
   * thread) when nothing is queued and the kernel says the write cannot block: that saves a thread
   * hop on every echo. Anything else, such as a large paste or input to a program that is not
   * reading it, queues for a {@code pty-input} task, so a caller never blocks; while anything is
   * queued, later input queues behind it, in order.
   */
  private void write(byte[] data, int off, int len) {
    if (len == 0) {
      return;
    }
    Pty p;
    synchronized (this) {
      p = pty;
    }
    synchronized (inputLock) {
      if (queuedBytes == 0 && len <= DIRECT_INPUT_MAX && p != null && p.writableNow()) {
        try {
          p.write(data, off, len);
        } catch (IOException e) {
          LOG.debug("{}: input dropped, the program has exited: {}", id, e.toString());
        }
        return;
      }
      byte[] copy = new byte[len];
      System.arraycopy(data, off, copy, 0, len);
      queuedBytes += len;
      input.offer(copy);
      if (!draining) {
        draining = true;
        INPUT.execute(this::drainInput);
      }
    }
  }

  @Override
  public OutputLog log() {
    return log;
  }

  @Override
  public Follower follow(long from, Sink sink, Runnable onEnd) {
    Follower f = new Follower(log, sink, from, null, 0);
    boolean running;
    synchronized (this) {
      running = status == SessionStatus.RUNNING;
      if (running) {
        followers.add(f);
        logFollowers.add(new LogFollower(f, onEnd));
      }
    }
    if (running) {
      f.start();
    } else {
      f.whenDrained(onEnd);
    }
    return f;
  }

  @Override
  public void unfollow(Follower f) {
    f.close();
    followers.remove(f);
    logFollowers.removeIf(lf -> lf.follower() == f);
  }

  private record LogFollower(Follower follower, Runnable onEnd) {}

  @Override
  public void hangUp() {
    Pty p;
    synchronized (this) {
      stopRequested = true;
      p = pty;
      if (p == null || hungUp == p) {
        return;
      }
      hungUp = p;
      hungUpAt = System.nanoTime();
    }
    stopPacing(); // the program's last output must not wait for a client
    hangUp(p);
  }

  @Override
  public void stop(Duration grace) {
    Pty p;
    Duration left = grace;
    boolean signalled;
    synchronized (this) {
      stopRequested = true;
      p = pty;
      signalled = p != null && hungUp == p;
      if (signalled) {
        // hung up by hangUp(): the grace counts from then, and the signals are not sent twice
        left = grace.minusNanos(System.nanoTime() - hungUpAt);
        if (left.isNegative()) {
          left = Duration.ZERO;
        }
      }
    }
    stopPacing(); // the program's last output must not wait for a client
    if (p != null && !signalled) {
      hangUp(p);
    }
    awaitEnd(p, left);
    Integer code = null;
    synchronized (this) {
      // the reader records the exit moments after the program is gone: wait for it (bounded), so
      // that `stop X; ls` shows the exit code
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (p != null && pty == p && !restartPending && System.nanoTime() < deadline) {
        try {
          wait(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (restartPending && pty == p && status == SessionStatus.RUNNING) {
        // stopped while waiting to restart: no reader is left to record the end
        status = SessionStatus.EXITED;
        pty = null;
        updatedAt = Instant.now();
        code = exitCode == null ? -1 : exitCode;
        persist();
      }
    }
    if (code != null) {
      ended(code);
    }
  }

  private static void terminate(Pty p, Duration grace) {
    if (p == null) {
      return;
    }
    hangUp(p);
    awaitEnd(p, grace);
  }

  private static void hangUp(Pty p) {
    p.signalGroup(Signals.SIGHUP);
    p.signalGroup(Signals.SIGTERM);
    p.signalGroup(Signals.SIGCONT);
  }

  /** Waits up to the grace for the program's end; then SIGKILL, and up to 5 s more. */
  private static void awaitEnd(Pty p, Duration grace) {
    if (p == null) {
      return;
    }
    try {
      if (p.waitFor(grace) == null) {
        p.signalGroup(Signals.SIGKILL);
        p.waitFor(Duration.ofSeconds(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void restart(Duration grace) throws IOException {
    Pty old;
    synchronized (this) {
      old = pty;
      pty = null; // the old reader's exit is ignored from here on
      stopRequested = false;
      restartPending = false;
      restartAttempt = 0;
    }
    stopPacing();
    terminate(old, grace);
    unpaced = false; // the new program is paced again; the old reader only drains what is left
    synchronized (this) {
      spawn();
    }
    note("[hack: " + id + " restarted]");
    onChange.run();
  }

  /**
   * The node is going away. A program the keeper holds goes on: the node lets go of its terminal
   * and the keeper drains it into the log until the next node takes it back (returns true). One the
   * node holds itself cannot outlive its PTY: it is hung up now and the session recorded as {@code
   * lost}, as after a crash (returns false; {@link #killAbandoned} follows).
   */
  boolean abandon() {
    stopPacing();
    Pty p;
    synchronized (this) {
      abandoned = true;
      p = pty;
      if (p != null && p.survivesNode()) {
        persist(); // still running: the next node finds it so
      } else {
        stopRequested = true;
        status = SessionStatus.LOST;
        updatedAt = Instant.now();
        persist();
      }
    }
    if (p != null && p.survivesNode()) {
      p.release();
      return true;
    }
    if (p != null) {
      p.signalGroup(Signals.SIGHUP);
      p.signalGroup(Signals.SIGCONT);
      abandonedPty = p;
    }
    return false;
  }

  /** After {@link #abandon} and a grace period: SIGKILL what ignored the hangup. */
  void killAbandoned() {
    Pty p = abandonedPty;
    if (p != null && p.isAlive()) {
      p.signalGroup(Signals.SIGKILL);
    }
  }

  private volatile Pty abandonedPty;

  /**
   * Signals the terminal's foreground process group (the running program, as Ctrl-C would), e.g.
   * SIGINT from the gateway's shell stream.
   */
  public void signal(String name) {
    int number = Signals.number(name);
    Pty p;
    synchronized (this) {
      p = pty;
    }
    if (p != null) {
      p.signalForeground(number);
    }
  }

  @Override
  void closeResources() {
    for (PtyAttachment a : attachments) {
      a.detach();
    }
    screen.close();
    try {
      log.close();
    } catch (IOException e) {
      LOG.debug("{}: closing log: {}", id, e.toString());
    }
  }

  /** A client attached to this session. */
  private final class PtyAttachment implements Attachment {
    final Follower follower;
    final boolean readOnly;
    final Consumer<Attachment.End> onEnd;
    final long attachedAt = claims.incrementAndGet();
    volatile long typedAt; // 0: never typed
    volatile boolean stalled; // stopped pacing: took no output for PACE_STALL
    private boolean ended;

    PtyAttachment(Follower follower, boolean readOnly, Consumer<Attachment.End> onEnd) {
      this.follower = follower;
      this.readOnly = readOnly;
      this.onEnd = onEnd;
    }

    @Override
    public void input(byte[] data, int off, int len) {
      if (!readOnly && len > 0) {
        typedAt = claims.incrementAndGet();
        if (pacer != this) { // the typist paces; a keystroke from the pacer costs nothing more
          stalled = false;
          choosePacer();
        }
        write(data, off, len);
      }
    }

    @Override
    public void resize(PtySize newSize) {
      if (!readOnly) {
        PtySession.this.resize(newSize);
      }
    }

    @Override
    public void detach() {
      follower.close();
      followers.remove(follower);
      if (attachments.remove(this)) {
        if (pacer == this) {
          choosePacer();
        }
        touch();
      }
    }

    void end(Attachment.End end) {
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
      }
      detach();
      onEnd.accept(end);
    }
  }
}
