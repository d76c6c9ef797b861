package dev.hack.node.platform;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * macOS (Darwin; arm64 and x86-64). No {@code /proc}: {@code ps(1)} reads the process table; no
 * {@code setsid(1)}: the system's Perl calls {@code setsid(2)} and execs; the JDK's {@code
 * SO_PEERCRED} is {@code getpeereid(3)} there; and Darwin's own numbers for fcntl, ioctl, sysconf
 * and signals, from the xnu and libc headers.
 *
 * <p><b>Never run on a Mac.</b> What the tests on Linux cover (the parsing, the tables, {@code ps}
 * and the Perl helper against Linux's own) and what not is in docs/platforms.md.
 */
public final class MacPlatform implements Platform {
  static final MacPlatform INSTANCE = new MacPlatform();

  /** {@code F_DUPFD_CLOEXEC} in {@code <sys/fcntl.h>}. */
  static final int F_DUPFD_CLOEXEC = 67;

  /** {@code TIOCSWINSZ}: {@code _IOW('t', 103, struct winsize)} in {@code <sys/ttycom.h>}. */
  static final long TIOCSWINSZ = ioctlWrite('t', 103, 8);

  /** {@code _SC_ARG_MAX} in {@code <unistd.h>} (Linux's is 0). */
  static final int SC_ARG_MAX = 1;

  /** Where macOS keeps {@code ps} and Perl (both part of the base system). */
  static final String PS = "/bin/ps";

  static final String PERL = "/usr/bin/perl";

  /** How long {@code ps} may take before the foreground group counts as unknown. */
  static final Duration PS_TIMEOUT = Duration.ofSeconds(2);

  /**
   * What Perl runs before the program: a new session ({@code POSIX::setsid}, which fails only for a
   * group leader, which a JVM's child never is), then {@code execvp(3)} of the argv, so the pid
   * stays. A program that cannot be run exits 127 (not found) or 126, as {@code setsid(1)} does.
   */
  static final String NEW_SESSION_SCRIPT =
      "use POSIX (); POSIX::setsid() or die \"hack: setsid: $!\\n\";"
          + " exec { $ARGV[0] } @ARGV;"
          + " print STDERR \"hack: cannot run $ARGV[0]: $!\\n\"; exit($!{ENOENT} ? 127 : 126);";

  /** Darwin's signal numbers ({@code <sys/signal.h>}): index = number. */
  private static final String[] SIGNALS = {
    null,
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGEMT",
    "SIGFPE",
    "SIGKILL",
    "SIGBUS",
    "SIGSEGV",
    "SIGSYS",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGURG",
    "SIGSTOP",
    "SIGTSTP",
    "SIGCONT",
    "SIGCHLD",
    "SIGTTIN",
    "SIGTTOU",
    "SIGIO",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGINFO",
    "SIGUSR1",
    "SIGUSR2"
  };

  private MacPlatform() {}

  /** BSD's {@code _IOW(group, num, size)}: {@code IOC_IN | (size & IOCPARM_MASK) << 16 | …}. */
  static long ioctlWrite(char group, int num, int size) {
    long iocIn = 0x80000000L;
    long iocparmMask = 0x1fff;
    return iocIn | ((size & iocparmMask) << 16) | ((long) group << 8) | num;
  }

  @Override
  public String name() {
    return "macos";
  }

  @Override
  public InitSystem initSystem() {
    return InitSystem.LAUNCHD;
  }

  /** {@code ps -o tpgid= -p PID} (the process table's {@code e_tpgid}), bounded by 2 s. */
  @Override
  public OptionalLong foregroundProcessGroup(long pid) {
    Process ps;
    try {
      ps =
          new ProcessBuilder(PS, "-o", "tpgid=", "-p", Long.toString(pid))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      return OptionalLong.empty(); // no ps: the caller falls back
    }
    try {
      if (!ps.waitFor(PS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        return OptionalLong.empty();
      }
      try (InputStream out = ps.getInputStream()) {
        // the answer is one short line: it fits the pipe, so ps never waited for us to read it
        return tpgidOfPs(new String(out.readNBytes(256), StandardCharsets.US_ASCII));
      }
    } catch (IOException e) {
      return OptionalLong.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalLong.empty();
    } finally {
      ps.destroyForcibly(); // gone already, unless it timed out
    }
  }

  /**
   * {@code tpgid} from what {@code ps -o tpgid= -p PID} printed: one number, blank-padded. Nothing
   * (no such process), 0 (macOS: no controlling terminal) or -1 (Linux's ps) are no group.
   */
  static OptionalLong tpgidOfPs(String output) {
    String s = output.strip();
    if (s.isEmpty() || s.indexOf('\n') >= 0) {
      return OptionalLong.empty();
    }
    try {
      long tpgid = Long.parseLong(s);
      return tpgid > 0 ? OptionalLong.of(tpgid) : OptionalLong.empty();
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** {@code /usr/bin/perl -e NEW_SESSION_SCRIPT --}; empty on a Mac without Perl. */
  @Override
  public List<String> newSessionCommand() {
    if (!Files.isExecutable(Path.of(PERL))) {
      return List.of();
    }
    return List.of(PERL, "-e", NEW_SESSION_SCRIPT, "--");
  }

  /** The JDK's {@code SO_PEERCRED}, which on macOS is {@code getpeereid(3)} on the socket. */
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

  /** 1 MiB on current macOS. */
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

  /** {@code sysctl -n kern.boottime}: the time of this boot ({@code { sec = …, usec = … } …}). */
  @Override
  public Optional<String> bootId() {
    return output(List.of("/usr/sbin/sysctl", "-n", "kern.boottime"))
        .map(String::strip)
        .filter(s -> !s.isEmpty());
  }

  /** {@code lsof -a -d cwd -p PID -Fn}: its {@code n} line names the directory. */
  @Override
  public Optional<Path> workingDirectory(long pid) {
    return output(List.of("/usr/sbin/lsof", "-a", "-d", "cwd", "-p", Long.toString(pid), "-Fn"))
        .flatMap(MacPlatform::cwdOfLsof);
  }

  /** The directory in what {@code lsof -Fn} printed: the line that starts with {@code n}. */
  static Optional<Path> cwdOfLsof(String out) {
    for (String line : out.split("\n")) {
      if (line.startsWith("n/")) {
        return Optional.of(Path.of(line.substring(1)));
      }
    }
    return Optional.empty();
  }

  /** What a short command printed, given at most {@link #PS_TIMEOUT}; empty when it failed. */
  private static Optional<String> output(List<String> argv) {
    Process p;
    try {
      p =
          new ProcessBuilder(argv)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      return Optional.empty();
    }
    try (InputStream out = p.getInputStream()) {
      byte[] text = out.readNBytes(64 * 1024);
      if (!p.waitFor(PS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
        return Optional.empty();
      }
      return Optional.of(new String(text, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * {@link ProcessHandle#isAlive()}: launchd reaps what it inherits at once, so a zombie lasts only
   * while its own parent has not waited for it.
   */
  @Override
  public boolean isRunning(long pid) {
    return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Override
  public java.util.OptionalInt reap(int exitDescriptor) {
    return java.util.OptionalInt.empty(); // there are no exit descriptors here
  }

  @Override
  public java.util.OptionalInt exitDescriptor(long pid) {
    return java.util.OptionalInt.empty(); // a kqueue with EVFILT_PROC would do; not built
  }
}
