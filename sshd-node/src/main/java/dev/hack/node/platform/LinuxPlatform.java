package dev.hack.node.platform;

import java.io.File;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Linux (glibc or musl; x86-64 and arm64): {@code /proc}, {@code setsid(1)} from util-linux, {@code
 * SO_PEERCRED}, and the kernel's numbers. Everything here runs in the tests.
 */
public final class LinuxPlatform implements Platform {
  static final LinuxPlatform INSTANCE = new LinuxPlatform();

  static final int F_DUPFD_CLOEXEC = 1030;
  static final long TIOCSWINSZ = 0x5414L;
  static final int SC_ARG_MAX = 0;

  private static final String[] SIGNALS = {
    null,
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS"
  };

  private LinuxPlatform() {}

  @Override
  public String name() {
    return "linux";
  }

  @Override
  public InitSystem initSystem() {
    return InitSystem.SYSTEMD;
  }

  /** Field 8 of {@code /proc/PID/stat}, {@code tpgid}. */
  @Override
  public OptionalLong foregroundProcessGroup(long pid) {
    try {
      return tpgidOfStat(Files.readString(Path.of("/proc/" + pid + "/stat")));
    } catch (IOException e) {
      return OptionalLong.empty(); // the process is gone
    }
  }

  /**
   * {@code tpgid} from the text of {@code /proc/PID/stat}: the fields after the command name, which
   * is in parentheses and may hold spaces and parentheses itself, are state, ppid, pgrp, session,
   * tty_nr, tpgid. -1 (no controlling terminal) and 0 are no group.
   */
  static OptionalLong tpgidOfStat(String stat) {
    try {
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long tpgid = Long.parseLong(f[5]);
      return tpgid > 0 ? OptionalLong.of(tpgid) : OptionalLong.empty();
    } catch (RuntimeException e) {
      return OptionalLong.empty(); // not the format of proc(5): no group rather than a wrong one
    }
  }

  /** {@code setsid --} (util-linux), from {@code /usr/bin}, {@code /bin} or {@code PATH}. */
  @Override
  public List<String> newSessionCommand() {
    return setsid().map(s -> List.of(s, "--")).orElse(List.of());
  }

