package dev.hack.node.ssh;

import java.util.Locale;
import java.util.Optional;

/**
 * What a login by tailnet identity may do on this node (docs/ssh.md), from least to most. Sessions
 * that logged in with an authorized key have no role: they may do everything.
 */
enum TailnetRole {
  /** List, peek, logs, status, read-only attach. */
  VIEW,
  /** {@link #VIEW}, interactive attach and {@code send}. */
  ATTACH,
  /** Everything: start, stop, restart, remove, tmux, jobs, peers, port forwarding. */
  CONTROL;

  /**
   * The name in config, CapMap values and messages: {@code view}, {@code attach}, {@code control}.
   */
  String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether this role may do what {@code needed} may. */
  boolean allows(TailnetRole needed) {
    return compareTo(needed) >= 0;
  }

  /** The role named {@code name} (any case), if it is one. */
  static Optional<TailnetRole> parse(String name) {
    if (name == null) {
      return Optional.empty();
    }
    for (TailnetRole r : values()) {
      if (r.wire().equals(name.strip().toLowerCase(Locale.ROOT))) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return wire();
  }
}
