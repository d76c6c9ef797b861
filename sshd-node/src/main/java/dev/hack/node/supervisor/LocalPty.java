package dev.hack.node.supervisor;

import com.pty4j.WinSize;
import com.pty4j.unix.UnixPtyProcess;
import dev.hack.node.api.PtySize;
import dev.hack.node.platform.Platform;
import dev.hack.node.platform.Posix;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process on a pseudo-terminal of this process: pty4j spawns and reaps it; the bytes go
 * through our own duplicate of the master descriptor ({@link Pty}).
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
  private final UnixPtyProcess process;
  private final com.pty4j.unix.Pty pty;

  private LocalPty(UnixPtyProcess process, com.pty4j.unix.Pty pty, int fd) {
    super(fd);
    this.process = process;
    this.pty = pty;
  }

  /**
   * Starts {@code argv} in {@code cwd} with exactly {@code env}, on a PTY of {@code size}.
   *
   * @throws IOException {@code cannot start 'PROGRAM': REASON}, with the reason {@link ExecCheck}
   *     finds before spawning (pty4j itself can only say {@code Unknown reason}, or nothing at all
   *     when the exec fails after the fork)
   */
  @SuppressWarnings("deprecation") // the only constructor that takes a PTY sized before exec
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
    com.pty4j.unix.Pty pty = new com.pty4j.unix.Pty();
    int fd = -1;
    try {
      pty.setWindowSize(new WinSize(size.columns(), size.rows()), null);
      fd = Platform.current().duplicateCloseOnExec(pty.getMasterFD());
      if (fd < 0) {
        throw new IOException("cannot duplicate the PTY descriptor: errno " + Posix.errno());
      }
      String[] envp =
          env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
      UnixPtyProcess process = new UnixPtyProcess(cmd, envp, cwd.toString(), pty, null, false);
      return new LocalPty(process, pty, fd);
    } catch (IOException | RuntimeException e) {
      if (fd >= 0) {
        Posix.close(fd);
      }
      pty.close();
      throw new IOException(
          "cannot start " + ExecCheck.quote(argv.get(0)) + ": " + e.getMessage(), e);
    }
  }

  @Override
  long pid() {
    return process.pid();
  }

  @Override
  void resize(PtySize size) {
    if (closed) {
      return;
    }
    try {
      pty.setWindowSize(new WinSize(size.columns(), size.rows()), process);
    } catch (Exception e) {
      // the child exited between the check and the ioctl: nothing left to resize
    }
  }

  @Override
  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits for the program's exit however long it takes; its exit code (128+N when killed by signal
   * N). Blocks on pty4j's reaper: unlike a timed {@link #waitFor(Duration)}, whose {@code Process}
   * default polls every 100 ms (and builds an exception each time), a thread waiting here costs
   * nothing while the program runs. The keeper's waiter per program uses it.
   */
  int waitForExit() throws InterruptedException {
    return process.waitFor();
  }

  /** Waits up to {@code timeout}; the exit code (128+N when killed by signal N), or null. */
  @Override
  Integer waitFor(Duration timeout) throws InterruptedException {
    if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return process.exitValue();
    }
    return null;
  }

  /** Closes our descriptor and pty4j's; kills the child if it still runs. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closeFd()) {
      return;
    }
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    try {
      pty.close();
    } catch (IOException e) {
      // already closed by pty4j's reaper: nothing left to release
    }
  }
}
