package dev.hack.node.supervisor;

import java.util.Locale;

/** What runs in a session. */
public enum SessionType {
  /** The user's login shell in a PTY. */
  SHELL,
  /** A command in a PTY, optionally restarted by policy. */
  PROCESS,
  /** A tmux session: survives a node restart; tmux redraws it on attach. */
  TMUX;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The type of a new session: the one asked for, else {@code shell} without a command and {@code
   * process} with one. A type asked for is kept: {@code shell} with a command runs that command as
   * the session's shell (the gateway's {@code …/shells} does this with its {@code shell} field).
   */
  public static SessionType infer(String asked, java.util.List<String> command) {
    if (asked == null || asked.isBlank()) {
      return command != null && !command.isEmpty() ? PROCESS : SHELL;
    }
    return parse(asked.strip());
  }

  public static SessionType parse(String s) {
    for (SessionType t : values()) {
      if (t.wireName().equals(s)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown session type " + SessionIds.quote(s) + ": use shell, process or tmux");
  }
}
