package dev.hack.node.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the supervisor runs sessions.
 *
 * @param tmuxSocket the tmux server to use, or null for the user's default server
 * @param retention how long exited and lost sessions stay listed
 * @param stopGrace time between SIGTERM and SIGKILL when stopping
 * @param baseEnv the environment every session starts from
 * @param keeperSocket where the keeper listens, which holds the PTYs so that programs outlive the
 *     node (docs/durability.md); null to hold them in the node itself, as before
 */
public record SupervisorConfig(
    Path tmuxSocket,
    Duration retention,
    Duration stopGrace,
    Map<String, String> baseEnv,
    Path keeperSocket) {
  public SupervisorConfig {
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(stopGrace, "stopGrace");
    baseEnv = Map.copyOf(baseEnv);
    if (retention.isNegative() || stopGrace.isNegative()) {
      throw new IllegalArgumentException("negative duration");
    }
  }

  public static SupervisorConfig defaults() {
    return new SupervisorConfig(
        null, Duration.ofDays(7), Duration.ofSeconds(3), System.getenv(), null);
  }

  public SupervisorConfig withTmuxSocket(Path socket) {
    return new SupervisorConfig(socket, retention, stopGrace, baseEnv, keeperSocket);
  }

  public SupervisorConfig withRetention(Duration d) {
    return new SupervisorConfig(tmuxSocket, d, stopGrace, baseEnv, keeperSocket);
  }

  /** Sessions' PTYs held by the keeper at {@code socket} (started when none runs). */
  public SupervisorConfig withKeeper(Path socket) {
    return new SupervisorConfig(tmuxSocket, retention, stopGrace, baseEnv, socket);
  }
}
