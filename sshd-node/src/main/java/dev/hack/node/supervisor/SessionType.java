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
