package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.api.SessionStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session that lives in tmux. A managed one was started by hack: its output is piped into the
 * session log by tmux itself ({@code pipe-pane}), so the log keeps growing while the node is down.
 * An unmanaged one is the user's own tmux session, listed so it can be attached; hack keeps no
 * record of it.
 *
 * <p>Each attach runs a {@code tmux attach} client on a PTY of its own; tmux redraws the screen and
 * handles slow clients, so the bridge simply waits for the sink before reading more.
 */
public final class TmuxSession extends Session {
  private static final Logger LOG = LoggerFactory.getLogger(TmuxSession.class);

  private final String id;
  private final String tmuxName;
  private final Tmux tmux;
  private final boolean managed;
  private final Path dir;
  private final OutputLog log;
  private final Map<String, String> clientEnv;
  private final Runnable onChange;
  private final CopyOnWriteArrayList<TmuxAttachment> attachments = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<LogFollower> logFollowers = new CopyOnWriteArrayList<>();

  // guarded by this
  private SessionMeta meta;
  private Tmux.Listed listed;

  private record LogFollower(Follower follower, Runnable onEnd) {}

  TmuxSession(
      SessionMeta meta, Tmux tmux, Path dir, Map<String, String> clientEnv, Runnable onChange)
      throws IOException {
    this.id = meta.id();
    this.tmuxName = meta.tmuxName();
    this.tmux = tmux;
    this.managed = true;
    this.dir = dir;
    this.meta = meta;
    this.log = OutputLog.open(dir.resolve("output.log"));
    this.clientEnv = clientEnv;
    this.onChange = onChange;
  }

  /** The user's own tmux session {@code listed}: attachable, not recorded. */
  TmuxSession(Tmux.Listed listed, Tmux tmux, Map<String, String> clientEnv) {
    this.id = listed.name();
    this.tmuxName = listed.name();
    this.tmux = tmux;
    this.managed = false;
    this.dir = null;
    this.log = null;
    this.clientEnv = clientEnv;
    this.onChange = () -> {};
    this.listed = listed;
  }

  /** Creates the tmux session and starts piping its output to the log. */
  static TmuxSession create(
      SessionSpec spec,
      String id,
      Tmux tmux,
      Path dir,
      List<String> argv,
      Path cwd,
      Map<String, String> env,
      Map<String, String> clientEnv,
      Runnable onChange)
      throws IOException {
    String name = Tmux.nameFor(id);
    if (tmux.has(name)) {
      throw new IllegalArgumentException(
          "a tmux session named " + name + " already exists; attach to it with: tmux " + name);
    }
    Path logFile = dir.resolve("output.log");
    java.nio.file.Files.createDirectories(dir);
    dev.hack.keys.FileModes.writeAtomically(logFile, new byte[0], false);
    List<String> args = new java.util.ArrayList<>();
    args.addAll(
        List.of(
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            String.valueOf(spec.size().columns()),
            "-y",
            String.valueOf(spec.size().rows()),
            "-c",
            cwd.toString()));
    for (Map.Entry<String, String> e : env.entrySet()) {
      args.add("-e");
      args.add(e.getKey() + "=" + e.getValue());
    }
    args.add("--");
    args.addAll(argv);
    // set-option and pipe-pane run in the same command queue as new-session, before the server
    // reads the pane's first output, so the log starts with the program's first byte
    args.addAll(
        List.of(
            ";",
            "set-option",
            "-t",
            name,
            "remain-on-exit",
            "on",
            ";",
            "pipe-pane",
            "-t",
            name,
            "-o",
            "exec cat >> " + Tmux.shellQuote(logFile.toString())));
    tmux.run(args.toArray(String[]::new));
    String now = Instant.now().toString();
    Long pid = null;
    for (Tmux.Listed l : tmux.list()) {
      if (l.name().equals(name)) {
        pid = l.panePid();
      }
    }
    SessionMeta meta =
        new SessionMeta(
            id,
            SessionType.TMUX.wireName(),
            SessionStatus.RUNNING,
            argv,
            cwd.toString(),
            spec.project(),
            pid,
            now,
            now,
            null,
            spec.size().columns(),
            spec.size().rows(),
            RestartPolicy.NEVER.wireName(),
            name);
    meta.write(dir);
    return new TmuxSession(meta, tmux, dir, clientEnv, onChange);
  }

