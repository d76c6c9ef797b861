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
 */
public record SessionSpec(
    String id,
    SessionType type,
    List<String> command,
    String cwd,
    String project,
    Map<String, String> env,
    RestartPolicy restart,
    PtySize size) {

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
  }

  public static SessionSpec shell() {
    return new SessionSpec(null, SessionType.SHELL, List.of(), null, null, Map.of(), null, null);
  }
}