  private static Optional<String> setsid() {
    for (String p : List.of("/usr/bin/setsid", "/bin/setsid")) {
      if (Files.isExecutable(Path.of(p))) {
        return Optional.of(p);
      }
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = dir.isEmpty() ? null : Path.of(dir, "setsid");
      if (p != null && Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /** {@code SO_PEERCRED}, through the JDK. */
  @Override
  public Optional<UserPrincipal> peerUser(SocketChannel unixChannel) throws IOException {
    if (!unixChannel.supportedOptions().contains(ExtendedSocketOptions.SO_PEERCRED)) {
      return Optional.empty();
    }
    UnixDomainPrincipal peer = unixChannel.getOption(ExtendedSocketOptions.SO_PEERCRED);
    return Optional.of(peer.user());
  }

  @Override
  public int duplicateCloseOnExec(int fd) {
    return Variadic.C.fcntl(fd, F_DUPFD_CLOEXEC, 0);
  }

  @Override
  public boolean setWindowSize(int fd, int columns, int rows) {
    return Variadic.C.ioctl(fd, TIOCSWINSZ, Variadic.winsize(columns, rows)) == 0;
  }

  /** A quarter of the stack limit (2 MiB with the usual 8 MiB), at least 128 KiB. */
  @Override
  public long argMax() {
    return Posix.sysconf(SC_ARG_MAX);
  }

  @Override
  public int signalNumber(String name) {
    return SignalTable.number(SIGNALS, name);
  }

  @Override
  public String signalName(int number) {
    return number > 0 && number < SIGNALS.length ? SIGNALS[number] : null;
  }

  @Override
  public String toString() {
    return name();
  }

  /** {@code /proc/sys/kernel/random/boot_id}: a UUID the kernel makes anew at each boot. */
  @Override
  public Optional<String> bootId() {
    try {
      String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
      return id.isEmpty() ? Optional.empty() : Optional.of(id);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The {@code /proc/PID/cwd} link. */
  @Override
  public Optional<Path> workingDirectory(long pid) {
    try {
      return Optional.of(Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.empty(); // gone, or another user's
    }
  }

  /** glibc's {@code posix_spawn(3)} and what it takes; absent (older glibc): not {@link #OK}. */
  private static final class Spawn {
    static final boolean OK;

    static {
      boolean ok;
      try {
        com.sun.jna.Native.register(com.sun.jna.Platform.C_LIBRARY_NAME);
        ok = true;
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        ok = false; // glibc before 2.34 has no addclosefrom_np
      }
      OK = ok;
    }

    static final short SETSIGDEF = 0x04;
    static final short SETSIGMASK = 0x08;
    static final short SETSID = 0x80;
    static final int O_RDWR = 2;

    static native int posix_spawnattr_init(com.sun.jna.Pointer attr);

    static native int posix_spawnattr_destroy(com.sun.jna.Pointer attr);

    static native int posix_spawnattr_setflags(com.sun.jna.Pointer attr, short flags);

    static native int posix_spawnattr_setsigmask(com.sun.jna.Pointer attr, com.sun.jna.Pointer set);

    static native int posix_spawnattr_setsigdefault(
        com.sun.jna.Pointer attr, com.sun.jna.Pointer set);

    static native int sigemptyset(com.sun.jna.Pointer set);

    static native int sigfillset(com.sun.jna.Pointer set);

    static native int posix_spawn_file_actions_init(com.sun.jna.Pointer actions);

    static native int posix_spawn_file_actions_destroy(com.sun.jna.Pointer actions);

    static native int posix_spawn_file_actions_addopen(
        com.sun.jna.Pointer actions, int fd, String path, int flags, int mode);

    static native int posix_spawn_file_actions_adddup2(
        com.sun.jna.Pointer actions, int fd, int newFd);

    static native int posix_spawn_file_actions_addchdir_np(
        com.sun.jna.Pointer actions, String path);

    static native int posix_spawn_file_actions_addclosefrom_np(
        com.sun.jna.Pointer actions, int from);

    static native int posix_spawn(
        int[] pid,
        String path,
        com.sun.jna.Pointer actions,
        com.sun.jna.Pointer attr,
        com.sun.jna.Pointer argv,
        com.sun.jna.Pointer envp);

    static native String strerror(int errno);
  }

  @Override
  public java.util.OptionalLong spawnOnTerminal(
      String file, String[] argv, String[] envp, String cwd, String slave)
      throws java.io.IOException {
    if (!Spawn.OK || Boolean.getBoolean("hack.spawn.pty4j")) {
      return java.util.OptionalLong.empty();
    }
    // sizes: posix_spawnattr_t 336, posix_spawn_file_actions_t 80, sigset_t 128 (glibc, 64-bit)
    com.sun.jna.Memory attr = new com.sun.jna.Memory(512);
    com.sun.jna.Memory actions = new com.sun.jna.Memory(256);
    com.sun.jna.Memory none = new com.sun.jna.Memory(128);
    com.sun.jna.Memory all = new com.sun.jna.Memory(128);
    check(Spawn.posix_spawnattr_init(attr), "posix_spawnattr_init");
    try {
      check(Spawn.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
      try {
        Spawn.sigemptyset(none);
        Spawn.sigfillset(all);
        check(
            Spawn.posix_spawnattr_setflags(
                attr, (short) (Spawn.SETSID | Spawn.SETSIGDEF | Spawn.SETSIGMASK)),
            "setflags");
        check(Spawn.posix_spawnattr_setsigmask(attr, none), "setsigmask");
        check(Spawn.posix_spawnattr_setsigdefault(attr, all), "setsigdefault");
        // in the child, in this order: setsid (an attribute, applied before the file actions);
        // the chdir (one that fails fails the spawn, where pty4j's went on in the node's
        // directory); then the slave, opened by the session's leader without O_NOCTTY, becomes
        // its controlling terminal
        check(Spawn.posix_spawn_file_actions_addchdir_np(actions, cwd), "addchdir_np");
        check(
            Spawn.posix_spawn_file_actions_addopen(actions, 0, slave, Spawn.O_RDWR, 0), "addopen");
        check(Spawn.posix_spawn_file_actions_adddup2(actions, 0, 1), "adddup2");
        check(Spawn.posix_spawn_file_actions_adddup2(actions, 0, 2), "adddup2");
        check(Spawn.posix_spawn_file_actions_addclosefrom_np(actions, 3), "addclosefrom_np");
        int[] pid = new int[1];
        int err =
            Spawn.posix_spawn(
                pid,
                file,
                actions,
                attr,
                new com.sun.jna.StringArray(argv),
                new com.sun.jna.StringArray(envp));
        if (err != 0) {
          throw new java.io.IOException(Spawn.strerror(err));
        }
        return java.util.OptionalLong.of(pid[0]);
      } finally {
        Spawn.posix_spawn_file_actions_destroy(actions);
      }
    } finally {
      Spawn.posix_spawnattr_destroy(attr);
    }
  }

  private static void check(int err, String what) throws java.io.IOException {
    if (err != 0) {
      throw new java.io.IOException(what + ": " + Spawn.strerror(err));
    }
  }

  /** {@code pidfd_open}'s number: the same on every Linux architecture (the unified table). */
  private static final long SYS_PIDFD_OPEN = 434;

  @Override
  public java.util.OptionalInt exitDescriptor(long pid) {
    if (pid <= 0 || pid > Integer.MAX_VALUE) {
      return java.util.OptionalInt.empty();
    }
    long fd = Variadic.C.syscall(SYS_PIDFD_OPEN, (int) pid, 0); // close-on-exec always
    return fd < 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of((int) fd);
  }

  /** {@code waitid(2)}: Linux's, for {@code P_PIDFD} (Linux 5.4 and later). */
  private static final class Wait {
    static {
      com.sun.jna.Native.register(com.sun.jna.Platform.C_LIBRARY_NAME);
    }

    static native int waitid(int idtype, int id, com.sun.jna.Pointer infop, int options);
  }

  private static final int P_PIDFD = 3;
  private static final int WEXITED = 4;
  private static final int WNOHANG = 1;
  private static final int CLD_EXITED = 1;
  private static final int CLD_KILLED = 2;
  private static final int CLD_DUMPED = 3;

  /**
   * {@code waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG)}. {@code siginfo_t} on 64-bit Linux:
   * {@code si_code} at 8, {@code si_pid} at 16 (0 while nothing has ended), {@code si_status} at
   * 24.
   */
  @Override
  public java.util.OptionalInt reap(int exitDescriptor) {
    com.sun.jna.Memory info = new com.sun.jna.Memory(128); // sizeof(siginfo_t)
    info.clear();
    if (Wait.waitid(P_PIDFD, exitDescriptor, info, WEXITED | WNOHANG) != 0
        || info.getInt(16) == 0) {
      return java.util.OptionalInt.empty();
    }
    int code = info.getInt(8);
    int status = info.getInt(24);
    if (code == CLD_EXITED) {
      return java.util.OptionalInt.of(status);
    }
    if (code == CLD_KILLED || code == CLD_DUMPED) {
      return java.util.OptionalInt.of(128 + status);
    }
    return java.util.OptionalInt.empty();
  }

  /** {@code /proc/PID/stat}: its state, the field after the command's closing parenthesis. */
  @Override
  public boolean isRunning(long pid) {
    if (pid <= 0) {
      return false;
    }
    String stat;
    try {
      stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    } catch (IOException | SecurityException e) {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) {
      return true; // exists; a state we cannot read does not make it gone
    }
    char state = stat.charAt(close + 2);
    return state != 'Z' && state != 'X' && state != 'x';
  }
}
