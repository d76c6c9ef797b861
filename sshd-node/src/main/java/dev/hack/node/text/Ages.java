package dev.hack.node.text;

import java.time.Duration;
import java.time.Instant;

/** How long ago, as the tables print it: {@code 42s}, {@code 5m}, {@code 3h}, {@code 2d}. */
public final class Ages {
  private Ages() {}

  /** The time since {@code iso} (an ISO-8601 instant), or {@code ?} for one that does not parse. */
  public static String since(String iso) {
    try {
      return of(Duration.between(Instant.parse(iso), Instant.now()));
    } catch (RuntimeException e) {
      return "?";
    }
  }

  /** {@code d} in the largest whole unit; a negative duration is {@code 0s}. */
  public static String of(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m";
    }
    if (s < 86400) {
      return (s / 3600) + "h";
    }
    return (s / 86400) + "d";
  }
}
