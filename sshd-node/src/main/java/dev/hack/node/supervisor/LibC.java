package dev.hack.node.supervisor;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few libc calls the PTY path makes, direct-mapped through JNA (no proxy, no allocation per
 * call). pty4j's own streams allocate a few KiB per read and add a poll(2) per read; on the
 * keystroke path that turned into GC pauses in the p99 (see docs/performance.md).
 */
final class LibC {
  static {
    Native.register(Platform.C_LIBRARY_NAME);
  }

  static final int EINTR = 4;
  static final int EIO = 5;
  static final int EAGAIN = Platform.isMac() ? 35 : 11;
  static final int F_DUPFD_CLOEXEC = Platform.isMac() ? 67 : 1030;

  private LibC() {}

  static native long read(int fd, byte[] buf, long count);

  static native long write(int fd, byte[] buf, long count);

  static native int close(int fd);

  static native int fcntl(int fd, int cmd, int arg);

  static native int kill(int pid, int sig);

  /** ioctl(2) with a {@code struct winsize} ({@code [rows, cols, xpixel, ypixel]} as shorts). */
  static native int ioctl(int fd, long request, short[] winsize);

  /** ioctl's request to set a terminal's window size. */
  static final long TIOCSWINSZ = Platform.isMac() ? 0x80087467L : 0x5414L;

  /** sysconf(3); -1 when the limit is unknown. */
  static native long sysconf(int name);

  /** sysconf's name for the space execve(2) takes for arguments and environment together. */
  static final int SC_ARG_MAX = 0;

  /**
   * poll(2) on one descriptor. {@code pollfd} is a {@code struct pollfd} laid out as two ints:
   * {@code [fd, events | revents << 16]} (little-endian, as on x86-64 and arm64).
   */
  static native int poll(int[] pollfd, long nfds, int timeout);

  static final int POLLOUT = 0x4;

  static int errno() {
    return Native.getLastError();
  }
}
