package dev.hack.tui;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A node as the picker last saw it. Immutable: {@link NodePoller} makes a new one whenever an
 * answer, a failure or a timeout changes what is known, so a snapshot can go into a {@link Frame}
 * or a {@link Selection.Row} and stay true to the moment it was taken.
 *
 * @param ref the node as the registry lists it
 * @param reach whether it answers
 * @param lastSeen when it last answered (the registry's time until it does), or null if never
 * @param error why it is offline, or null
 * @param sessions its sessions as it last listed them (an offline node's may be stale)
 */
record NodeState(
    Backend.NodeRef ref,
    NodeState.Reach reach,
    Instant lastSeen,
    String error,
    List<Backend.SessionRow> sessions) {

  enum Reach {
    CONNECTING,
    ONLINE,
    OFFLINE
  }

  NodeState {
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(reach, "reach");
    sessions = List.copyOf(sessions);
  }

  String name() {
    return ref.name();
  }
}
