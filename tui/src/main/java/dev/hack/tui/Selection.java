package dev.hack.tui;

import dev.hack.node.api.SessionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What the picker lists and where its cursor is: the rows of the sessions pane (each node's
 * heading, then its sessions that pass the filter), the pane that has the keys, the selected node
 * and the selected session, kept by node name and session id as the rows change under it.
 *
 * <p>A model: no I/O, no drawing. When the session the preview should show changes, it runs the
 * {@code shownChanged} callback given to it, at once, before the call that changed it returns.
 *
 * <p>Threads: render thread only.
 */
final class Selection {
  /** Which pane the movement keys move in. */
  enum Pane {
    NODES,
    SESSIONS
  }

  /** A line of the sessions pane: a node's heading (session null) or one of its sessions. */
  record Row(NodeState node, Backend.SessionRow session) {
    static String key(String node, String id) {
      return node + "\u0000" + id;
    }

    /** The session's node and id, or null for a heading. */
    String key() {
      return session == null ? null : key(node.name(), session.info().id());
    }
  }

  private final Runnable shownChanged;

  private List<NodeState> nodes = List.of();
  private Pane focus = Pane.SESSIONS;
  private int nodeIndex;
  private String selected; // Row.key() of the selected session (kept while its node is offline)
  private String shown; // Row.key() of the session the preview is for (selected and listed)
  private boolean chosen; // the user picked the selection (else it follows the first session)
  private String filter = "";

  /**
   * @param shownChanged run whenever the selected, listed session changes (or stops being one)
   */
  Selection(Runnable shownChanged) {
    this.shownChanged = shownChanged;
  }

  // ---- the nodes ----

  /**
   * The registry was listed again: nodes may have come or gone before the selected one, which stays
   * selected by name (or, when it is gone, the one at its place).
   */
  void relist(List<NodeState> next) {
    NodeState was = selectedNode();
    nodes = List.copyOf(next);
    int at = was == null ? -1 : indexOf(was.name());
    nodeIndex = at >= 0 ? at : Math.max(0, Math.min(nodeIndex, nodes.size() - 1));
    keep();
  }

  /** Nodes answered, failed or timed out: what is listed changed, the nodes did not. */
  void update(List<NodeState> next) {
    nodes = List.copyOf(next);
    keep();
  }

  /** A session was just started: {@code next} lists it; it is selected, on its node. */
  void started(List<NodeState> next, String node, String id) {
    nodes = List.copyOf(next);
    select(node, id);
  }

  List<NodeState> nodes() {
    return nodes;
  }

  // ---- what is listed and selected ----

  /** The sessions pane, top to bottom: each node's heading, then its sessions that match. */
  List<Row> rows() {
    List<Row> out = new ArrayList<>();
    String f = filter.toLowerCase(Locale.ROOT);
    for (NodeState n : nodes) {
      List<Row> mine = new ArrayList<>();
      // an offline node's last list may be stale: show the node, not sessions it may have lost
      List<Backend.SessionRow> known =
          n.reach() == NodeState.Reach.OFFLINE ? List.of() : n.sessions();
      for (Backend.SessionRow s : known) {
        if (f.isEmpty() || matches(n, s, f)) {
          mine.add(new Row(n, s));
        }
      }
      if (f.isEmpty() || !mine.isEmpty() || n.name().toLowerCase(Locale.ROOT).contains(f)) {
        out.add(new Row(n, null));
        out.addAll(mine);
      }
    }
    return out;
  }

  private static boolean matches(NodeState n, Backend.SessionRow s, String f) {
    SessionInfo i = s.info();
    String hay =
        String.join(
                " ",
                n.name(),
                i.id(),
                i.type(),
                i.status(),
                String.join(" ", i.command()),
                i.project() == null ? "" : i.project(),
                s.lastLine())
            .toLowerCase(Locale.ROOT);
    return hay.contains(f);
  }

  /** The selected session's row, or null when it is not listed. */
  Row selectedRow() {
    return find(rows(), selected);
  }

  /** The selected session's key ({@link Row#key()}), listed or not, or null. */
  String selected() {
    return selected;
  }

  NodeState selectedNode() {
    return nodes.isEmpty() ? null : nodes.get(Math.min(nodeIndex, nodes.size() - 1));
  }

  int nodeIndex() {
    return nodeIndex;
  }

  Pane focus() {
    return focus;
  }

  String filter() {
    return filter;
  }

  /** Why no session is selected, for the preview and the status line. */
  String nothingSelected() {
    NodeState n = selectedNode();
    if (n == null) {
      return "no nodes";
    }
    if (n.reach() == NodeState.Reach.OFFLINE) {
      return n.name() + " is offline";
    }
    return rows().stream().anyMatch(r -> same(r.node(), n) && r.session() != null)
        ? "no session selected"
        : "no sessions on " + n.name() + "; n starts one";
  }

  // ---- changing it ----

