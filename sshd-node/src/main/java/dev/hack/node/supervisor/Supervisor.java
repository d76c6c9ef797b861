package dev.hack.node.supervisor;

import dev.hack.keys.FileModes;
import dev.hack.node.NodeFailures;
import dev.hack.node.api.Ids;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All sessions of this node: the ones it runs, the ones recorded by earlier runs, and the user's
 * own tmux sessions. Thread-safe.
 *
 * <p>Owns two threads: {@code screen-model} (lazy screen processing for every PTY session) and
 * {@code supervisor-poll} (tmux state and logs once a second, retention once an hour).
 */
public final class Supervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  private static final Duration TMUX_FRESH = Duration.ofSeconds(1);

  private final Path sessionsDir;
  private final SupervisorConfig config;
  private final Tmux tmux;
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final ScheduledExecutorService screenExecutor;
  private final ScheduledExecutorService poller;
  private final Object createLock = new Object();

  /**
   * The keeper that holds the PTYs: null when the node holds them itself, or until one is connected
   * (a keeper that already runs is connected at start, to take its sessions back; otherwise one is
   * started in the background, and at the latest by the first new session).
   */
  private volatile KeeperClient keeper;

  private KeeperClient connectKeeper() throws IOException {
    return KeeperClient.connectOrStart(
        config.keeperSocket(), config.keeperSocket().resolveSibling("keeper.log"));
  }

  /**
   * The keeper, connected (and started) if none is or it went away: new programs need one. The
   * sessions an old one held go on, but their exit codes can no longer be known.
   */
  private synchronized KeeperClient keeper() throws IOException {
    KeeperClient k = keeper;
    if (k == null || k.isClosed()) {
      if (k != null) {
        LOG.warn("the keeper went away; starting another for new sessions");
      }
      k = connectKeeper();
      keeper = k;
    }
    return k;
  }

  /** The keeper that already runs for this home, to take back what it holds; null when none. */
  private KeeperClient runningKeeper() {
    try {
      return KeeperClient.connect(config.keeperSocket());
    } catch (IOException e) {
      return null; // none yet: started in the background
    }
  }

  /** Starts the keeper off the start-up path, so that the first new session need not wait. */
  private void startKeeperInBackground() {
    Thread t =
        new Thread(
            () -> {
              try {
                keeper();
              } catch (IOException e) {
                LOG.warn("cannot start the keeper: {}", e.getMessage());
              }
            },
            "keeper-start");
    t.setDaemon(true);
    t.start();
  }

  /** Where new programs are spawned: here, or through the keeper. */
  private final PtyHost ptys;

  /** Spawns a program on a PTY: in this process, or through the keeper. */
  interface PtyHost {
    Pty start(
        String id, List<String> argv, Path cwd, Map<String, String> env, PtySize size, Path log)
        throws IOException;
  }

  private static final PtyHost LOCAL =
      (id, argv, cwd, env, size, log) -> LocalPty.start(argv, cwd, env, size);

  // guarded by this
  private List<Tmux.Listed> tmuxListed = List.of();
  private Instant tmuxListedAt = Instant.EPOCH;
  private volatile Runnable listener = () -> {};

  public Supervisor(Path sessionsDir, SupervisorConfig config) throws IOException {
    ChildSignals.resetForChildren();
    FileModes.ensurePrivateDir(sessionsDir.toAbsolutePath().getParent());
    this.sessionsDir = FileModes.ensurePrivateDir(sessionsDir);
    this.config = config;
    this.tmux = new Tmux(config.tmuxSocket());
    this.screenExecutor = Executors.newSingleThreadScheduledExecutor(named("screen-model"));
    this.poller = Executors.newSingleThreadScheduledExecutor(named("supervisor-poll"));
    this.keeper = config.keeperSocket() == null ? null : runningKeeper();
    this.ptys =
        config.keeperSocket() == null
            ? LOCAL
            : (id, argv, cwd, env, size, log) -> keeper().spawn(id, argv, cwd, env, size, log);
    recover();
    if (config.keeperSocket() != null && keeper == null) {
      startKeeperInBackground();
    }
    removeExpired();
    poller.scheduleWithFixedDelay(
        NodeFailures.guarded("session poll", this::poll), 1, 1, TimeUnit.SECONDS);
    poller.scheduleWithFixedDelay(
        NodeFailures.guarded("expired session removal", this::removeExpired), 1, 1, TimeUnit.HOURS);
  }

  /** Every how many polls (seconds) a shell's directory is looked at, for a reboot's reopening. */
  private static final int CWD_EVERY = 5;

  private static java.util.concurrent.ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Whether PTY sessions go on running when this node stops: the keeper holds them. */
  public boolean sessionsOutliveNode() {
    return config.keeperSocket() != null;
  }

  /** Called (from any thread) whenever a session starts, ends, or its attachments change. */
  public void setListener(Runnable listener) {
    this.listener = listener;
  }

  private void changed() {
    synchronized (this) {
      tmuxListedAt = Instant.EPOCH; // tmux's state may have changed too: list it afresh
    }
    listener.run();
  }

  /** Every session, oldest first: managed ones and the user's own tmux sessions. */
  public List<SessionInfo> list() {
    List<SessionInfo> out = new ArrayList<>();
    Set<String> managedTmux = new HashSet<>();
    for (Session s : sessions.values()) {
      out.add(s.info());
      if (s instanceof TmuxSession t) {
        managedTmux.add(t.tmuxName());
      }
    }
    for (Tmux.Listed l : tmuxSessions()) {
      if (!managedTmux.contains(l.name()) && !sessions.containsKey(l.name())) {
        out.add(new TmuxSession(l, tmux, clientEnv(Map.of())).info());
      }
    }
    out.sort(Comparator.comparing(SessionInfo::createdAt).thenComparing(SessionInfo::id));
    return out;
  }

  public int count() {
    return sessions.size();
  }

  /**
   * The session with this id: a managed session, or the user's own tmux session of that name.
   *
   * @throws NoSuchElementException with a message that names the id
   */
  public Session get(String id) {
    SessionIds.require(id);
    Session s = sessions.get(id);
    if (s != null) {
      return s;
    }
    for (Tmux.Listed l : tmuxSessions()) {
      if (l.name().equals(id)) {
        return new TmuxSession(l, tmux, clientEnv(Map.of()));
      }
    }
    throw new NoSuchElementException("no session " + id + " on this node; list them with: ls");
  }

  /**
   * What needs the user's attention about this node's sessions, one sentence each: e.g. sessions
   * whose output cannot be logged because the disk is full. Empty when all is well.
   */
  public List<String> warnings() {
    List<String> failing = new ArrayList<>();
    String reason = null;
    for (Session s : sessions.values()) {
      if (s instanceof PtySession p) {
        String error = p.logError();
        if (error != null) {
          failing.add(p.id());
          reason = error;
        }
      }
    }
    if (failing.isEmpty()) {
      return List.of();
    }
    failing.sort(null);
    String ids = String.join(", ", failing.subList(0, Math.min(5, failing.size())));
    return List.of(
        failing.size()
            + (failing.size() == 1 ? " session is" : " sessions are")
            + " not logging its output ("
            + reason
            + "): "
            + ids
            + (failing.size() > 5 ? " and " + (failing.size() - 5) + " more" : "")
            + "; free space under "
            + sessionsDir
            + " and logging resumes by itself");
  }

  /** Starts a session. */
  public Session create(SessionSpec spec) throws IOException {
    DiskSpace.require(sessionsDir, "start a session");
    Path cwd = resolveCwd(spec.cwd());
    List<String> argv = spec.command().isEmpty() ? List.of(loginShell(), "-l") : spec.command();
    synchronized (createLock) {
      String id = spec.id() != null ? spec.id() : freshId(argv, spec.type());
      if (sessions.containsKey(id)) {
        throw new IllegalStateException(
            "session " + id + " already exists; remove it first with: rm " + id);
      }
      Map<String, String> env = sessionEnv(id, spec.env());
      // refused here, before anything is created, with the reason: after the spawn it would only
      // be a session that exited with 127 and an empty log
      String problem =
          spec.type() == SessionType.TMUX
              ? tooLargeForTmux(argv, spec.env())
              : ExecCheck.problem(argv, cwd, env, false);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      Path dir = Ids.child(sessionsDir, id);
      if (Files.exists(dir)) {
        deleteRecursively(dir); // left by a session removed while the node was down
      }
      FileModes.ensurePrivateDir(dir);
      Session session;
      try {
        if (spec.type() == SessionType.TMUX) {
          Map<String, String> tmuxEnv = new HashMap<>(spec.env());
          tmuxEnv.put("HACK_SESSION_ID", id);
          session =
              TmuxSession.create(
                  spec, id, tmux, dir, argv, cwd, tmuxEnv, clientEnv(spec.env()), this::changed);
        } else {
          PtySession p =
              new PtySession(
                  spec,
                  id,
                  dir,
                  argv,
                  cwd,
                  env,
                  screenExecutor,
                  this::changed,
                  Instant.now(),
                  ptys);
          p.start();
          session = p;
        }
      } catch (IOException | RuntimeException e) {
        deleteRecursively(dir);
        if (spec.type() == SessionType.TMUX && !tmux.available()) {
          throw new IOException("tmux is not installed on this node", e);
        }
        throw e;
      }
      sessions.put(id, session);
      LOG.info("{}: started {} {}", id, spec.type().wireName(), argv);
      changed();
      return session;
    }
  }

  /**
   * Why a tmux session's command and variables cannot be passed: they go to the tmux client as
   * arguments ({@code -e NAME=VALUE}), under execve's limits. The program itself is not looked up:
   * tmux runs a one-word command through its shell, and shows the shell's error in the pane.
   */
  private static String tooLargeForTmux(List<String> argv, Map<String, String> env) {
    String why = ExecCheck.tooLarge(argv, env);
    return why == null ? null : "cannot start " + ExecCheck.quote(argv.get(0)) + ": " + why;
  }

  /** Removes an ended session and its log. */
  public void remove(String id) throws IOException {
    removeOne(id);
    changed();
  }

  private void removeOne(String id) throws IOException {
    Session s = get(id);
    if (!sessions.containsKey(id)) {
      throw new IllegalArgumentException(
          id
              + " is your own tmux session; hack does not remove it (tmux kill-session -t "
              + id
              + ")");
    }
    if (s.isRunning()) {
      throw new IllegalStateException(
          "session " + id + " is still running; stop it first with: stop " + id);
    }
    sessions.remove(id);
    s.closeResources();
    deleteRecursively(Ids.child(sessionsDir, id));
  }

  public void stop(String id) throws IOException {
    get(id).stop(config.stopGrace());
    changed();
  }

  public void restart(String id) throws IOException {
    get(id).restart(config.stopGrace());
    changed();
  }

  /** What a command on many sessions does to one of them. */
  @FunctionalInterface
  public interface EachSession {
    void apply(String id) throws IOException;
  }

  /** At most this many sessions are stopped, restarted or removed at once by one command. */
  static final int AT_ONCE = 32;

  /**
   * Stops each session, many at once: a stop waits for its program's exit, so one after another
   * 1,000 sessions took 42 s. Returns each failure by id, in the order given; the others are done.
   */
  public Map<String, Exception> stop(List<String> ids) {
    // every program is hung up before any stop waits, so they all end together: waiting 32 at a
    // time, 1,000 sessions took 6 s; an unknown id fails in the stop itself
    for (String id : new LinkedHashSet<>(ids)) {
      Session s = sessions.get(id);
      if (s != null) {
        s.hangUp();
      }
    }
    return each(ids, id -> get(id).stop(config.stopGrace()));
  }

  /** Restarts each session, many at once; each failure by id. */
  public Map<String, Exception> restart(List<String> ids) {
    return each(ids, id -> get(id).restart(config.stopGrace()));
  }

  /** Removes each ended session and its log, many at once; each failure by id. */
  public Map<String, Exception> remove(List<String> ids) {
    return each(ids, this::removeOne);
  }

  /**
   * Applies what to each id on up to {@link #AT_ONCE} threads that live as long as the call, then
   * tells the listeners once. An id given twice is done once.
   */
  public Map<String, Exception> each(List<String> ids, EachSession what) {
    List<String> distinct = List.copyOf(new LinkedHashSet<>(ids));
    Map<String, Exception> failed = new ConcurrentHashMap<>();
    int threads = Math.min(AT_ONCE, distinct.size());
    if (threads <= 1) {
      for (String id : distinct) {
        apply(what, id, failed);
      }
    } else {
      AtomicInteger next = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(threads, named("session-each"));
      try {
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          running.add(
              pool.submit(
                  () -> {
                    for (int k = next.getAndIncrement();
                        k < distinct.size();
                        k = next.getAndIncrement()) {
                      apply(what, distinct.get(k), failed);
                    }
                  }));
        }
        for (Future<?> f : running) {
          f.get();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while changing sessions", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause()); // apply catches everything but Errors
      } finally {
        pool.shutdownNow();
      }
    }
    if (failed.size() < distinct.size()) {
      changed();
    }
    Map<String, Exception> inOrder = new LinkedHashMap<>();
    for (String id : distinct) {
      Exception e = failed.get(id);
      if (e != null) {
        inOrder.put(id, e);
      }
    }
    return inOrder;
  }

  private static void apply(EachSession what, String id, Map<String, Exception> failed) {
    try {
      what.apply(id);
    } catch (IOException | RuntimeException e) {
      failed.put(id, e);
    }
  }

  /** The tmux NAME command: argv of a tmux client that attaches to NAME, creating it if missing. */
  public List<String> tmuxAttachCommand(String name) {
    return tmux.command("new-session", "-A", "-s", name);
  }

  /** Environment for tmux clients run for an SSH user. */
  public Map<String, String> clientEnv(Map<String, String> fromClient) {
    Map<String, String> env = new HashMap<>(config.baseEnv());
    env.put("TERM", "xterm-256color");
    env.putAll(fromClient);
    return Tmux.clientEnv(env);
  }

  private Map<String, String> sessionEnv(String id, Map<String, String> fromClient) {
    Map<String, String> env = clientEnv(fromClient);
    env.put("HACK_SESSION_ID", id);
    return env;
  }

  private String loginShell() {
    String shell = config.baseEnv().get("SHELL");
    if (shell != null && !shell.isBlank() && Files.isExecutable(Path.of(shell))) {
      return shell;
    }
    return Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
  }

  /**
   * The directory a session starts in: the home directory for none, else {@code cwd}, which the
   * doors resolved already by the one policy ({@code service.Workdirs}), so it is absolute.
   */
  private Path resolveCwd(String cwd) {
    if (cwd == null || cwd.isBlank()) {
      return Path.of(System.getProperty("user.home"));
    }
    Path p = Path.of(cwd);
    if (!p.isAbsolute()) {
      throw new IllegalArgumentException("the working directory must be absolute here: " + cwd);
    }
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException("no such directory: " + p);
    }
    return p.normalize();
  }

  private String freshId(List<String> argv, SessionType type) {
    String fallback = type.wireName();
    for (int i = 0; i < 100; i++) {
      String id = SessionIds.generate(argv, fallback);
      if (!sessions.containsKey(id)) {
        return id;
      }
    }
    throw new IllegalStateException("cannot find a free session id");
  }

  private List<Tmux.Listed> tmuxSessions() {
    synchronized (this) {
      if (Duration.between(tmuxListedAt, Instant.now()).compareTo(TMUX_FRESH) < 0) {
        return tmuxListed;
      }
    }
    return refreshTmux();
  }

  private List<Tmux.Listed> refreshTmux() {
    List<Tmux.Listed> listed;
    try {
      listed = tmux.list();
    } catch (IOException e) {
      listed = List.of(); // tmux missing or its server unreachable: nothing to show
    }
    synchronized (this) {
      tmuxListed = listed;
      tmuxListedAt = Instant.now();
    }
    return listed;
  }

  private int polls;

  private void poll() {
    try {
      boolean anyTmux = false;
      boolean cwds = ++polls % CWD_EVERY == 0;
      for (Session s : sessions.values()) {
        if (s instanceof PtySession p) {
          p.retryLogging();
          if (cwds) {
            p.trackCwd();
          }
        }
        if (s instanceof TmuxSession t && (t.isRunning() || t.hasLogFollowers())) {
          anyTmux = true;
        }
      }
      if (!anyTmux) {
        return;
      }
      Map<String, Tmux.Listed> byName = new HashMap<>();
      for (Tmux.Listed l : refreshTmux()) {
        byName.put(l.name(), l);
      }
      for (Session s : sessions.values()) {
        if (s instanceof TmuxSession t && t.isRunning()) {
          t.refresh(byName.get(t.tmuxName()));
        } else if (s instanceof TmuxSession t) {
          t.pollLog();
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("session poll failed: {}", e.toString());
    }
  }

  /** Reads the sessions recorded under the sessions directory by earlier runs. */
  private void recover() throws IOException {
    List<Path> dirs;
    try (Stream<Path> list = Files.list(sessionsDir)) {
      dirs = list.filter(Files::isDirectory).toList();
    }
    Map<String, Tmux.Listed> byName = new HashMap<>();
    for (Tmux.Listed l : refreshTmux()) {
      byName.put(l.name(), l);
    }
    long started = System.nanoTime();
    for (Path dir : dirs) {
      try {
        SessionMeta meta = SessionMeta.read(dir);
        if (!Ids.isId(meta.id()) || !dir.getFileName().toString().equals(meta.id())) {
          continue;
        }
        Session s;
        if (SessionType.TMUX.wireName().equals(meta.type())) {
          TmuxSession t = new TmuxSession(meta, tmux, dir, clientEnv(Map.of()), this::changed);
          t.refresh(byName.get(meta.tmuxName()));
          t.markLostIfGone();
          s = t;
        } else {
          s =
              PtySession.recovered(
                  meta,
                  dir,
                  sessionEnv(meta.id(), Map.of()),
                  screenExecutor,
                  this::changed,
                  ptys,
                  keeper,
                  config.keeperSocket() != null);
        }
        sessions.put(meta.id(), s);
        LOG.info("{}: recovered, {}", meta.id(), s.info().status());
      } catch (IOException | RuntimeException e) {
        LOG.warn("skipping {}: {}", dir, e.getMessage());
      }
    }
    if (!dirs.isEmpty()) {
      LOG.info(
          "recovered {} sessions in {} ms",
          sessions.size(),
          (System.nanoTime() - started) / 1_000_000);
    }
  }

  private void removeExpired() {
    Instant cutoff = Instant.now().minus(config.retention());
    for (Session s : sessions.values()) {
      SessionInfo info = s.info();
      if (!s.isRunning() && Instant.parse(info.updatedAt()).isBefore(cutoff)) {
        try {
          remove(s.id());
          LOG.info("{}: removed after the retention of {}", s.id(), config.retention());
        } catch (IOException | RuntimeException e) {
          LOG.warn("{}: cannot remove expired session: {}", s.id(), e.getMessage());
        }
      }
    }
  }

  /** Deletes a session's directory: only ever an entry of the sessions directory. */
  private void deleteRecursively(Path dir) throws IOException {
    Ids.deleteChild(sessionsDir, dir);
  }

  /**
   * Lets go of the sessions: the keeper's go on running (it drains them until the next node); the
   * node's own PTY sessions cannot outlive it and are recorded as lost; tmux sessions keep running.
   * Idempotent.
   */
  @Override
  public void close() {
    poller.shutdownNow();
    List<PtySession> abandoned = new ArrayList<>();
    int kept = 0;
    for (Session s : sessions.values()) {
      if (s instanceof PtySession p && p.isRunning()) {
        if (p.abandon()) {
          kept++;
        } else {
          abandoned.add(p);
        }
      }
    }
    if (kept > 0) {
      LOG.info(
          "{} shell and process session{} keep running in the keeper; the next node takes them"
              + " back (hack daemon stop --end-sessions ends them)",
          kept,
          kept == 1 ? "" : "s");
    }
    if (!abandoned.isEmpty()) {
      try {
        Thread.sleep(500); // let programs exit on the hangup before forcing them
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      abandoned.forEach(PtySession::killAbandoned);
    }
    for (Session s : sessions.values()) {
      s.closeResources();
    }
    screenExecutor.shutdownNow();
    KeeperClient k;
    synchronized (this) {
      k = keeper;
    }
    if (k != null) {
      k.close();
    }
  }
}
