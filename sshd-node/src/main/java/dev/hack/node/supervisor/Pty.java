package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import dev.hack.node.platform.Platform;
import dev.hack.node.platform.Posix;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A child process on a pseudo-terminal, as a session uses it. The bytes go through a master
 * descriptor of this process with plain blocking read(2)/write(2) (see {@link Posix}). Who spawned
 * the child and holds the terminal differs: this process ({@link LocalPty}), or the keeper, which
 * handed the node a duplicate of its master ({@link KeptPty}) and keeps the program running when
 * the node goes away.
 *
 * <p>{@link #read} is for one reader at a time (the node's {@link PtyPoller}, or the keeper's
 * drain), {@link #write} for one writer at a time. Nothing here hangs up the PTY while the child
 * runs.
 */
abstract class Pty implements AutoCloseable {
  final int fd;
  volatile boolean closed;

  Pty(int fd) {
    this.fd = fd;
  }

  /**
   * Starts {@code argv} in {@code cwd} with exactly {@code env}, on a PTY of this process of {@code
   * size}.
   *
   * @throws IOException {@code cannot start 'PROGRAM': REASON}, with the reason {@link ExecCheck}
   *     finds before spawning
   */
  static Pty start(List<String> argv, Path cwd, Map<String, String> env, PtySize size)
      throws IOException {
    return LocalPty.start(argv, cwd, env, size);
  }

  /** The child's pid, which is also its process group's id. */
  abstract long pid();

  abstract void resize(PtySize size);

  abstract boolean isAlive();

  /** Waits up to {@code timeout}; the exit code (128+N when killed by signal N), or null. */
  abstract Integer waitFor(Duration timeout) throws InterruptedException;

  /**
   * Completes with the exit code once the program has ended (null when it can no longer be known:
   * released, or its keeper gone), on whichever thread learns of it: what depends on it must not
   * block. Nobody waits in a thread of their own.
   */
  abstract java.util.concurrent.CompletableFuture<Integer> onExit();

  /**
   * Whether the program goes on when this node lets go of it ({@link #release}): a kept one does,
   * the keeper holds its terminal.
   */
  boolean survivesNode() {
    return false;
  }

  /** Lets go of a program that survives the node: closes this process's descriptor only. */
  void release() {
    closeFd();
  }

  /**
   * Blocks until output is available. Returns -1 once no process has the terminal open any more
   * (EIO: the child and everything it started on the terminal have exited), or this descriptor was
   * closed.
   */
  int read(byte[] buf) throws IOException {
    while (true) {
      long n = Posix.read(fd, buf, buf.length);
      if (n > 0) {
        return (int) n;
      }
      if (n == 0) {
        return -1;
      }
      int errno = Posix.errno();
      if (errno == Posix.EINTR) {
        continue;
      }
      if (errno == Posix.EIO || closed) {
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
      long n = Posix.write(fd, buf, left);
      if (n < 0) {
        int errno = Posix.errno();
        if (errno == Posix.EINTR) {
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
    int[] pollfd = {fd, Posix.POLLOUT};
    return Posix.poll(pollfd, 1, 0) == 1 && ((pollfd[1] >>> 16) & Posix.POLLOUT) != 0;
  }

  /** Sends {@code signal} to the child's whole process group. */
  void signalGroup(int signal) {
    Signals.kill(-pid(), signal);
  }

  /**
   * Sends {@code signal} to the terminal's foreground process group, as a keyboard's Ctrl-C would:
   * under an interactive shell that is the running program's group, not the shell's. Falls back to
   * the child's group when the foreground group cannot be read.
   */
  void signalForeground(int signal) {
    // unknown (the child is gone, or the system would not say): the child's group is the best guess
    long group = Platform.current().foregroundProcessGroup(pid()).orElse(pid());
    Signals.kill(-group, signal);
  }

  /**
   * Closes this process's descriptor once; returns whether this call did. The node's poller forgets
   * it first ({@link PtyPoller#forget}), so that nothing polls or reads its number after the close.
   */
  final synchronized boolean closeFd() {
    if (closed) {
      return false;
    }
    PtyPoller.SHARED.forget(fd);
    closed = true;
    Posix.close(fd);
    return true;
  }

  /** Ends the program if it still runs and closes the descriptor. Idempotent. */
  @Override
  public abstract void close();
}