  /**
   * After the rows changed, the one selection rule: a node is selected (the Nodes pane's {@code
   * >}), and the selected session, if any, is one of that node's.
   *
   * <ul>
   *   <li>The selected session stays selected, by node and id, while it is listed.
   *   <li>Until the user picks one, the first session listed is selected as the nodes answer.
   *   <li>When it is no longer listed but its node lists others (it is gone, or the filter hides
   *       it), the node's first listed session is selected.
   *   <li>When its node lists none (offline, or no sessions left), the node stays selected with no
   *       session; a session of an offline node is selected again when the node answers.
   *   <li>When the filter hides the whole node, the first session it lets through is selected, and
   *       its node with it.
   * </ul>
   */
  void keep() {
    List<Row> rows = rows();
    // until the user picks, the first session listed, whichever node answered first
    Row kept = chosen ? find(rows, selected) : firstOf(rows, null);
    NodeState n = selectedNode();
    if (kept == null && n != null) {
      boolean listed = rows.stream().anyMatch(r -> same(r.node(), n));
      kept = firstOf(rows, listed ? n : null);
      if (kept == null && listed && !(n.reach() == NodeState.Reach.OFFLINE && selected != null)) {
        selected = null;
      }
    }
    if (kept != null) {
      selected = kept.key();
      nodeIndex = Math.max(0, indexOf(kept.node().name()));
    }
    checkShown();
  }

  /** Sets the filter (matched whatever the case) and keeps the selection by {@link #keep}. */
  void filter(String f) {
    filter = Objects.requireNonNull(f, "filter");
    keep();
  }

  void focus(Pane p) {
    focus = Objects.requireNonNull(p, "pane");
  }

  /**
   * The user acted on the selection: from now on it stays where it is as nodes answer, instead of
   * following the first session listed.
   */
  void choose() {
    chosen = true;
  }

  /** Moves {@code delta} rows in the focused pane (clamped at both ends). */
  void move(int delta) {
    if (focus == Pane.NODES) {
      moveNode(delta);
    } else {
      moveSession(delta);
    }
  }

  private void moveSession(int delta) {
    List<Row> sessions = rows().stream().filter(r -> r.session() != null).toList();
    if (sessions.isEmpty()) {
      return;
    }
    int at = -1;
    for (int i = 0; i < sessions.size(); i++) {
      if (sessions.get(i).key().equals(selected)) {
        at = i;
      }
    }
    int next;
    if (at >= 0) {
      next = at + delta;
    } else {
      // nothing listed is selected: start from the selected node's place in the list
      int before = 0;
      for (Row r : sessions) {
        if (indexOf(r.node().name()) < nodeIndex) {
          before++;
        }
      }
      next = delta > 0 ? before + delta - 1 : before + delta;
    }
    select(sessions.get(Math.max(0, Math.min(sessions.size() - 1, next))));
  }

  private void moveNode(int delta) {
    if (!nodes.isEmpty()) {
      selectNode(Math.max(0, Math.min(nodes.size() - 1, nodeIndex + delta)));
    }
  }

  /** Selects {@code r}'s session, on its node; a heading selects nothing. */
  void select(Row r) {
    if (r.session() != null) {
      select(r.node().name(), r.session().info().id());
    }
  }

  /** Selects session {@code id} of node {@code node}, whether or not it is listed. */
  private void select(String node, String id) {
    chosen = true;
    selected = Row.key(node, id);
    nodeIndex = Math.max(0, indexOf(node));
    checkShown();
  }

  /**
   * Selects a node and its first listed session (or none). Selecting the node that is already
   * selected changes nothing: the session selected in it stays.
   */
  void selectNode(int index) {
    if (index < 0 || index >= nodes.size()) {
      return;
    }
    chosen = true;
    if (index == nodeIndex) {
      return;
    }
    nodeIndex = index;
    Row first = firstOf(rows(), nodes.get(index));
    selected = first == null ? null : first.key();
    checkShown();
  }

  /** Tells {@code shownChanged} when the listed selection is not the one the preview is for. */
  private void checkShown() {
    Row r = selectedRow();
    String now = r == null ? null : r.key();
    if (!Objects.equals(now, shown)) {
      shown = now;
      shownChanged.run();
    }
  }

  // ---- helpers ----

  private int indexOf(String node) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).name().equals(node)) {
        return i;
      }
    }
    return -1;
  }

  private static Row find(List<Row> rows, String key) {
    if (key == null) {
      return null;
    }
    for (Row r : rows) {
      if (r.session() != null && r.key().equals(key)) {
        return r;
      }
    }
    return null;
  }

  private static Row firstOf(List<Row> rows, NodeState n) {
    for (Row r : rows) {
      if (r.session() != null && (n == null || same(r.node(), n))) {
        return r;
      }
    }
    return null;
  }

  /** Whether two snapshots are of the same node. */
  private static boolean same(NodeState a, NodeState b) {
    return a.name().equals(b.name());
  }
}
