package dev.hack.node.platform;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * The variadic libc functions hack calls, mapped through a JNA interface whose last parameter is
 * {@code Object...}: JNA then tells libffi how many arguments are fixed ({@code ffi_prep_cif_var}).
 * That matters on arm64 macOS, where a variadic argument goes on the stack while a fixed one goes
 * in a register: a direct-mapped {@code fcntl(int, int, int)} would put the third argument where
 * macOS's {@code fcntl} does not look. On x86-64 (both systems) and arm64 Linux the two conventions
 * agree, so the same call works everywhere.
 *
 * <p>Slower than {@link Posix}'s direct mapping (a proxy and boxing per call); only for calls off
 * the byte path: once per terminal or socket, and on a resize.
 */
interface Variadic extends Library {
  Variadic C = Native.load(com.sun.jna.Platform.C_LIBRARY_NAME, Variadic.class);

  /** {@code int fcntl(int fd, int cmd, ...)}. */
  int fcntl(int fd, int cmd, Object... args);

  /** {@code int ioctl(int fd, unsigned long request, ...)}. */
  int ioctl(int fd, long request, Object... args);

  /** {@code long syscall(long number, ...)} (Linux only: macOS has no use for it here). */
  long syscall(long number, Object... args);

  /** {@code F_SETFD} and {@code FD_CLOEXEC}: the same on Linux and macOS. */
  int F_GETFD = 1;

  int F_SETFD = 2;

  int FD_CLOEXEC = 1;

  /**
   * {@code struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }} for ioctl's
   * {@code TIOCSWINSZ}: the same on Linux and macOS.
   */
  static Memory winsize(int columns, int rows) {
    Memory ws = new Memory(8);
    ws.clear();
    ws.setShort(0, (short) rows);
    ws.setShort(2, (short) columns);
    return ws;
  }
}
