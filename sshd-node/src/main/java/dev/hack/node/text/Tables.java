package dev.hack.node.text;

import dev.hack.node.api.PeerStatus;
import dev.hack.node.api.Printable;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobEvent;
import dev.hack.node.jobs.JobMeta;
import dev.hack.node.mesh.HubLinks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The node's lists as text tables, for people (the SSH commands' answers without {@code --json}).
 * Every cell a client or a program chose ({@link Printable}) has its control characters replaced,
 * and long commands are cut.
 */
public final class Tables {
  private Tables() {}

  /** {@code ls}: one row per session, columns as wide as their widest cell. */
  public static String sessions(List<SessionInfo> list) {
    if (list.isEmpty()) {
      return "no sessions; start one with: new [-- CMD ARGS...]\n";
    }
    String[] head = {"SESSION", "TYPE", "STATUS", "ATTACHED", "AGE", "COMMAND"};
    String[][] rows = new String[list.size()][];
    for (int i = 0; i < list.size(); i++) {
      SessionInfo s = list.get(i);
      rows[i] =
          new String[] {
            s.id(),
            s.type(),
            s.statusText(),
            String.valueOf(s.attached()),
            Ages.since(s.createdAt()),
            Printable.of(String.join(" ", s.command()))
          };
    }
    int[] width = new int[head.length];
    for (int c = 0; c < head.length; c++) {
      width[c] = head[c].length();
      for (String[] r : rows) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    appendRow(sb, head, width);
    for (String[] r : rows) {
      appendRow(sb, r, width);
    }
    return sb.toString();
  }

  private static void appendRow(StringBuilder sb, String[] cells, int[] width) {
    for (int c = 0; c < cells.length; c++) {
      String cell = cells[c];
      if (c == cells.length - 1) {
        sb.append(cut(cell, 60));
      } else {
        sb.append(cell).append(" ".repeat(width[c] - cell.length() + 2));
      }
    }
    sb.append('\n');
  }

  /** {@code ls --all}: the sessions of this node and its peers, with the node of each. */
  public static String sessionsWithNodes(List<SessionInfo> list) {
    if (list.isEmpty()) {
      return "no sessions on this node or its peers\n";
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-24s %-12s %-8s %-14s %-5s %s%n";
    sb.append(String.format(fmt, "SESSION", "NODE", "TYPE", "STATUS", "AGE", "COMMAND"));
    for (SessionInfo s : list) {
      String cmd = Printable.of(String.join(" ", s.command() == null ? List.of() : s.command()));
      sb.append(
          String.format(
              fmt,
              s.id(),
              Printable.of(s.node()),
              s.type(),
              s.statusText(),
              Ages.since(s.createdAt()),
              cut(cmd, 40)));
    }
    return sb.toString();
  }

  /** {@code job list}, and the head of {@code job show}. */
  public static String jobs(List<JobMeta> list) {
    if (list.isEmpty()) {
      return "no jobs; start one with: job start -- CMD ARGS...\n";
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-16s %-10s %-5s %-5s %-12s %s%n";
    sb.append(String.format(fmt, "JOB", "STATUS", "EXIT", "AGE", "PROJECT", "COMMAND"));
    for (JobMeta m : list) {
      sb.append(
          String.format(
              fmt,
              m.jobId(),
              m.status(),
              m.exitCode() == null ? "-" : m.exitCode().toString(),
              Ages.since(m.createdAt()),
              m.projectName() == null ? "-" : m.projectName(),
              cut(String.join(" ", m.command()), 60)));
    }
    return sb.toString();
  }

  /** The events of {@code job show}: why a job ended is in the last one. */
  public static String jobEvents(Job job) {
    StringBuilder sb = new StringBuilder("\nEVENTS\n");
    for (JobEvent e : job.eventsAfter(0)) {
      String payload = e.payload().size() == 0 ? "" : "  " + e.payload();
      sb.append(String.format("%3d  %s  %s%s%n", e.seq(), e.ts(), e.type(), payload));
    }
    return sb.toString();
  }

  /** {@code peer list}: each peer and what its last health check found. */
  public static String peers(List<PeerStatus> list) {
    if (list.isEmpty()) {
      return "no peers; pair this node with another with: hack node pair NODE\n";
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-16s %-24s %-8s %-9s %s%n";
    sb.append(String.format(fmt, "PEER", "ADDRESS", "STATUS", "LAST SEEN", "ERROR"));
    for (PeerStatus p : list) {
      sb.append(
          String.format(
              fmt,
              p.name(),
              p.address() == null ? "-" : p.address(),
              p.status(),
              p.lastSeen() == null ? "never" : Ages.since(p.lastSeen().toString()) + " ago",
              p.error() == null ? "" : p.error()));
    }
    return sb.toString();
  }

  /** {@code hub list}: each hub joined and the state of the tunnel to it. */
  public static String hubs(List<HubLinks.LinkStatus> links) {
    if (links.isEmpty()) {
      return "no hubs; from a machine behind NAT, join one with: hack node join HUB\n";
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-16s %-26s %-10s %-8s %s%n";
    sb.append(String.format(fmt, "HUB", "ADDRESS", "STATE", "SINCE", "ERROR"));
    Instant now = Instant.now();
    for (HubLinks.LinkStatus s : links) {
      sb.append(
          String.format(
              fmt,
              s.hub(),
              s.address(),
              s.state(),
              Ages.of(Duration.between(s.since(), now)),
              s.error() == null ? "" : s.error()));
    }
    return sb.toString();
  }

  private static String cut(String s, int max) {
    return s.length() > max ? s.substring(0, max - 3) + "..." : s;
  }
}
