package dev.hack.node.platform;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything hack does that differs between the systems it runs on: Linux ({@link LinuxPlatform})
 * and macOS ({@link MacPlatform}), 64-bit, x86-64 or arm64. The rest of hack asks {@link
 * #current()} and never looks at {@code os.name}, {@code /proc}, {@code SO_PEERCRED}, {@code
 * setsid(1)}, a libc constant or a struct layout itself; {@code ArchitectureTest} and {@code
 * LinuxOnlyCallsTest} (module cli) fail the build when something does. What each method does on
 * each system, and what of macOS is untested, is in docs/platforms.md.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public sealed interface Platform permits LinuxPlatform, MacPlatform {

  /**
   * The platform this JVM runs on.
   *
   * @throws UnsupportedOperationException on a system that is neither Linux nor macOS
   */
  static Platform current() {
    Platform p = Detected.CURRENT;
    if (p == null) {
      throw new UnsupportedOperationException(
          "hack runs on Linux and macOS, not on " + System.getProperty("os.name"));
    }
    return p;
  }

  /** The platform for an {@code os.name} value, or null when hack does not run there. */
  static Platform forOsName(String osName) {
    String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
    if (os.startsWith("linux")) {
      return LinuxPlatform.INSTANCE;
    }
    if (os.startsWith("mac")) {
      return MacPlatform.INSTANCE;
    }
    return null;
  }

  /** {@code linux} or {@code macos}. */
  String name();

  /** The service manager this system comes with. */
  enum InitSystem {
    /** Linux: systemd, where it runs (it is not everywhere: containers, Alpine). */
    SYSTEMD,
    /** macOS: launchd. */
    LAUNCHD
  }

  /** The service manager that {@code hack daemon install} writes a unit for here. */
  InitSystem initSystem();

  /**
   * The foreground process group of the terminal that {@code pid} has as its controlling terminal:
   * the group a keyboard's Ctrl-C would reach (under an interactive shell, the running program's,
   * not the shell's). Empty when it cannot be read: the process is gone, it has no terminal, or the
   * system would not say. May block for up to a second or two on macOS (it runs {@code ps}).
   */
  OptionalLong foregroundProcessGroup(long pid);

  /**
   * The words to put before a program's argv so that it runs in a new session and process group of
   * its own, with no controlling terminal, and keeps the pid the JVM sees (the helper execs it, it
   * does not fork): a terminal that closes does not hang it up, and one signal to its group reaches
   * everything it starts. Empty when the system has no such helper: then the program stays in the
   * node's session and group.
   *
   * <p>The JVM's children never lead a process group, so the helper's {@code setsid(2)} succeeds
   * without forking.
   */
  List<String> newSessionCommand();

  /**
   * The user at the other end of a connected unix socket channel, or empty where the system cannot
   * say.
   *
   * @throws IOException when the system can say but the call failed
   */
  Optional<UserPrincipal> peerUser(SocketChannel unixChannel) throws IOException;

  /**
   * A new descriptor for the same open file as {@code fd}, close-on-exec ({@code fcntl(fd,
   * F_DUPFD_CLOEXEC, 0)}); -1 with {@link Posix#errno()} set when it fails.
   */
  int duplicateCloseOnExec(int fd);

  /**
   * Sets the window size of the terminal {@code fd} (a PTY master) refers to ({@code ioctl(fd,
   * TIOCSWINSZ, …)}); the kernel sends its foreground group SIGWINCH. Returns whether it worked.
   */
  boolean setWindowSize(int fd, int columns, int rows);

  /**
   * The space {@code execve(2)} takes for arguments and environment together ({@code
   * sysconf(_SC_ARG_MAX)}), or -1 when the system does not say.
   */
  long argMax();

  /**
   * The number of a signal on this system, by its name without {@code SIG} ({@code HUP}, {@code
   * INT}, {@code QUIT}, {@code KILL}, {@code USR1}, {@code USR2}, {@code TERM}, {@code CONT},
   * {@code TSTP}, …).
   *
   * @throws IllegalArgumentException naming the signal, for one this system does not have
   */
  int signalNumber(String name);

  /** The name of signal {@code number} on this system ({@code SIGUSR1}), or null for none. */
  String signalName(int number);

  /**
   * Which boot of the machine this is: a string that changes when the machine restarts and only
   * then, or empty when the system does not say. A node compares it with the one a session's
   * program started in to tell a reboot from a keeper that ended.
   */
  Optional<String> bootId();

  /**
   * The current working directory of process {@code pid}, or empty when it is gone or the system
   * would not say. May block for up to a second or two on macOS (it runs {@code lsof}).
   */
  Optional<java.nio.file.Path> workingDirectory(long pid);

  /**
   * Whether process {@code pid} runs: it exists and has not exited. Unlike {@link
   * ProcessHandle#isAlive()}, a zombie (exited, not yet reaped by its parent) does not run: a node
   * or keeper that exited after its starter did is reparented, and some inits (containers' and
   * sandboxes' own pid 1) reap it only a second or more later, so a wait on {@code isAlive} waits
   * that long for nothing.
   */
  boolean isRunning(long pid);

  /**
   * Starts {@code file} with {@code argv} and exactly {@code envp} in {@code cwd} as the leader of
   * a new session whose controlling terminal is the PTY slave {@code slave} (its stdin, stdout and
   * stderr), every signal at its default action and none blocked, and no other descriptor of this
   * process open; its pid. Nothing is done in this process's own memory between the fork and the
   * exec, and no descriptor is enumerated: the cost does not grow with the descriptors this process
   * holds (pty4j's spawn closes them one by one, listing {@code /proc/self/fd}, which cost the
   * keeper milliseconds per program to start and again to reap, with 1,000 programs). Empty where
   * this is not built (then the caller uses pty4j's). Linux: {@code posix_spawn(3)} with {@code
   * POSIX_SPAWN_SETSID} and {@code posix_spawn_file_actions_addclosefrom_np} (glibc 2.34 and
   * later).
   *
   * @throws java.io.IOException the reason the spawn failed (the exec's, too)
   */
  default java.util.OptionalLong spawnOnTerminal(
      String file, String[] argv, String[] envp, String cwd, String slave)
      throws java.io.IOException {
    return java.util.OptionalLong.empty();
  }

  /**
   * A descriptor that becomes readable ({@code POLLIN}) once process {@code pid}, a child of this
   * process, has ended, so that one thread can wait for many programs' ends with one {@code
   * poll(2)}; close-on-exec; the caller closes it. It names that process only while nothing has
   * reaped it. Empty where the system has none: then a thread waits for each program. Linux: {@code
   * pidfd_open(2)} (Linux 5.3 and later). macOS: none (a kqueue's {@code EVFILT_PROC} would do, and
   * is not built).
   */
  java.util.OptionalInt exitDescriptor(long pid);

  /**
   * Reaps the ended child behind {@code exitDescriptor}: its exit code (128+N when killed by signal
   * N); empty when it has not ended, or another wait took it. Linux: {@code waitid(P_PIDFD, …)}
   * (Linux 5.4 and later).
   */
  java.util.OptionalInt reap(int exitDescriptor);
}

/** The platform found once, when first asked for. */
final class Detected {
  static final Platform CURRENT = Platform.forOsName(System.getProperty("os.name"));

  private Detected() {}
}
