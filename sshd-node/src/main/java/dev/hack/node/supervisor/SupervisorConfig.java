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
 */
public record SupervisorConfig(
    Path tmuxSocket, Duration retention, Duration stopGrace, Map<String, String> baseEnv) {
  public SupervisorConfig {
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(stopGrace, "stopGrace");
    baseEnv = Map.copyOf(baseEnv);
    if (retention.isNegative() || stopGrace.isNegative()) {
      throw new IllegalArgumentException("negative duration");
    }
  }

  public static SupervisorConfig defaults() {
    return new SupervisorConfig(null, Duration.ofDays(7), Duration.ofSeconds(3), System.getenv());
  }

  public SupervisorConfig withTmuxSocket(Path socket) {
    return new SupervisorConfig(socket, retention, stopGrace, baseEnv);
  }

  public SupervisorConfig withRetention(Duration d) {
    return new SupervisorConfig(tmuxSocket, d, stopGrace, baseEnv);
  }
}