  String tmuxName() {
    return tmuxName;
  }

  boolean managed() {
    return managed;
  }

  /**
   * Brings the record up to date with what tmux reports ({@code listed} is null when tmux has no
   * session of this name). A dead pane is read for its exit status and the tmux session removed.
   */
  void refresh(Tmux.Listed now) {
    boolean ended = false;
    synchronized (this) {
      listed = now;
      if (!managed) {
        return;
      }
      boolean running = now != null && !now.paneDead();
      if (meta.status() == SessionStatus.RUNNING && !running) {
        Integer code = now == null ? null : now.deadStatus();
        meta = withStatus(SessionStatus.EXITED, code);
        persist();
        ended = true;
      }
    }
    if (ended) {
      if (now != null) {
        try {
          tmux.run("kill-session", "-t", "=" + tmuxName);
        } catch (IOException e) {
          LOG.debug("{}: kill-session after exit: {}", id, e.getMessage());
        }
      }
      LOG.info("{}: tmux session ended", id);
      log.refresh();
      for (LogFollower lf : logFollowers) {
        lf.follower().whenDrained(lf.onEnd());
      }
      onChange.run();
    } else if (managed) {
      pollLog();
    }
  }

  /** Hands bytes tmux appended to the log on to followers. */
  void pollLog() {
    if (log != null && log.refresh()) {
      for (LogFollower lf : logFollowers) {
        lf.follower().poke();
      }
    }
  }

  /** Marks a session that tmux no longer has as lost (the tmux server died with the machine). */
  synchronized void markLostIfGone() {
    if (managed && listed == null && meta.status() == SessionStatus.RUNNING) {
      meta = withStatus(SessionStatus.LOST, null);
      persist();
    }
  }

  private SessionMeta withStatus(SessionStatus status, Integer code) {
    SessionMeta m = meta;
    return new SessionMeta(
        m.id(),
        m.type(),
        status,
        m.command(),
        m.cwd(),
        m.project(),
        m.pid(),
        m.createdAt(),
        Instant.now().toString(),
        code,
        m.cols(),
        m.rows(),
        m.restart(),
        m.tmuxName());
  }

