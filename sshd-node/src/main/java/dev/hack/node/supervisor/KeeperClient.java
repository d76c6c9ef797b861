package dev.hack.node.supervisor;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.hack.node.api.PtySize;
import dev.hack.node.platform.Platform;
import dev.hack.node.platform.UnixSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's side of the keeper ({@link KeeperServer}): starts it when none runs, spawns programs
 * through it, and adopts the ones it already holds after a restart. Each answer with a terminal
 * comes with a duplicate of its master, which becomes a {@link KeptPty}.
 *
 * <p>Thread-safe. One {@code keeper-client} thread reads answers and the keeper's events.
 */
final class KeeperClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeeperClient.class);
  private static final Duration ANSWER_WAIT = Duration.ofSeconds(20);
  private static final Duration START_WAIT = Duration.ofSeconds(20);

  private final KeeperWire wire;
  private final int version;
  private final long keeperPid;
  private final AtomicLong seq = new AtomicLong();
  private final Map<Long, CompletableFuture<KeeperWire.Frame>> pending = new ConcurrentHashMap<>();
  private final Map<String, KeptPty> held = new ConcurrentHashMap<>();

  /**
   * Ends that came before this node knew the program: the keeper watches a program's end from the
   * moment it starts it, so an {@code exited} can be read before the caller of {@link #spawn} has
   * the answer in {@link #held}. Guarded by {@link #ends}, as are changes to {@link #held}.
   */
  private final Map<String, long[]> early = // id -> {pid, code}; an end the node never takes
      new java.util.LinkedHashMap<>() { // (a program forgotten while it ran) is dropped in time
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
          return size() > 10_000;
        }
      };

  private final Object ends = new Object();
  private volatile boolean closed;
  private volatile boolean ending; // asked the keeper to shut down: its connection ends next

  private KeeperClient(KeeperWire wire, int version, long keeperPid) {
    this.wire = wire;
    this.version = version;
    this.keeperPid = keeperPid;
  }

  /** Whether the connection to the keeper has ended. */
  boolean isClosed() {
    return closed;
  }

  /** The keeper's process id. */
  long keeperPid() {
    return keeperPid;
  }

  /** The protocol both sides speak. */
  int version() {
    return version;
  }

  /**
   * Connects to the keeper at {@code socket}, starting one (detached, in its own session, output
   * appended to {@code logFile}) when none answers.
   */
  static KeeperClient connectOrStart(Path socket, Path logFile) throws IOException {
    try {
      return connect(socket);
    } catch (IOException first) {
      start(socket, logFile);
      long deadline = System.nanoTime() + START_WAIT.toNanos();
      IOException last = first;
      while (System.nanoTime() < deadline) {
        try {
          return connect(socket);
        } catch (IOException e) {
          last = e;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      throw new IOException(
          "the keeper did not start (see " + logFile + "): " + last.getMessage(), last);
    }
  }

  /** Connects to the keeper at {@code socket}; an IOException when none answers there. */
  static KeeperClient connect(Path socket) throws IOException {
    UnixSocket s = UnixSocket.connect(socket);
    KeeperWire wire = new KeeperWire(s);
    JsonObject hello = KeeperWire.message("hello");
    hello.addProperty("version", KeeperWire.VERSION);
    wire.send(hello);
    KeeperWire.Frame answer = wire.receive();
    if (!answer.type().equals("hello")) {
      s.close();
      throw new IOException("the keeper answered " + answer.message() + " to hello");
    }
    KeeperClient c =
        new KeeperClient(
            wire,
            answer.message().get("version").getAsInt(),
            answer.message().get("pid").getAsLong());
    Thread reader = new Thread(c::readLoop, "keeper-client");
    reader.setDaemon(true);
    reader.start();
    return c;
  }

  /** Starts a keeper process that outlives this one: its own session, no terminal. */
  private static void start(Path socket, Path logFile) throws IOException {
    Files.createDirectories(socket.getParent());
    String java = ProcessHandle.current().info().command().orElse("java");
    // a new session: no hangup from the node's terminal or process group
    List<String> cmd = new ArrayList<>(Platform.current().newSessionCommand());
    cmd.addAll(
        List.of(
            java,
            "-Xss512k",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xmx64m",
            "-cp",
            keeperClassPath(socket.getParent()),
            KeeperServer.class.getName(),
            socket.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    LOG.info("started the keeper, pid {} (its output: {})", p.pid(), logFile);
  }

  /**
   * The class path the keeper runs from. A node run from a jar gives the keeper its own copy under
   * {@code daemon/keeper/}: the keeper outlives upgrades of {@code hack.jar} and the temporary
   * copies {@code scripts/hack} runs, and loads classes from its jar long after it started.
   */
  private static String keeperClassPath(Path daemonDir) throws IOException {
    String cp = System.getProperty("java.class.path");
    Path jar = Path.of(cp);
    if (cp.contains(java.io.File.pathSeparator)
        || !cp.endsWith(".jar")
        || !Files.isRegularFile(jar)) {
      return cp; // classes from directories (tests, a development build)
    }
    Path dir = Files.createDirectories(daemonDir.resolve("keeper"));
    Path copy =
        dir.resolve(
            "hack-keeper-"
                + Files.size(jar)
                + "-"
                + Files.getLastModifiedTime(jar).toMillis()
                + ".jar");
    if (!Files.exists(copy)) {
      Path tmp = Files.createTempFile(dir, "copy", ".tmp");
      Files.copy(jar, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, copy, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    return copy.toString();
  }

  private void readLoop() {
    try {
      while (true) {
        KeeperWire.Frame f = wire.receive();
        if (f.message().has("seq")) {
          CompletableFuture<KeeperWire.Frame> waiting =
              pending.remove(f.message().get("seq").getAsLong());
          if (waiting != null) {
            waiting.complete(f);
            continue;
          }
        }
        for (int fd : f.fds()) {
          UnixSocket.closeFd(fd);
        }
        if (f.type().equals("exited")) {
          String id = f.message().get("id").getAsString();
          long pid = f.message().has("pid") ? f.message().get("pid").getAsLong() : -1;
          int code = f.message().get("code").getAsInt();
          KeptPty p;
          synchronized (ends) {
            p = held.get(id);
            if (p == null && pid >= 0) {
              early.put(id, new long[] {pid, code}); // the spawn's caller has not taken it yet
            }
          }
          if (p != null && (pid < 0 || p.pid() == pid)) { // a restart's old program: not this one
            p.exited(code);
          }
        }
      }
    } catch (IOException e) {
      if (!closed && !ending) {
        LOG.warn("the keeper's connection ended: {}", e.getMessage());
      }
    } finally {
      closed = true;
      for (CompletableFuture<KeeperWire.Frame> f : pending.values()) {
        f.completeExceptionally(new IOException("the keeper's connection ended"));
      }
      pending.clear();
      for (KeptPty p : held.values()) {
        p.keeperGone();
      }
    }
  }

  /** Sends {@code request} with the next sequence number; its answer completes the future. */
  private CompletableFuture<KeeperWire.Frame> send(JsonObject request) throws IOException {
    if (closed) {
      throw new IOException("the keeper's connection is closed");
    }
    long n = seq.incrementAndGet();
    request.addProperty("seq", n);
    CompletableFuture<KeeperWire.Frame> answer = new CompletableFuture<>();
    pending.put(n, answer);
    try {
      wire.send(request);
    } catch (IOException e) {
      pending.remove(n);
      throw e;
    }
    return answer;
  }

  private KeeperWire.Frame ask(JsonObject request) throws IOException {
    CompletableFuture<KeeperWire.Frame> answer = send(request);
    try {
      KeeperWire.Frame f = answer.get(ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (f.type().equals("error")) {
        for (int fd : f.fds()) {
          UnixSocket.closeFd(fd);
        }
        throw new IOException(f.message().get("message").getAsString());
      }
      return f;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the keeper", e);
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      pending.values().remove(answer);
      throw new IOException("the keeper did not answer within " + ANSWER_WAIT.toSeconds() + " s");
    }
  }

  /**
   * Starts {@code argv} through the keeper; its output goes to {@code log} while nobody holds it.
   */
  KeptPty spawn(
      String id, List<String> argv, Path cwd, Map<String, String> env, PtySize size, Path log)
      throws IOException {
    String problem = ExecCheck.problem(argv, cwd, env, false);
    if (problem != null) {
      throw new IOException(problem); // the keeper would find it too, with a vaguer message
    }
    JsonObject m = KeeperWire.message("spawn");
    m.addProperty("id", id);
    JsonArray a = new JsonArray();
    argv.forEach(a::add);
    m.add("argv", a);
    m.addProperty("cwd", cwd.toString());
    JsonObject e = new JsonObject();
    env.forEach(e::addProperty);
    m.add("env", e);
    m.addProperty("cols", size.columns());
    m.addProperty("rows", size.rows());
    m.addProperty("log", log.toString());
    KeeperWire.Frame f = ask(m);
    return held(id, f, null);
  }

  /** What {@link #adopt} found: the terminal, and where the log ended when the node took it. */
  record Adopted(KeptPty pty, long logEnd) {}

  /**
   * Takes over a program the keeper holds (after this node restarted); the keeper stops draining
   * it.
   *
   * @throws IOException when the keeper does not hold it (it ended before the keeper did, or the
   *     machine restarted)
   */
  Adopted adopt(String id) throws IOException {
    JsonObject m = KeeperWire.message("adopt");
    m.addProperty("id", id);
    KeeperWire.Frame f = ask(m);
    Integer code = f.message().has("exit_code") ? f.message().get("exit_code").getAsInt() : null;
    return new Adopted(held(id, f, code), f.message().get("log_end").getAsLong());
  }

  private KeptPty held(String id, KeeperWire.Frame f, Integer exitCode) throws IOException {
    if (f.fds().length != 1) {
      for (int fd : f.fds()) {
        UnixSocket.closeFd(fd);
      }
      throw new IOException("the keeper sent " + f.fds().length + " terminals for " + id);
    }
    KeptPty p = new KeptPty(this, id, f.message().get("pid").getAsLong(), f.fds()[0]);
    long[] before;
    synchronized (ends) {
      held.put(id, p);
      before = early.remove(id);
    }
    if (exitCode == null && before != null && before[0] == p.pid()) {
      exitCode = (int) before[1]; // it ended before the answer reached its caller
    }
    if (exitCode != null) {
      p.exited(exitCode);
    }
    return p;
  }

  /** The node lets go of {@code id}; the keeper drains it from now on. */
  void release(String id) {
    synchronized (ends) {
      held.remove(id);
      early.remove(id);
    }
    tell("release", id);
  }

  /**
   * The program {@code pid} of session {@code id} is done with: the keeper ends it if it runs, and
   * forgets it (not a newer program of the same session, started by a restart meanwhile).
   */
  void forget(String id, long pid) {
    synchronized (ends) {
      KeptPty p = held.get(id);
      if (p != null && p.pid() == pid) {
        held.remove(id, p);
      }
      early.remove(id);
    }
    JsonObject m = KeeperWire.message("forget");
    m.addProperty("id", id);
    m.addProperty("pid", pid);
    // not waited for: the keeper answers one connection's requests in order, so a later spawn of
    // the same session comes after it, and a session's end does not wait for the round trip (a
    // 1,000-id stop waited for 1,000 of them, one after another in the keeper)
    askLater(m);
  }

  /** Sends {@code request} without waiting for the answer; a refusal is logged. */
  private void askLater(JsonObject request) {
    String type = request.get("type").getAsString();
    try {
      send(request)
          .whenComplete(
              (f, e) -> {
                if (f != null) {
                  for (int fd : f.fds()) {
                    UnixSocket.closeFd(fd);
                  }
                  if (f.type().equals("error")) {
                    LOG.debug("keeper {}: {}", type, f.message().get("message").getAsString());
                  }
                }
              });
    } catch (IOException e) {
      LOG.debug("keeper {}: {}", type, e.getMessage());
    }
  }

  private void tell(String type, String id) {
    JsonObject m = KeeperWire.message(type);
    m.addProperty("id", id);
    try {
      ask(m);
    } catch (IOException e) {
      LOG.debug("keeper {} {}: {}", type, id, e.getMessage());
    }
  }

  /** What the keeper holds: its sessions, alive or ended while no node held them. */
  JsonArray list() throws IOException {
    return ask(KeeperWire.message("list")).message().getAsJsonArray("sessions");
  }

  /**
   * Ends every program the keeper holds, and the keeper itself once it has answered.
   *
   * @return how many programs were still running
   */
  int shutdown() throws IOException {
    ending = true;
    KeeperWire.Frame f = ask(KeeperWire.message("shutdown"));
    return f.message().get("ended").getAsInt();
  }

  @Override
  public void close() {
    closed = true;
    wire.socket().shutdown();
    wire.socket().close();
  }
}
