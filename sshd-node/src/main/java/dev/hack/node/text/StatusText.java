package dev.hack.node.text;

import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.Printable;
import java.util.List;

/** {@code status} for people: one labelled line per fact, then one per hub and per warning. */
public final class StatusText {
  private StatusText() {}

  public static String of(NodeStatus s) {
    return "node      "
        + s.name()
        + " ("
        + s.id()
        + ")\nversion   "
        + s.version()
        + "\nuptime    "
        + Ages.since(s.startedAt())
        + "\nsessions  "
        + s.sessions()
        + " ("
        + s.sessionsRunning()
        + " running)\nssh       "
        + s.ssh().host()
        + ":"
        + s.ssh().port()
        + "\nhost key  "
        + s.hostKey()
        + "\n"
        + hubs(s)
        + warnings(s);
  }

  private static String warnings(NodeStatus s) {
    StringBuilder sb = new StringBuilder();
    for (String w : s.warnings() == null ? List.<String>of() : s.warnings()) {
      sb.append("warning   ").append(Printable.of(w)).append('\n');
    }
    return sb.toString();
  }

  private static String hubs(NodeStatus s) {
    StringBuilder sb = new StringBuilder();
    for (NodeStatus.Hub h : s.hubs() == null ? List.<NodeStatus.Hub>of() : s.hubs()) {
      sb.append("hub       ")
          .append(h.hub())
          .append(" (")
          .append(h.address())
          .append(") ")
          .append(h.state());
      if (h.since() != null) {
        sb.append(" for ").append(Ages.since(h.since()));
      }
      if (h.error() != null && !"connected".equals(h.state())) {
        sb.append(": ").append(h.error());
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
