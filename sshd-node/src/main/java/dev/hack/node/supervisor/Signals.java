package dev.hack.node.supervisor;

import dev.hack.node.platform.Platform;
import dev.hack.node.platform.Posix;

/**
 * POSIX signals through libc (JNA comes with pty4j): Java cannot signal a process group. The
 * numbers POSIX fixes are constants; the others differ between Linux and macOS and come from the
 * {@link Platform}.
 */
public final class Signals {
  static final int SIGHUP = 1;
  static final int SIGINT = 2;
  static final int SIGQUIT = 3;
  public static final int SIGKILL = 9;
  static final int SIGUSR1 = Platform.current().signalNumber("USR1");
  static final int SIGUSR2 = Platform.current().signalNumber("USR2");
  public static final int SIGTERM = 15;
  public static final int SIGCONT = Platform.current().signalNumber("CONT");
  static final int SIGTSTP = Platform.current().signalNumber("TSTP");

  private Signals() {}

  /** {@code kill(2)}; a negative pid names a process group. Returns false if nothing was there. */
  public static boolean kill(long pid, int signal) {
    return Posix.kill((int) pid, signal) == 0;
  }

  /**
   * The signal an exit status of 128 + N reports, as a shell reads {@code $?}: the JDK (and pty4j,
   * which reaps through it) folds "killed by signal N" into 128 + N, so that is all that is left of
   * it. A program that calls {@code exit(137)} itself reads as SIGKILL too, as it does in sh.
   */
  public static String nameOfExit(Integer exitCode) {
    if (exitCode == null || exitCode <= 128) {
      return null;
    }
    return Platform.current().signalName(exitCode - 128);
  }

  /**
   * This system's signal numbers for the names the gateway and {@code ssh} use (with or without
   * SIG).
   */
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