  private void persist() {
    try {
      meta.write(dir);
    } catch (IOException e) {
      LOG.warn("{}: cannot write {}: {}", id, SessionMeta.FILE, e.getMessage());
    }
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public synchronized boolean isRunning() {
    if (!managed) {
      return listed != null;
    }
    return meta.status() == SessionStatus.RUNNING;
  }

  @Override
  public synchronized SessionInfo info() {
    int attached = attachments.size();
    if (!managed) {
      Tmux.Listed l = listed;
      return new SessionInfo(
          id,
          SessionType.TMUX.wireName(),
          SessionStatus.RUNNING.wire(),
          l.startCommand().isEmpty() ? List.of() : List.of(l.startCommand()),
          l.path(),
          null,
          l.panePid(),
          Instant.ofEpochSecond(l.created()).toString(),
          Instant.ofEpochSecond(l.created()).toString(),
          null,
          l.attached(),
          l.width(),
          l.height(),
          null,
          false);
    }
    int cols = listed != null && listed.width() > 0 ? listed.width() : meta.cols();
    int rows = listed != null && listed.height() > 0 ? listed.height() : meta.rows();
    return new SessionInfo(
        id,
        meta.type(),
        meta.status().wire(),
        meta.command(),
        meta.cwd(),
        meta.project(),
        meta.pid(),
        meta.createdAt(),
        meta.updatedAt(),
        meta.exitCode(),
        Math.max(attached, listed == null ? 0 : listed.attached()),
        cols,
        rows,
        null,
        true);
  }

  synchronized SessionMeta meta() {
    return meta;
  }

  @Override
  public Attachment attach(
      Sink sink, PtySize size, boolean readOnly, Consumer<Attachment.End> onEnd)
      throws IOException {
    if (!isRunning()) {
      throw new IllegalStateException(
          "session " + id + " has exited; read its output with: logs " + id);
    }
    List<String> argv =
        readOnly
            ? tmux.command("attach-session", "-r", "-t", "=" + tmuxName)
            : tmux.command("attach-session", "-t", "=" + tmuxName);
    return TmuxAttachment.open(this, argv, size, readOnly, sink, onEnd);
  }

  /** Runs a tmux client on a PTY for {@code argv} and bridges it to {@code sink}. */
  public static Attachment openClient(
      String label,
      List<String> argv,
      Map<String, String> env,
      PtySize size,
      Sink sink,
      Consumer<Attachment.End> onEnd)
      throws IOException {
    return TmuxAttachment.start(null, label, argv, env, size, false, sink, onEnd);
  }

  Map<String, String> clientEnv() {
    return clientEnv;
  }

  void attached(TmuxAttachment a) {
    attachments.add(a);
    onChange.run();
  }

  void detached(TmuxAttachment a) {
    if (attachments.remove(a)) {
      onChange.run();
    }
  }

  @Override
  public void send(byte[] input) throws IOException {
    if (!isRunning()) {
      throw new IllegalStateException("session " + id + " has exited");
    }
    tmux.run(
        "send-keys", "-t", "=" + tmuxName + ":", "-l", new String(input, StandardCharsets.UTF_8));
  }

  @Override
  public OutputLog log() {
    if (log == null) {
      throw new IllegalStateException(
          id + " is your own tmux session: hack keeps no log of it; attach with: tmux " + id);
    }
    return log;
  }

  @Override
  public Follower follow(long from, Sink sink, Runnable onEnd) {
    Follower f = new Follower(log(), sink, from, null, 0);
    boolean running = isRunning();
    if (running) {
      logFollowers.add(new LogFollower(f, onEnd));
      f.start();
      if (!isRunning()) {
        f.whenDrained(onEnd);
      }
    } else {
      log.refresh();
      f.whenDrained(onEnd);
    }
    return f;
  }

  @Override
  public void unfollow(Follower f) {
    f.close();
    logFollowers.removeIf(lf -> lf.follower() == f);
  }

  boolean hasLogFollowers() {
    return !logFollowers.isEmpty();
  }

  /** The pane's group {@link #hangUp} signalled, and when: a stop after it only waits. */
  private long hungUpGroup;

  private long hungUpAt;

  @Override
  public void hangUp() {
    long pgid;
    synchronized (this) {
      Tmux.Listed l = listed;
      if (l == null || l.panePid() <= 0 || l.paneDead() || hungUpGroup == l.panePid()) {
        return;
      }
      pgid = l.panePid();
      hungUpGroup = pgid;
      hungUpAt = System.nanoTime();
    }
    hangUp(pgid);
  }

  private static void hangUp(long pgid) {
    Signals.kill(-pgid, Signals.SIGHUP);
    Signals.kill(-pgid, Signals.SIGTERM);
    Signals.kill(-pgid, Signals.SIGCONT);
  }

  @Override
  public void stop(Duration grace) throws IOException {
    Tmux.Listed l;
    long since;
    boolean signalled;
    synchronized (this) {
      l = listed;
      signalled = l != null && hungUpGroup == l.panePid();
      since = signalled ? hungUpAt : System.nanoTime();
    }
    if (l != null && l.panePid() > 0 && !l.paneDead()) {
      long pgid = l.panePid();
      if (!signalled) {
        hangUp(pgid); // else hangUp() did, and the grace counts from then
      }
      long deadline = since + grace.toNanos();
      while (System.nanoTime() < deadline && Signals.kill(-pgid, 0)) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (Signals.kill(-pgid, 0)) {
        Signals.kill(-pgid, Signals.SIGKILL);
      }
    }
    try {
      tmux.run("kill-session", "-t", "=" + tmuxName);
    } catch (IOException e) {
      LOG.debug("{}: kill-session: {}", id, e.getMessage());
    }
    if (managed) {
      synchronized (this) {
        if (meta.status() == SessionStatus.RUNNING) {
          meta = withStatus(SessionStatus.EXITED, meta.exitCode());
          persist();
        }
      }
      refresh(null);
    }
  }

  @Override
  public void restart(Duration grace) throws IOException {
    if (!managed) {
      throw new IllegalStateException(id + " is your own tmux session; hack does not restart it");
    }
    SessionMeta m = meta();
    if (isRunning()) {
      List<String> args = new java.util.ArrayList<>(List.of("respawn-pane", "-k", "-t", tmuxName));
      args.addAll(m.command());
      tmux.run(args.toArray(String[]::new));
    } else {
      throw new IllegalStateException(
          "session " + id + " has exited and its tmux session is gone; start a new one");
    }
  }

  @Override
  void closeResources() {
    for (TmuxAttachment a : attachments) {
      a.detach();
    }
    for (LogFollower lf : logFollowers) {
      lf.follower().close();
    }
    if (log != null) {
      try {
        log.close();
      } catch (IOException e) {
        LOG.debug("{}: closing log: {}", id, e.toString());
      }
    }
  }

  /** One {@code tmux attach} client on a PTY, bridged to a sink with backpressure. */
  static final class TmuxAttachment implements Attachment {
    private final TmuxSession session;
    private final Pty pty;
    private final boolean readOnly;
    private final Consumer<Attachment.End> onEnd;
    private volatile boolean detached;

    private TmuxAttachment(
        TmuxSession session, Pty pty, boolean readOnly, Consumer<Attachment.End> onEnd) {
      this.session = session;
      this.pty = pty;
      this.readOnly = readOnly;
      this.onEnd = onEnd;
    }

    static Attachment open(
        TmuxSession session,
        List<String> argv,
        PtySize size,
        boolean readOnly,
        Sink sink,
        Consumer<Attachment.End> onEnd)
        throws IOException {
      return start(session, session.id, argv, session.clientEnv, size, readOnly, sink, onEnd);
    }

    static TmuxAttachment start(
        TmuxSession session,
        String label,
        List<String> argv,
        Map<String, String> env,
        PtySize size,
        boolean readOnly,
        Sink sink,
        Consumer<Attachment.End> onEnd)
        throws IOException {
      Path home = Path.of(System.getProperty("user.home"));
      Pty pty = Pty.start(argv, home, Tmux.clientEnv(env), size);
      TmuxAttachment a = new TmuxAttachment(session, pty, readOnly, onEnd);
      if (session != null) {
        session.attached(a);
      }
      Thread t = new Thread(() -> a.pump(sink), "tmux-attach-" + label);
      t.setDaemon(true);
      t.start();
      return a;
    }

    private void pump(Sink sink) {
      byte[] buf = new byte[32 * 1024];
      Semaphore credit = new Semaphore(1);
      try {
        int n;
        while ((n = pty.read(buf)) > 0) {
          credit.acquire();
          if (detached) {
            break;
          }
          sink.send(buf, 0, n, credit::release);
        }
      } catch (IOException e) {
        LOG.debug("tmux client read ended: {}", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Integer code = null;
      try {
        code = pty.waitFor(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      pty.close();
      if (session != null) {
        session.detached(this);
      }
      if (!detached) {
        boolean sessionGone = true;
        if (session != null) {
          try {
            sessionGone = !session.tmux.has(session.tmuxName);
          } catch (IOException e) {
            sessionGone = true;
          }
        }
        onEnd.accept(new Attachment.End(sessionGone, code));
      }
    }

    @Override
    public void input(byte[] data, int off, int len) {
      if (readOnly || detached || len == 0) {
        return;
      }
      try {
        pty.write(data, off, len);
      } catch (IOException e) {
        LOG.debug("tmux client input dropped: {}", e.toString());
      }
    }

    @Override
    public void resize(PtySize size) {
      pty.resize(size);
    }

    @Override
    public void detach() {
      if (detached) {
        return;
      }
      detached = true;
      // hanging up the tmux client detaches it and tmux keeps the session; the pump thread sees
      // the PTY close and releases it (closing it here could race its blocked read)
      pty.signalGroup(Signals.SIGHUP);
    }
  }
}
