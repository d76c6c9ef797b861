package dev.hack.node.supervisor;

import com.pty4j.WinSize;
import com.pty4j.unix.UnixPtyProcess;
import dev.hack.node.api.PtySize;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process on a pseudo-terminal. pty4j spawns and reaps it; the bytes go through our own
 * duplicate of the master descriptor with plain blocking read(2)/write(2) (see {@link LibC}).
 *
 * <p>The child is a session leader with the PTY as its controlling terminal, so its pid is its
 * process group id and {@link #signalGroup} reaches everything it started in that group. The window
 * size is set on the PTY before the child is exec'd: sizing it afterwards (pty4j's builder) let
 * about one child in seven read 0x0.
 *
 * <p>{@link #read} is for one reader thread, {@link #write} for one writer thread. Nothing here
 * hangs up the PTY while the child runs.
 */
final class Pty implements AutoCloseable {
  private final UnixPtyProcess process;
  private final com.pty4j.unix.Pty pty;
  private final int fd;
  private volatile boolean closed;

  private Pty(UnixPtyProcess process, com.pty4j.unix.Pty pty, int fd) {
    this.process = process;
    this.pty = pty;
    this.fd = fd;
  }

  /**
   * Starts {@code argv} in {@code cwd} with exactly {@code env}, on a PTY of {@code size}.
   *
   * @throws IOException {@code cannot start 'PROGRAM': REASON}, with the reason {@link ExecCheck}
   *     finds before spawning (pty4j itself can only say {@code Unknown reason}, or nothing at all
   *     when the exec fails after the fork)
   */
  @SuppressWarnings("deprecation") // the only constructor that takes a PTY sized before exec
  static Pty start(List<String> argv, Path cwd, Map<String, String> env, PtySize size)
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
      fd = LibC.fcntl(pty.getMasterFD(), LibC.F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {
        throw new IOException("cannot duplicate the PTY descriptor: errno " + LibC.errno());
      }
      String[] envp =
          env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
      UnixPtyProcess process = new UnixPtyProcess(cmd, envp, cwd.toString(), pty, null, false);
      return new Pty(process, pty, fd);
    } catch (IOException | RuntimeException e) {
      if (fd >= 0) {
        LibC.close(fd);
      }
      pty.close();
      throw new IOException(
          "cannot start " + ExecCheck.quote(argv.get(0)) + ": " + e.getMessage(), e);
    }
  }

  long pid() {
    return process.pid();
  }

  /**
   * Blocks until output is available. Returns -1 once no process has the terminal open any more
   * (EIO: the child and everything it started on the terminal have exited).
   */
  int read(byte[] buf) throws IOException {
    while (true) {
      long n = LibC.read(fd, buf, buf.length);
      if (n > 0) {
        return (int) n;
      }
      if (n == 0) {
        return -1;
      }
      int errno = LibC.errno();
      if (errno == LibC.EINTR) {
        continue;
      }
      if (errno == LibC.EIO || closed) {
        return -1;
      }
      throw new IOException("PTY read failed: errno " + errno);
    }
  }

  /** Writes all of {@code data[off, off+len)}; blocks while the terminal's input queue is full. */
  void write(byte[] data, int off, int len) throws IOException {
    byte[] buf = off == 0 ? data : Arrays.copyOfRange(data, off, off + len);
    int left = len;
    while (left > 0) {
      long n = LibC.write(fd, buf, left);
      if (n < 0) {
        int errno = LibC.errno();
        if (errno == LibC.EINTR) {
          continue;
        }
        throw new IOException("PTY write failed: errno " + errno);
      }
      left -= (int) n;
      if (left > 0) {
        buf = Arrays.copyOfRange(buf, (int) n, (int) n + left);
      }
    }
  }

  /**
   * Whether the terminal can take input right now without blocking: the kernel buffers up to 64 KiB
   * of input a program has not read yet, and reports POLLOUT while there is room.
   */
  boolean writableNow() {
    if (closed) {
      return false;
    }
    int[] pollfd = {fd, LibC.POLLOUT};
    return LibC.poll(pollfd, 1, 0) == 1 && ((pollfd[1] >>> 16) & LibC.POLLOUT) != 0;
  }

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

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits up to {@code timeout}; the exit code (128+N when killed by signal N), or null. */
  Integer waitFor(Duration timeout) throws InterruptedException {
    if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return process.exitValue();
    }
    return null;
  }

  /** Sends {@code signal} to the child's whole process group. */
  void signalGroup(int signal) {
    Signals.kill(-process.pid(), signal);
  }

  /**
   * Sends {@code signal} to the terminal's foreground process group, as a keyboard's Ctrl-C would:
   * under an interactive shell that is the running program's group, not the shell's. Falls back to
   * the child's group when the foreground group cannot be read.
   */
  void signalForeground(int signal) {
    long group = process.pid();
    try {
      String stat =
          java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + process.pid() + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long tpgid = Long.parseLong(f[5]);
      if (tpgid > 0) {
        group = tpgid;
      }
    } catch (java.io.IOException | RuntimeException e) {
      // no /proc (or the child is gone): the child's own group is the best guess
    }
    Signals.kill(-group, signal);
  }

  /** Closes our descriptor and pty4j's; kills the child if it still runs. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    LibC.close(fd);
    try {
      pty.close();
    } catch (IOException e) {
      // already closed by pty4j's reaper: nothing left to release
    }
  }
}
