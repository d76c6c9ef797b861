package dev.hack.node.supervisor;

import java.time.Duration;

/** When a {@code process} session's program is started again after it exits. */
public enum RestartPolicy {
  NEVER("never"),
  ON_FAILURE("on-failure"),
  ALWAYS("always");

  private static final Duration FIRST_DELAY = Duration.ofMillis(250);
  private static final Duration MAX_DELAY = Duration.ofSeconds(30);
  private static final Duration STABLE = Duration.ofSeconds(60);

  private final String wireName;

  RestartPolicy(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static RestartPolicy parse(String s) {
    for (RestartPolicy p : values()) {
      if (p.wireName.equals(s)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown restart policy " + SessionIds.quote(s) + ": use never, on-failure or always");
  }

  boolean restarts(int exitCode) {
    return switch (this) {
      case NEVER -> false;
      case ON_FAILURE -> exitCode != 0;
      case ALWAYS -> true;
    };
  }

  /**
   * The delay before restart number {@code attempt} (1-based), doubling from 250 ms up to 30 s. A
   * run that lasted longer than a minute resets the count (the caller passes attempt 1).
   */
  static Duration backoff(int attempt) {
    long ms = FIRST_DELAY.toMillis() << Math.min(attempt - 1, 10);
    return Duration.ofMillis(Math.min(ms, MAX_DELAY.toMillis()));
  }

  static boolean ranLongEnough(Duration ran) {
    return ran.compareTo(STABLE) >= 0;
  }
}
