package dev.hack.node.supervisor;

/** POSIX signals through libc (JNA comes with pty4j): Java cannot signal a process group. */
public final class Signals {
  static final int SIGHUP = 1;
  static final int SIGINT = 2;
  static final int SIGQUIT = 3;
  public static final int SIGKILL = 9;
  static final int SIGUSR1 = 10;
  static final int SIGUSR2 = 12;
  public static final int SIGTERM = 15;
  public static final int SIGCONT = 18;
  static final int SIGTSTP = 20;

  private Signals() {}

  /** {@code kill(2)}; a negative pid names a process group. Returns false if nothing was there. */
  public static boolean kill(long pid, int signal) {
    return LibC.kill((int) pid, signal) == 0;
  }

  private static final String[] LINUX_NAMES = {
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

  /**
   * The signal an exit status of 128 + N reports, as a shell reads {@code $?}: the JDK (and pty4j,
   * which reaps through it) folds "killed by signal N" into 128 + N, so that is all that is left of
   * it. A program that calls {@code exit(137)} itself reads as SIGKILL too, as it does in sh.
   */
  public static String nameOfExit(Integer exitCode) {
    if (exitCode == null || exitCode <= 128 || exitCode - 128 >= LINUX_NAMES.length) {
      return null;
    }
    return LINUX_NAMES[exitCode - 128];
  }

  /** Linux signal numbers for the names the gateway and {@code ssh} use (with or without SIG). */
  static int number(String name) {
    String n = name.startsWith("SIG") ? name.substring(3) : name;
    return switch (n) {
      case "HUP" -> SIGHUP;
      case "INT" -> SIGINT;
      case "QUIT" -> SIGQUIT;
      case "KILL" -> SIGKILL;
      case "USR1" -> SIGUSR1;
      case "USR2" -> SIGUSR2;
      case "TERM" -> SIGTERM;
      case "CONT" -> SIGCONT;
      case "TSTP" -> SIGTSTP;
      default -> throw new IllegalArgumentException("unknown signal " + SessionIds.quote(name));
    };
  }
}
