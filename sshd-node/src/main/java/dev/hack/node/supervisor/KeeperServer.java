package dev.hack.node.supervisor;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.hack.node.api.PtySize;
import dev.hack.node.platform.Posix;
import dev.hack.node.platform.UnixSocket;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keeper: a small process that owns the PTYs of a node's sessions, so that their programs
 * outlive the node (docs/durability.md). It spawns each program (and so is its parent and reaps
 * it), keeps the master, and hands the node a duplicate of it over its unix socket: the node reads
 * and writes the terminal itself. While no node holds a session (the node crashed, is restarting,
 * or is being upgraded), the keeper reads the terminal and appends what the program prints to the
 * session's log, so nothing is lost and no program blocks on a full terminal.
 *
 * <p>One keeper per {@code HACK_HOME}, found at {@code daemon/keeper.sock}; a lock file next to it
 * keeps a second one from starting. It serves one node at a time (the newest connection owns what
 * it adopts); when that node's connection ends, everything it held goes back to being drained.
 *
 * <p>Threads: {@code keeper-accept}, one {@code keeper-conn} per connection, {@code keeper-drain}
 * (one poll(2) over every terminal nobody holds), {@code pty-exits} (one poll(2) over a pidfd per
 * program, which reaps each as it ends: {@link ChildExits}; a {@code pty-reap-PID} thread per
 * program where there are no pidfds) and {@code keeper-ended} (tells the node of each end): none
 * per program.
 */
public final class KeeperServer {
  private static final Duration IDLE_EXIT = Duration.ofSeconds(30);

  private final Path socketPath;
  private final Map<String, Kept> sessions = new LinkedHashMap<>(); // guarded by this
  private int connections; // guarded by this
  private Instant idleSince = Instant.now(); // guarded by this
  private volatile boolean stopping;
  private volatile boolean shutDown; // asked to end every program and exit

  /** A program the keeper holds. Its fields are guarded by the Kept itself. */
  private static final class Kept {
    final String id;
    final LocalPty pty;
    final FileChannel log;
    Connection owner;
    Integer exitCode;
    boolean drained; // the terminal reported its end: nothing more to read

    Kept(String id, LocalPty pty, FileChannel log) {
      this.id = id;
      this.pty = pty;
      this.log = log;
    }
  }

  private KeeperServer(Path socketPath) {
    this.socketPath = socketPath;
  }

