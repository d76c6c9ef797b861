package dev.hack.tui;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The message in the key bar's place: what an action did, or why it could not. Shown for a few
 * seconds or until the next key. Render thread only.
 */
final class StatusLine {
  private static final Duration SHOWN_FOR = Duration.ofSeconds(6);

  private final Clock clock;
  private String text;
  private boolean error;
  private Instant until = Instant.EPOCH;

  StatusLine(Clock clock) {
    this.clock = clock;
  }

  void say(String text) {
    show(text, false);
  }

  void error(String text) {
    show(text, true);
  }

  private void show(String text, boolean error) {
    this.text = text;
    this.error = error;
    this.until = clock.instant().plus(SHOWN_FOR);
  }

  void clear() {
    text = null;
  }

  /** The message while it is fresh, or null. */
  String current() {
    if (text != null && clock.instant().isAfter(until)) {
      text = null;
    }
    return text;
  }

  /** Whether the message is an error (shown as one: {@code !}, and red where colour is on). */
  boolean isError() {
    return error;
  }
}
