package dev.hack.node.platform;

import com.sun.jna.Native;

/**
 * The libc calls whose signature, constants and struct layout are the same on Linux and macOS
 * (64-bit, little-endian: x86-64 and arm64), direct-mapped through JNA: no proxy, no allocation per
 * call. pty4j's own streams allocate a few KiB per read and add a poll(2) per read; on the
 * keystroke path that turned into GC pauses in the p99 (see docs/performance.md). What differs
 * between the two systems is behind {@link Platform}, never here.
 *
 * <p>None of these is variadic: a variadic function (fcntl, ioctl) must not be direct-mapped, since
 * arm64 macOS passes variadic arguments on the stack (see {@link Variadic}).
 *
 * <p>Stateless and thread-safe; each call blocks as its libc function does.
 */
public final class Posix {
  static {
    Native.register(com.sun.jna.Platform.C_LIBRARY_NAME);
  }

  /** {@code EINTR}: interrupted by a signal, try again (4 on Linux and macOS). */
  public static final int EINTR = 4;

  /** {@code EIO}: a PTY master whose other side no process holds any more (5 on both). */
  public static final int EIO = 5;

  /** {@code POLLIN} (same on both). */
  public static final int POLLIN = 0x1;

  /** {@code POLLOUT} (same on both). */
  public static final int POLLOUT = 0x4;

  private Posix() {}

  public static native long read(int fd, byte[] buf, long count);

  public static native long write(int fd, byte[] buf, long count);

  public static native int close(int fd);

  /** {@code kill(2)}; a negative pid names a process group. */
  public static native int kill(int pid, int sig);

  /**
   * poll(2). {@code pollfds} holds {@code nfds} {@code struct pollfd}s, each laid out as two ints:
   * {@code [fd, events | revents << 16]} ({@code int fd; short events; short revents;},
   * little-endian, the same on Linux and macOS). {@code nfds_t} is an unsigned long on Linux and an
   * unsigned int on macOS; it travels in a register, where macOS reads the low 32 bits of the long.
   */
  public static native int poll(int[] pollfds, long nfds, int timeout);

  private static native int pipe(int[] fds);

  /**
   * pipe(2), both ends close-on-exec (so that no program this process starts inherits them): {@code
   * fds[0]} is the read end, {@code fds[1]} the write end; 0, or -1 and errno.
   */
  public static int pipeCloseOnExec(int[] fds) {
    int r = pipe(fds);
    if (r == 0) {
      Variadic.C.fcntl(fds[0], Variadic.F_SETFD, Variadic.FD_CLOEXEC);
      Variadic.C.fcntl(fds[1], Variadic.F_SETFD, Variadic.FD_CLOEXEC);
    }
    return r;
  }

  private static native int sigaction(int sig, com.sun.jna.Pointer act, com.sun.jna.Pointer old);

  private static native com.sun.jna.Pointer signal(int sig, com.sun.jna.Pointer handler);

  /**
   * Whether this process ignores signal {@code sig} ({@code SIG_IGN}), as {@code nohup} or a
   * script's {@code &} leaves a program. Reads the disposition with {@code sigaction(sig, NULL,
   * &old)}: {@code sa_handler} is the struct's first field on Linux and on macOS.
   */
  public static boolean ignores(int sig) {
    com.sun.jna.Memory old = new com.sun.jna.Memory(256); // larger than either struct sigaction
    old.clear();
    return sigaction(sig, null, old) == 0 && old.getLong(0) == 1L; // SIG_IGN is (void (*)(int)) 1
  }

  /**
   * Catches signal {@code sig} with a handler that does nothing, in place of ignoring it: this
   * process still takes no action, and a program it execs gets the signal's default, which exec
   * gives a caught signal and not an ignored one. The handler is libc's {@code getpid}, which is
   * async-signal-safe and takes no argument (the signal number it is passed is left unread, as both
   * ABIs allow). Returns whether it worked.
   */
  public static boolean catchWithNothing(int sig) {
    com.sun.jna.Function nothing =
        com.sun.jna.NativeLibrary.getInstance(com.sun.jna.Platform.C_LIBRARY_NAME)
            .getFunction("getpid");
    com.sun.jna.Pointer before = signal(sig, nothing);
    return before == null || com.sun.jna.Pointer.nativeValue(before) != -1L; // SIG_ERR is -1
  }

  private static native int waitpid(int pid, int[] status, int options);

  /**
   * Waits for child {@code pid} to end and reaps it ({@code waitpid(2)}); its exit code, 128+N when
   * killed by signal N, or -1 when it cannot be waited for (not this process's child, or reaped
   * already). The status word is laid out alike on Linux and macOS.
   */
  public static int waitForExit(long pid) {
    int[] status = new int[1];
    while (true) {
      int r = waitpid((int) pid, status, 0);
      if (r == pid) {
        int s = status[0];
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
      }
      if (r < 0 && errno() == EINTR) {
        continue;
      }
      return -1;
    }
  }

  /** getuid(2): the real user id of this process. */
  public static native int getuid();

  /** sysconf(3); its names differ per system, so only {@link Platform#argMax} calls it. */
  static native long sysconf(int name);

  /** The errno of this thread's last call through JNA. */
  public static int errno() {
    return Native.getLastError();
  }
}
