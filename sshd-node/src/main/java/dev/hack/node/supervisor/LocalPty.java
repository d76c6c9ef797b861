package dev.hack.node.supervisor;

import com.pty4j.unix.PtyHelpers;
import dev.hack.node.api.PtySize;
import dev.hack.node.platform.Platform;
import dev.hack.node.platform.Posix;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process on a pseudo-terminal of this process. pty4j opens the PTY; {@link
 * Platform#spawnOnTerminal} starts the child (Linux: {@code posix_spawn}), else pty4j's native
 * spawn; {@link ChildExits} reaps it, with no thread per program where the system has exit
 * descriptors (pty4j's own process object keeps a reaper thread per program). The bytes go through
 * one close-on-exec descriptor of the master ({@link Pty}).
 *
 * <p>The child is a session leader with the PTY as its controlling terminal, so its pid is its
 * process group id and {@link #signalGroup} reaches everything it started in that group. The window
 * size is set on the PTY before the child is exec'd: sizing it afterwards (pty4j's builder) let
 * about one child in seven read 0x0.
 *
 * <p>{@link #read} is for one reader thread, {@link #write} for one writer thread. Nothing here
 * hangs up the PTY while the child runs.
 */
final class LocalPty extends Pty {
  private final long pid;
  private final CompletableFuture<Integer> exit;

  private LocalPty(long pid, CompletableFuture<Integer> exit, int fd) {
    super(fd);
    this.pid = pid;
    this.exit = exit;
  }

  /**
   * Starts {@code argv} in {@code cwd} with exactly {@code env}, on a PTY of {@code size}.
   *
   * @throws IOException {@code cannot start 'PROGRAM': REASON}, with the reason {@link ExecCheck}
   *     finds before spawning (pty4j itself can only say {@code Unknown reason}, or nothing at all
   *     when the exec fails after the fork)
   */
  static LocalPty start(List<String> argv, Path cwd, Map<String, String> env, PtySize size)
      throws IOException {
    String problem = ExecCheck.problem(argv, cwd, env, false);
    if (problem != null) {
      throw new IOException(problem);
    }
    String[] cmd = argv.toArray(String[]::new);
    if (cmd[0].contains("/") && !cmd[0].startsWith("/")) {
      // pty4j looks a relative path up from the node's working directory, not the session's
      cmd[0] = cwd.resolve(cmd[0]).toString();
    }
    String[] envp =
        env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    kotlin.Pair<Integer, String> master = com.pty4j.unix.Pty.ptyMasterOpen();
    if (master.getFirst() < 0) {
      throw new IOException(
          "cannot start " + ExecCheck.quote(argv.get(0)) + ": no PTY could be opened");
    }
    int opened = master.getFirst();
    int fd = -1;
    try {
      // sized before the exec: sizing it afterwards let about one child in seven read 0x0
      Platform.current().setWindowSize(opened, size.columns(), size.rows());
      // the one descriptor kept, close-on-exec
      fd = Platform.current().duplicateCloseOnExec(opened);
      if (fd < 0) {
        throw new IOException("cannot duplicate the PTY descriptor: errno " + Posix.errno());
      }
      Path file = ExecCheck.executable(argv.get(0), cwd, env);
      java.util.OptionalLong spawned =
          Platform.current()
              .spawnOnTerminal(
                  file == null ? cmd[0] : file.toString(),
                  cmd,
                  envp,
                  cwd.toString(),
                  master.getSecond());
      long pid;
      if (spawned.isPresent()) {
        pid = spawned.getAsLong();
      } else {
        // what pty4j's UnixPtyProcess runs on its reaper thread, which would then wait for the end
        pid =
            PtyHelpers.execPty(
                cmd[0], cmd, envp, cwd.toString(), master.getSecond(), opened, null, -1, false);
        if (pid <= 0) {
          throw new IOException("the spawn failed");
        }
      }
      Posix.close(opened);
      return new LocalPty(pid, ChildExits.watch(pid), fd);
    } catch (IOException | RuntimeException e) {
      if (fd >= 0) {
        Posix.close(fd);
      }
      Posix.close(opened);
      throw new IOException(
          "cannot start " + ExecCheck.quote(argv.get(0)) + ": " + e.getMessage(), e);
    }
  }

  @Override
  long pid() {
    return pid;
  }

  @Override
  void resize(PtySize size) {
    if (closed) {
      return;
    }
    // the kernel tells the foreground group (SIGWINCH); a child gone meanwhile: nothing to do
    Platform.current().setWindowSize(fd, size.columns(), size.rows());
  }

  @Override
  boolean isAlive() {
    return !exit.isDone();
  }

  /**
   * The program's exit code (128+N when killed by signal N; -1 when it could not be read), once it
   * has ended and been reaped; completed on the thread that reaps, so what depends on it must not
   * block.
   */
  @Override
  CompletableFuture<Integer> onExit() {
    return exit;
  }

  /** Waits up to {@code timeout}; the exit code (128+N when killed by signal N), or null. */
  @Override
  Integer waitFor(Duration timeout) throws InterruptedException {
    try {
      return exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    }
  }

  /** Closes the master; kills the child if it still runs. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closeFd()) {
      return;
    }
    if (!exit.isDone()) {
      Posix.kill((int) pid, Signals.SIGKILL); // reaped by ChildExits when it is gone
    }
  }
}
