package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to start: validated before anything is spawned.
 *
 * @param id the session id, or null to generate one
 * @param command argv; empty means the user's login shell
 * @param cwd working directory, or null for the user's home
 * @param env variables added to the node's environment (TERM, LANG/LC_* of the client, ...)
 * @param onRestore a shell command line run in place of the program when a node starts and finds
 *     the program gone (a reboot), e.g. {@code claude --continue}; null for none
 */
public record SessionSpec(
    String id,
    SessionType type,
    List<String> command,
    String cwd,
    String project,
    Map<String, String> env,
    RestartPolicy restart,
    PtySize size,
    String onRestore) {

  /** A spec without a restore command. */
  public SessionSpec(
      String id,
      SessionType type,
      List<String> command,
      String cwd,
      String project,
      Map<String, String> env,
      RestartPolicy restart,
      PtySize size) {
    this(id, type, command, cwd, project, env, restart, size, null);
  }

  public SessionSpec {
    if (id != null) {
      SessionIds.require(id);
    }
    Objects.requireNonNull(type, "type");
    command = command == null ? List.of() : List.copyOf(command);
    env = env == null ? Map.of() : Map.copyOf(env);
    restart = restart == null ? RestartPolicy.NEVER : restart;
    size = size == null ? PtySize.DEFAULT : size;
    if (restart != RestartPolicy.NEVER && type != SessionType.PROCESS) {
      throw new IllegalArgumentException("--restart applies to process sessions only");
    }
    if (type == SessionType.PROCESS && command.isEmpty()) {
      throw new IllegalArgumentException("a process session needs a command: new -- CMD ARGS...");
    }
    if (!command.isEmpty() && command.get(0).isEmpty()) {
      throw new IllegalArgumentException(
          "the command's program name is empty: name a program, or give no command for a shell");
    }
    // a NUL would silently cut the word where the program is started (execve takes C strings)
    for (int i = 0; i < command.size(); i++) {
      noNul(command.get(i), "argument " + (i + 1) + " of the command");
    }
    noNul(cwd, "the working directory");
    if (onRestore != null) {
      if (onRestore.isBlank()) {
        throw new IllegalArgumentException(
            "--on-restore needs a command, e.g. 'claude --continue'");
      }
      if (type == SessionType.TMUX) {
        throw new IllegalArgumentException(
            "--on-restore applies to shell and process sessions (tmux keeps its own)");
      }
      noNul(onRestore, "the --on-restore command");
    }
    noNul(project, "the project");
    for (Map.Entry<String, String> e : env.entrySet()) {
      noNul(e.getKey(), "an environment variable's name");
      noNul(e.getValue(), "the environment variable " + e.getKey().replace('\0', '?'));
      if (e.getKey().isEmpty() || e.getKey().indexOf('=') >= 0) {
        throw new IllegalArgumentException(
            "invalid environment variable name: it must be non-empty and hold no '='");
      }
    }
  }

  private static void noNul(String s, String what) {
    if (s != null && s.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " holds a NUL byte");
    }
  }

  public static SessionSpec shell() {
    return new SessionSpec(null, SessionType.SHELL, List.of(), null, null, Map.of(), null, null);
  }
}