  /** {@code KeeperServer SOCKET}: runs the keeper for the socket's node until it is idle. */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: KeeperServer SOCKET");
      System.exit(2);
    }
    Path socket = Path.of(args[0]).toAbsolutePath();
    Path lockFile = socket.resolveSibling(socket.getFileName() + ".lock");
    try (FileChannel lockChannel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.tryLock()) {
      if (lock == null) {
        log("another keeper holds " + lockFile + "; exiting");
        return;
      }
      ChildSignals.resetForChildren(); // the keeper starts every program of the node's
      new KeeperServer(socket).run();
    }
    System.exit(0); // pty4j's reaper threads are not daemons
  }

  private void run() throws IOException, InterruptedException {
    Files.deleteIfExists(socketPath);
    UnixSocket listener = UnixSocket.listen(socketPath, 8);
    log("keeper " + ProcessHandle.current().pid() + " listening at " + socketPath);
    Thread acceptor = new Thread(() -> acceptLoop(listener), "keeper-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    Thread drainer = new Thread(this::drainLoop, "keeper-drain");
    drainer.setDaemon(true);
    drainer.start();
    while (!shutDown) {
      synchronized (this) {
        wait(1000);
        boolean idle = connections == 0 && sessions.isEmpty();
        if (!idle) {
          idleSince = Instant.now();
        } else if (Duration.between(idleSince, Instant.now()).compareTo(IDLE_EXIT) > 0) {
          break;
        }
      }
    }
    stopping = true;
    log(
        shutDown
            ? "keeper shut down as asked; exiting"
            : "keeper idle: no sessions and no node for " + IDLE_EXIT.toSeconds() + " s; exiting");
    Files.deleteIfExists(socketPath);
    listener.shutdown();
    listener.close();
  }

  private void acceptLoop(UnixSocket listener) {
    while (!stopping) {
      UnixSocket s;
      try {
        s = listener.accept();
      } catch (IOException e) {
        if (!stopping) {
          log("accept failed: " + e.getMessage());
        }
        return;
      }
      if (!sameUser(s)) {
        continue;
      }
      Connection c = new Connection(new KeeperWire(s));
      synchronized (this) {
        connections++;
      }
      Thread t = new Thread(c::serve, "keeper-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * Whether the process that connected runs as this keeper's user; closes the connection and says
   * so when not. The socket's directory is already private (0700); this is the second wall, as sshd
   * checks its agent's socket: whoever holds the keeper's socket holds every terminal in it.
   */
  private boolean sameUser(UnixSocket s) {
    int me = Posix.getuid();
    try {
      int peer = s.peerUid();
      if (peer == me) {
        return true;
      }
      log("refused a connection from uid " + peer + " (this keeper runs as uid " + me + ")");
    } catch (IOException e) {
      log("refused a connection whose user the system would not say: " + e.getMessage());
    }
    s.close();
    return false;
  }

  /** One node's connection. */
  private final class Connection {
    final KeeperWire wire;

    Connection(KeeperWire wire) {
      this.wire = wire;
    }

    void serve() {
      try {
        while (true) {
          KeeperWire.Frame f = wire.receive();
          for (int fd : f.fds()) {
            UnixSocket.closeFd(fd); // a node never sends descriptors in this version
          }
          JsonObject reply;
          int[] fds = new int[0];
          try {
            Answer a = answer(f.message());
            reply = a.message();
            fds = a.fds();
          } catch (IOException | RuntimeException e) {
            reply = KeeperWire.message("error");
            reply.addProperty("message", e.getMessage() == null ? e.toString() : e.getMessage());
          }
          if (f.message().has("seq")) {
            reply.add("seq", f.message().get("seq"));
          }
          wire.send(reply, fds);
          if (reply.get("type").getAsString().equals("shut_down")) {
            synchronized (KeeperServer.this) {
              shutDown = true;
              KeeperServer.this.notifyAll();
            }
            return;
          }
        }
      } catch (EOFException e) {
        // the node went away
      } catch (IOException e) {
        log("connection failed: " + e.getMessage());
      } finally {
        lost();
      }
    }

    /** Everything this node held goes back to being drained. */
    private void lost() {
      List<Kept> all;
      synchronized (KeeperServer.this) {
        connections--;
        all = new ArrayList<>(sessions.values());
      }
      int released = 0;
      for (Kept k : all) {
        synchronized (k) {
          if (k.owner == this) {
            k.owner = null;
            released++;
          }
        }
      }
      wire.socket().close();
      if (released > 0) {
        log("the node's connection ended; draining " + released + " session(s) into their logs");
      }
    }

    private Answer answer(JsonObject m) throws IOException {
      String type = m.has("type") ? m.get("type").getAsString() : "";
      switch (type) {
        case "hello":
          {
            JsonObject r = KeeperWire.message("hello");
            int theirs = m.has("version") ? m.get("version").getAsInt() : 1;
            r.addProperty("version", Math.min(theirs, KeeperWire.VERSION));
            r.addProperty("pid", ProcessHandle.current().pid());
            return new Answer(r);
          }
        case "spawn":
          return spawn(m);
        case "adopt":
          return adopt(m.get("id").getAsString());
        case "release":
          {
            Kept k = find(m.get("id").getAsString());
            synchronized (k) {
              if (k.owner == this) {
                k.owner = null;
              }
            }
            return new Answer(KeeperWire.message("released"));
          }
        case "forget":
          {
            String id = m.get("id").getAsString();
            long pid = m.has("pid") ? m.get("pid").getAsLong() : -1;
            Kept k;
            synchronized (KeeperServer.this) {
              k = sessions.get(id);
              if (k != null && (pid < 0 || k.pty.pid() == pid)) {
                sessions.remove(id);
              } else {
                k = null; // a newer program of the session: not the one forgotten
              }
            }
            if (k != null) {
              synchronized (k) {
                k.pty.close(); // kills the program if it still runs
                k.log.close();
              }
            }
            return new Answer(KeeperWire.message("forgotten"));
          }
        case "list":
          {
            JsonObject r = KeeperWire.message("sessions");
            JsonArray arr = new JsonArray();
            List<Kept> all;
            synchronized (KeeperServer.this) {
              all = new ArrayList<>(sessions.values());
            }
            for (Kept k : all) {
              arr.add(describe(k));
            }
            r.add("sessions", arr);
            return new Answer(r);
          }
        case "shutdown":
          {
            JsonObject r = KeeperWire.message("shut_down");
            r.addProperty("ended", endAll());
            return new Answer(r);
          }
        default:
          throw new IllegalArgumentException("unknown keeper request '" + type + "'");
      }
    }

    private Answer spawn(JsonObject m) throws IOException {
      String id = m.get("id").getAsString();
      List<String> argv = new ArrayList<>();
      for (JsonElement e : m.getAsJsonArray("argv")) {
        argv.add(e.getAsString());
      }
      Map<String, String> env = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : m.getAsJsonObject("env").entrySet()) {
        env.put(e.getKey(), e.getValue().getAsString());
      }
      PtySize size = PtySize.orDefault(m.get("cols").getAsInt(), m.get("rows").getAsInt());
      Path logPath = Path.of(m.get("log").getAsString());
      synchronized (KeeperServer.this) {
        Kept old = sessions.get(id);
        if (old != null && old.pty.isAlive()) {
          throw new IllegalStateException("session " + id + " is already running here");
        }
      }
      FileChannel log =
          FileChannel.open(logPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      LocalPty pty;
      try {
        pty = LocalPty.start(argv, Path.of(m.get("cwd").getAsString()), env, size);
      } catch (IOException | RuntimeException e) {
        log.close();
        throw e;
      }
      Kept k = new Kept(id, pty, log);
      k.owner = this;
      Kept replaced;
      synchronized (KeeperServer.this) {
        replaced = sessions.put(id, k);
      }
      if (replaced != null) {
        synchronized (replaced) {
          replaced.pty.close();
          replaced.log.close();
        }
      }
      watch(k);
      JsonObject r = KeeperWire.message("spawned");
      r.addProperty("id", id);
      r.addProperty("pid", pty.pid());
      return new Answer(r, pty.fd);
    }

    private Answer adopt(String id) throws IOException {
      Kept k = find(id);
      JsonObject r;
      synchronized (k) {
        k.owner = this; // the drainer skips it from now on; what it logged is in the file
        r = describe(k);
        r.addProperty("type", "adopted");
        r.addProperty("log_end", k.log.size());
      }
      return new Answer(r, k.pty.fd);
    }

    private Kept find(String id) {
      synchronized (KeeperServer.this) {
        Kept k = sessions.get(id);
        if (k == null) {
          throw new java.util.NoSuchElementException("the keeper holds no session " + id);
        }
        return k;
      }
    }
  }

  /**
   * Ends every program the keeper holds: a hangup to each one's process group, as a closed terminal
   * gives, then {@code SIGKILL} to what still runs after {@link #HANGUP_GRACE}. Returns how many
   * still ran.
   */
  private int endAll() throws IOException {
    List<Kept> all;
    synchronized (this) {
      all = new ArrayList<>(sessions.values());
      sessions.clear();
    }
    List<Kept> running = new ArrayList<>();
    for (Kept k : all) {
      synchronized (k) {
        if (k.exitCode == null && k.pty.isAlive()) {
          running.add(k);
          k.pty.signalGroup(Signals.SIGHUP);
        }
      }
    }
    long deadline = System.nanoTime() + HANGUP_GRACE.toNanos();
    for (Kept k : running) {
      long left = deadline - System.nanoTime();
      try {
        if (left <= 0 || k.pty.waitFor(Duration.ofNanos(left)) == null) {
          k.pty.signalGroup(Signals.SIGKILL);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        k.pty.signalGroup(Signals.SIGKILL);
      }
    }
    for (Kept k : all) {
      synchronized (k) {
        k.pty.close();
        k.log.close();
      }
    }
    log("asked to shut down: ended " + running.size() + " program(s)");
    return running.size();
  }

  /** How long a program has to end on the hangup before the keeper kills it at shutdown. */
  private static final Duration HANGUP_GRACE = Duration.ofSeconds(2);

  private record Answer(JsonObject message, int... fds) {}

  private static JsonObject describe(Kept k) {
    JsonObject o = new JsonObject();
    o.addProperty("id", k.id);
    o.addProperty("pid", k.pty.pid());
    synchronized (k) {
      o.addProperty("alive", k.exitCode == null);
      if (k.exitCode != null) {
        o.addProperty("exit_code", k.exitCode);
      }
    }
    return o;
  }

  /**
   * Tells the node of ended programs, off the thread that reaps them ({@link ChildExits}), which a
   * write to a slow node must not hold up.
   */
  private static final java.util.concurrent.ExecutorService ENDED =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "keeper-ended");
            t.setDaemon(true);
            return t;
          });

  /** Tells the node that holds the program, if any, of its end, once it is reaped. */
  private void watch(Kept k) {
    k.pty.onExit().thenAcceptAsync(code -> reportExit(k, code), ENDED);
  }

  /** Records the program's exit code and tells the node that holds it, if any. */
  private void reportExit(Kept k, int code) {
    Connection owner;
    synchronized (k) {
      k.exitCode = code;
      owner = k.owner;
    }
    if (owner != null) {
      JsonObject ev = KeeperWire.message("exited");
      ev.addProperty("id", k.id);
      ev.addProperty("pid", k.pty.pid()); // not a newer program of the same session
      ev.addProperty("code", code);
      try {
        owner.wire.send(ev);
      } catch (IOException e) {
        // the node is gone; it asks again when it comes back
      }
    }
  }

  /** Reads every terminal no node holds into its session's log. */
  private void drainLoop() {
    byte[] buf = new byte[64 * 1024];
    while (!stopping) {
      List<Kept> idle = new ArrayList<>();
      synchronized (this) {
        for (Kept k : sessions.values()) {
          synchronized (k) {
            if (k.owner == null && !k.drained) {
              idle.add(k);
            }
          }
        }
      }
      if (idle.isEmpty()) {
        sleep(100);
        continue;
      }
      int[] pollfds = new int[idle.size() * 2];
      for (int i = 0; i < idle.size(); i++) {
        pollfds[2 * i] = idle.get(i).pty.fd;
        pollfds[2 * i + 1] = POLLIN;
      }
      int ready = Posix.poll(pollfds, idle.size(), 200);
      if (ready <= 0) {
        continue;
      }
      for (int i = 0; i < idle.size(); i++) {
        int revents = pollfds[2 * i + 1] >>> 16;
        if (revents == 0) {
          continue;
        }
        Kept k = idle.get(i);
        synchronized (k) {
          if (k.owner != null) {
            continue; // adopted meanwhile: the node reads it now
          }
          long n = Posix.read(k.pty.fd, buf, buf.length);
          if (n > 0) {
            try {
              ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) n);
              long at = k.log.size();
              while (b.hasRemaining()) {
                at += k.log.write(b, at);
              }
            } catch (IOException e) {
              log(k.id + ": cannot write its log: " + e.getMessage());
            }
          } else if (n == 0 || Posix.errno() != Posix.EINTR) {
            k.drained = true; // EIO: the program and all it started closed the terminal
          }
        }
      }
    }
  }

  private static final int POLLIN = 0x1;

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void log(String line) {
    System.out.println(Instant.now() + " " + line);
    System.out.flush();
  }
}
