package dev.hack.tui;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How a TUI looks and behaves.
 *
 * @param color whether colour is used; without it, everything reads from attributes (reverse, bold)
 *     and the {@code ●}/{@code ○} marks alone
 * @param mouse whether mouse clicks are captured (a captured mouse takes native text selection and
 *     touch scrolling away from the terminal, so it can be turned off)
 * @param refresh how often every node is asked for its sessions
 * @param timeout how long a node may take to answer before it is shown offline
 */
public record TuiOptions(boolean color, boolean mouse, Duration refresh, Duration timeout) {
  public TuiOptions {
    Objects.requireNonNull(refresh, "refresh");
    Objects.requireNonNull(timeout, "timeout");
    if (refresh.isNegative() || refresh.isZero()) {
      throw new IllegalArgumentException("refresh " + refresh);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout " + timeout);
    }
  }

  public static TuiOptions defaults() {
    return new TuiOptions(true, true, Duration.ofSeconds(2), Duration.ofSeconds(5));
  }

  /**
   * These options as the terminal described by {@code env} allows: no colour with {@code NO_COLOR}
   * set to anything but the empty string (no-color.org), or with {@code TERM=dumb}.
   */
  public TuiOptions forEnvironment(Map<String, String> env) {
    String noColor = env.get("NO_COLOR");
    boolean off = (noColor != null && !noColor.isEmpty()) || "dumb".equals(env.get("TERM"));
    return off ? withColor(false) : this;
  }

  public TuiOptions withColor(boolean on) {
    return new TuiOptions(on, mouse, refresh, timeout);
  }

  public TuiOptions withMouse(boolean on) {
    return new TuiOptions(color, on, refresh, timeout);
  }

  public TuiOptions withRefresh(Duration every) {
    return new TuiOptions(color, mouse, every, timeout);
  }
}
