package dev.hack.node.jobs;

import dev.hack.node.platform.Platform;
import dev.hack.node.supervisor.ExecCheck;
import dev.hack.node.supervisor.Signals;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's program, started in a session and process group of its own so that one signal reaches
 * everything it started, grandchildren included.
 *
 * <p>Java cannot make a child a session leader, so the program runs through the platform's helper
 * ({@link Platform#newSessionCommand}: {@code setsid(1)} on Linux, Perl's {@code POSIX::setsid} on
 * macOS). The JVM's child is never a process group leader, so the helper calls {@code setsid(2)}
 * and execs the program without forking: the pid Java sees is the program's, and it is also the
 * process group id. Without a helper the program runs in the node's group and signals go to it and
 * to the descendants found at the time.
 */
final class JobProcess {
  private static final List<String> NEW_SESSION = Platform.current().newSessionCommand();
  private static final File DEV_NULL = new File("/dev/null");

  private final Process process;
  private final boolean ownGroup;

  private JobProcess(Process process, boolean ownGroup) {
    this.process = process;
    this.ownGroup = ownGroup;
  }

  /**
   * Starts {@code command} in {@code cwd} with the node's environment plus {@code env}, stdin from
   * {@code /dev/null}, stderr merged into stdout.
   */
  static JobProcess start(List<String> command, Path cwd, Map<String, String> env)
      throws IOException {
    List<String> argv = new ArrayList<>(NEW_SESSION);
    argv.addAll(command);
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .directory(cwd.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
            .redirectErrorStream(true);
    pb.environment().putAll(env);
    return new JobProcess(pb.start(), !NEW_SESSION.isEmpty());
  }

  Process process() {
    return process;
  }

  long pid() {
    return process.pid();
  }

  /**
   * Sends {@code signal} to the program's process group. This reaches what is left of the group
   * after the program itself has exited, too.
   */
  void signal(int signal) {
    if (ownGroup) {
      Signals.kill(-process.pid(), signal);
      return;
    }
    List<ProcessHandle> tree = new ArrayList<>();
    process.descendants().forEach(tree::add);
    Signals.kill(process.pid(), signal);
    for (ProcessHandle h : tree) {
      Signals.kill(h.pid(), signal);
    }
  }

  /**
   * Why {@code command} cannot be started in {@code cwd}, or null if it looks startable: the
   * directory is missing, or {@link ExecCheck} finds the program missing or not executable (looked
   * up on {@code PATH}, from {@code env} if it sets one, as {@code execvp(3)} does), or the
   * arguments and environment over the kernel's limits. Checked before starting because with the
   * new-session helper in between, a missing program would otherwise look like a program that ran
   * and exited with status 127.
   */
  static String whyNotStartable(List<String> command, Path cwd, Map<String, String> env) {
    if (!Files.isDirectory(cwd)) {
      return "the working directory " + cwd + " does not exist";
    }
    Map<String, String> full = new HashMap<>(System.getenv());
    full.putAll(env);
    // a file without #! runs: the helper's execvp(3) (or the JDK) hands it to /bin/sh
    return ExecCheck.problem(command, cwd, full, true);
  }

  /** A value for a message: quoted, control characters replaced, long values cut. */
  static String quote(String s) {
    return ExecCheck.quote(s);
  }
}
