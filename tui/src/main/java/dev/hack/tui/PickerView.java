package dev.hack.tui;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.api.SessionStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Draws the picker into a {@link TextGraphics}, every cell of every frame (the screen sends only
 * what changed), from a {@link Frame} alone, and returns where rows went for mouse clicks. The only
 * state it keeps between frames is how far each list is scrolled.
 *
 * <p>Layouts: from {@link #WIDE} columns, nodes on the left and sessions above the preview on the
 * right; below that, the three panes stacked, one line per node, fewer session columns, and the
 * preview only if there is room. Row 0 is the title bar, the last row the key bar or a message.
 * Nothing is drawn outside its pane: every string is cut to its pane's width.
 *
 * <p>Without colour everything still reads, even as plain text: the selection has {@code >} and is
 * reverse video, the focused pane's title is in brackets and reverse, other titles bold with a
 * rule, and states have their own marks (● running/online, ○ ended, ✕ offline or lost, …
 * connecting). The key bar drops hints as it narrows but always keeps {@code ? help} and {@code q
 * quit}.
 */
final class PickerView {
  static final int WIDE = 70;
  static final int MIN_COLUMNS = 20;
  static final int MIN_ROWS = 6;

  /**
   * What drawing a frame left behind.
   *
   * @param cursor where the terminal's cursor goes, or null to hide it
   * @param previewRows how many lines the preview (or log) had room for, or 0 when none was drawn
   * @param hits where things went, for mouse clicks
   */
  record Drawn(TerminalPosition cursor, int previewRows, Hits hits) {
    static final Drawn NONE = new Drawn(null, 0, Hits.NONE);

    Drawn {
      Objects.requireNonNull(hits, "hits");
    }
  }

  /** Which node or sessions row each screen row shows, for mouse clicks. Immutable. */
  static final class Hits {
    static final Hits NONE = new Hits(new int[0], 0, 0, new Selection.Row[0], 0, 0);

    private final int[] nodeAtRow; // screen row -> node index, -1 for none
    private final int nodesX0;
    private final int nodesX1;
    private final Selection.Row[] rowAtRow; // screen row -> sessions row, null for none
    private final int rowsX0;
    private final int rowsX1;

    private Hits(
        int[] nodeAtRow,
        int nodesX0,
        int nodesX1,
        Selection.Row[] rowAtRow,
        int rowsX0,
        int rowsX1) {
      this.nodeAtRow = nodeAtRow.clone();
      this.nodesX0 = nodesX0;
      this.nodesX1 = nodesX1;
      this.rowAtRow = rowAtRow.clone();
      this.rowsX0 = rowsX0;
      this.rowsX1 = rowsX1;
    }

    /** The index of the node drawn at {@code pos} in the Nodes pane, or -1. */
    int nodeAt(TerminalPosition pos) {
      int y = pos.getRow();
      int x = pos.getColumn();
      if (y < 0 || y >= nodeAtRow.length || x < nodesX0 || x >= nodesX1) {
        return -1;
      }
      return nodeAtRow[y];
    }

    /** The sessions pane's row drawn at {@code pos} (a heading or a session), or null. */
    Selection.Row rowAt(TerminalPosition pos) {
      int y = pos.getRow();
      int x = pos.getColumn();
      if (y < 0 || y >= rowAtRow.length || x < rowsX0 || x >= rowsX1) {
        return null;
      }
      return rowAtRow[y];
    }
  }

  private final boolean color;

  // where the list panes are scrolled to, kept from frame to frame
  private int sessionScroll;
  private int nodeScroll;

  // while drawing: the frame, and where things go
  private Frame f;
  private int[] nodeAtRow;
  private int nodesX0;
  private int nodesX1;
  private Selection.Row[] rowAtRow;
  private int rowsX0;
  private int rowsX1;
  private int previewRows;

  /**
   * @param color whether colour is used (else attributes and marks only)
   */
  PickerView(boolean color) {
    this.color = color;
  }

  /** Draws every cell of {@code frame}. Render thread only. */
  Drawn draw(TextGraphics g, TerminalSize size, Frame frame) {
    f = Objects.requireNonNull(frame, "frame");
    int w = size.getColumns();
    int h = size.getRows();
    nodeAtRow = new int[h];
    Arrays.fill(nodeAtRow, -1);
    rowAtRow = new Selection.Row[h];
    nodesX0 = 0;
    nodesX1 = 0;
    rowsX0 = 0;
    rowsX1 = 0;
    previewRows = 0;
    TerminalPosition cursor = everything(g, w, h);
    Hits hits = new Hits(nodeAtRow, nodesX0, nodesX1, rowAtRow, rowsX0, rowsX1);
    f = null;
    return new Drawn(cursor, previewRows, hits);
  }

  private TerminalPosition everything(TextGraphics g, int w, int h) {
    plain(g);
    g.fill(' ');
    if (w < MIN_COLUMNS || h < MIN_ROWS) {
      g.putString(0, 0, Text.cut("hack: make the terminal bigger", w));
      if (h > 1) {
        g.putString(0, 1, Text.cut("(at least " + MIN_COLUMNS + "x" + MIN_ROWS + ")", w));
      }
      return null;
    }
    TerminalPosition cursor = titleBar(g, w);
    int top = 1;
    int body = h - 2;
    if (f.showing() == Frame.Showing.LOG) {
      logView(g, 0, top, w, body);
    } else if (w >= WIDE) {
      int nw = Math.max(24, Math.min(34, w / 3));
      nodesPane(g, 0, top, nw, body, true);
      for (int y = top; y < top + body; y++) {
        g.setCharacter(nw, y, '│');
      }
      int rx = nw + 1;
      int rw = w - rx;
      int sh = Math.max(4, body * 11 / 20);
      sessionsPane(g, rx, top, rw, sh, true);
      previewPane(g, rx, top + sh, rw, body - sh);
    } else {
      int nh = 1 + Math.max(1, Math.min(Math.max(1, f.nodes().size()), body / 5));
      int ph = body >= 14 ? Math.max(4, body / 3) : 0;
      int sh = body - nh - ph;
      nodesPane(g, 0, top, w, nh, false);
      sessionsPane(g, 0, top + nh, w, sh, false);
      if (ph > 0) {
        previewPane(g, 0, top + nh + sh, w, ph);
      }
    }
    keyBar(g, w, h - 1);
    switch (f.showing()) {
      case FORM -> cursor = formBox(g, w, h);
      case CONFIRM -> confirmBox(g, w, h);
      case HELP -> helpBox(g, w, h);
      default -> {}
    }
    return cursor;
  }

  // ---- styles ----

  private void plain(TextGraphics g) {
    g.setForegroundColor(TextColor.ANSI.DEFAULT);
    g.setBackgroundColor(TextColor.ANSI.DEFAULT);
    g.clearModifiers();
  }

  private void color(TextGraphics g, TextColor.ANSI c) {
    if (color) {
      g.setForegroundColor(c);
    }
  }

  private void bar(TextGraphics g) {
    plain(g);
    g.enableModifiers(SGR.REVERSE);
  }

  // ---- title and key bars ----

  private TerminalPosition titleBar(TextGraphics g, int w) {
    bar(g);
    int sessions = 0;
    int offline = 0;
    for (NodeState n : f.nodes()) {
      if (n.reach() == NodeState.Reach.OFFLINE) {
        offline++;
      } else {
        sessions += n.sessions().size();
      }
    }
    String nodes = f.nodes().size() + (f.nodes().size() == 1 ? " node" : " nodes");
    String count = sessions + (sessions == 1 ? " session" : " sessions");
    // the filter on the right, its end in view; the counts on the left, shortened to leave at
    // least two spaces between them, never running into it
    String right = "";
    if (f.showing() == Frame.Showing.FILTER || !f.filter().isEmpty()) {
      int max = Math.max(4, w / 2) - 1;
      String prefix =
          f.showing() == Frame.Showing.FILTER || Text.width("filter: ") + 3 > max
              ? "/"
              : "filter: ";
      String shown = f.filter();
      if (Text.width(prefix + shown) > max) {
        shown = "…" + Text.tail(shown, max - Text.width(prefix) - 1);
      }
      right = prefix + shown + " ";
    }
    int rw = Math.min(w, Text.width(right));
    int room = w - rw - (rw > 0 ? 2 : 0);
    String[] lefts = {
      " hack · " + nodes + (offline > 0 ? " (" + offline + " offline)" : "") + " · " + count,
      " " + nodes + (offline > 0 ? " (" + offline + " offline)" : "") + " · " + count,
      " " + nodes + (offline > 0 ? " (" + offline + " off)" : "") + " · " + count,
    };
    String left = Text.fit(lefts[lefts.length - 1], room);
    for (int i = lefts.length - 1; i >= 0; i--) {
      if (Text.width(lefts[i]) <= room) {
        left = lefts[i];
      }
    }
    g.putString(0, 0, Text.fit(left, w - rw) + right);
    plain(g);
    // while typing, the cursor is on the space after the filter
    return f.showing() == Frame.Showing.FILTER ? new TerminalPosition(w - 1, 0) : null;
  }

  /** A key and what it does, for the key bar; lower {@code rank}s stay longer as it narrows. */
  record Hint(String text, int rank) {}

  /**
   * The hints that fit in {@code w} columns, in their order: {@code always} at the end, whole; then
   * as many of the others as fit, dropping the highest ranks first, with {@code sep} between them,
   * or a single space when that lets more fit.
   */
  static String hints(int w, String sep, List<Hint> optional, List<Hint> always) {
    String best = null;
    int bestCount = -1;
    for (String s : sep.equals(" ") ? List.of(" ") : List.of(sep, " ")) {
      List<Hint> byRank =
          optional.stream().sorted(java.util.Comparator.comparingInt(Hint::rank)).toList();
      List<Hint> kept = new ArrayList<>();
      for (Hint h : byRank) {
        kept.add(h);
        if (Text.width(join(optional, kept, always, s)) > w) {
          kept.remove(h);
        }
      }
      if (kept.size() > bestCount) {
        best = join(optional, kept, always, s);
        bestCount = kept.size();
      }
    }
    return best;
  }

  private static String join(List<Hint> optional, List<Hint> kept, List<Hint> always, String sep) {
    StringBuilder b = new StringBuilder();
    for (Hint h : optional) {
      if (kept.contains(h)) {
        b.append(b.length() == 0 ? " " : sep).append(h.text());
      }
    }
    for (Hint h : always) {
      b.append(b.length() == 0 ? " " : sep).append(h.text());
    }
    return b.toString();
  }

  private void keyBar(TextGraphics g, int w, int y) {
    String msg = f.message();
    bar(g);
    if (msg != null) {
      if (f.messageIsError() && color) {
        g.clearModifiers();
        g.setBackgroundColor(TextColor.ANSI.RED);
        g.setForegroundColor(TextColor.ANSI.WHITE);
      }
      g.putString(0, y, Text.fit((f.messageIsError() ? " ! " : " ") + msg, w));
      plain(g);
      return;
    }
    String enter = w >= WIDE ? "Enter " : "↵ ";
    String keys;
    if (f.showing() == Frame.Showing.FORM) {
      List<Hint> some =
          List.of(
              new Hint(w >= WIDE ? "Tab/↓ next field" : "Tab next", 1),
              new Hint("←→ or a letter choose", 2),
              new Hint(enter + "create", 0));
      keys = hints(w, " · ", some, List.of(new Hint("Esc cancel", 0)));
    } else if (f.showing() == Frame.Showing.CONFIRM) {
      keys = hints(w, " · ", List.of(), List.of(new Hint("y yes", 0), new Hint("n no", 0)));
    } else if (f.showing() == Frame.Showing.FILTER) {
      List<Hint> some = List.of(new Hint("type to filter", 1), new Hint(enter + "keep", 0));
      keys = hints(w, " · ", some, List.of(new Hint("Esc clear", 0)));
    } else if (f.showing() == Frame.Showing.LOG) {
      List<Hint> some = List.of(new Hint("following the log", 1), new Hint(enter + "attach", 0));
      keys = hints(w, " · ", some, List.of(new Hint("Esc back", 0)));
    } else {
      List<Hint> some =
          List.of(
              new Hint(enter + "attach", 0),
              new Hint("v view", 6),
              new Hint("n new", 1),
              new Hint("s stop", 4),
              new Hint("r restart", 5),
              new Hint("l log", 3),
              new Hint("/ filter", 2));
      keys = hints(w, "  ", some, List.of(new Hint("? help", 0), new Hint("q quit", 0)));
    }
    g.putString(0, y, Text.fit(keys, w));
    plain(g);
  }

  // ---- panes ----

  /**
   * A pane's title row. The focused pane's is reverse video and its name is in brackets, {@code
   * [Sessions]}, so that it reads without attributes too; the others are bold, followed by a rule.
   */
  private void title(TextGraphics g, int x, int y, int w, String text, boolean focused) {
    plain(g);
    if (focused) {
      g.enableModifiers(SGR.REVERSE);
      g.putString(x, y, Text.fit(" [" + text + "]", w));
    } else {
      g.enableModifiers(SGR.BOLD);
      String t = Text.cut(" " + text + " ", w);
      g.putString(x, y, t + "─".repeat(Math.max(0, w - Text.width(t))));
    }
    plain(g);
  }

  private void nodesPane(TextGraphics g, int x, int y, int w, int h, boolean wide) {
    boolean focused = f.focus() == Selection.Pane.NODES && f.showing() != Frame.Showing.LOG;
    title(g, x, y, w, "Nodes", focused);
    nodesX0 = x;
    nodesX1 = x + w;
    int per = wide ? 2 : 1;
    int fits = Math.max(1, (h - 1) / per);
    if (f.nodes().isEmpty()) {
      g.putString(x, y + 1, Text.fit(f.loaded() ? "  none yet" : "  loading…", w));
      return;
    }
    int sel = Math.min(f.nodeIndex(), f.nodes().size() - 1);
    nodeScroll = scroll(nodeScroll, sel, fits, f.nodes().size());
    Instant now = f.now();
    int nameW = 4;
    int stateW = 6;
    for (NodeState n : f.nodes()) {
      nameW = Math.max(nameW, Math.min(16, Text.width(n.name())));
      stateW = Math.max(stateW, Math.min(16, Text.width(state(n, now, false))));
    }
    for (int i = nodeScroll; i < f.nodes().size() && (i - nodeScroll) < fits; i++) {
      NodeState n = f.nodes().get(i);
      int row = y + 1 + (i - nodeScroll) * per;
      boolean selected = i == sel;
      String mark = selected ? "> " : "  ";
      String count =
          n.reach() == NodeState.Reach.ONLINE ? String.valueOf(n.sessions().size()) : "-";
      String state = state(n, now, wide);
      if (selected && focused) {
        g.enableModifiers(SGR.REVERSE);
      } else if (selected) {
        g.enableModifiers(SGR.BOLD);
      }
      if (wide) {
        // line 1: the name and how many sessions (or "offline"); line 2: the address and whether
        // it answers (or when it last did)
        String right =
            switch (n.reach()) {
              case ONLINE -> count;
              case OFFLINE -> "offline";
              case CONNECTING -> "…";
            };
        int room = Math.max(1, w - 4 - 1 - Text.width(right) - 1);
        g.putString(
            x, row, Text.fit(mark + "  " + Text.fit(n.name(), room) + " " + right + " ", w));
        dot(g, x + 2, row, n);
        if (row + 1 < y + h) {
          String status =
              switch (n.reach()) {
                case ONLINE -> "online";
                case CONNECTING -> "connecting";
                case OFFLINE -> n.lastSeen() == null ? "" : Text.age(n.lastSeen(), now) + " ago";
              };
          if (n.reach() == NodeState.Reach.OFFLINE
              && n.lastSeen() != null
              && 4 + Text.width(n.ref().address()) + 6 + Text.width(status) <= w) {
            status = "seen " + status;
          }
          String second = "    " + n.ref().address();
          if (Text.width(second) + 1 + Text.width(status) > w) {
            second = "  " + n.ref().address();
          }
          int sw = Text.width(status);
          g.putString(
              x, row + 1, Text.fit(Text.fit(second, Math.max(0, w - sw - 1)) + " " + status, w));
          nodeAtRow[row + 1] = i;
        }
      } else {
        String line =
            mark
                + "  "
                + Text.fit(n.name(), nameW)
                + " "
                + Text.right(count, 3)
                + "  "
                + Text.fit(state, stateW)
                + "  "
                + n.ref().address();
        g.putString(x, row, Text.fit(line, w));
        dot(g, x + 2, row, n);
      }
      nodeAtRow[row] = i;
      plain(g);
    }
  }

  private static String state(NodeState n, Instant now, boolean wide) {
    return switch (n.reach()) {
      case ONLINE -> "online";
      case CONNECTING -> "connecting…";
      case OFFLINE ->
          n.lastSeen() == null
              ? "offline"
              : wide
                  ? "offline, seen " + Text.age(n.lastSeen(), now) + " ago"
                  : "offline " + Text.age(n.lastSeen(), now);
    };
  }

  private void dot(TextGraphics g, int x, int y, NodeState n) {
    TextColor.ANSI c;
    char mark;
    switch (n.reach()) {
      case ONLINE -> {
        mark = '●';
        c = TextColor.ANSI.GREEN;
      }
      case OFFLINE -> {
        mark = '✕';
        c = TextColor.ANSI.RED;
      }
      default -> {
        mark = '…';
        c = TextColor.ANSI.YELLOW;
      }
    }
    TextColor fg = g.getForegroundColor();
    color(g, c);
    g.setCharacter(x, y, mark);
    g.setForegroundColor(fg);
  }

  private void sessionsPane(TextGraphics g, int x, int y, int w, int h, boolean wide) {
    boolean focused = f.focus() == Selection.Pane.SESSIONS;
    title(g, x, y, w, "Sessions", focused);
    rowsX0 = x;
    rowsX1 = x + w;
    List<Selection.Row> rows = f.rows();
    int listTop = y + 1;
    int listH = h - 1;
    SessionColumns cols = SessionColumns.forWidth(w - 2, rows);
    if (wide && listH >= 6) {
      g.enableModifiers(SGR.BOLD);
      g.putString(x, listTop, Text.fit("  " + cols.heading(), w));
      plain(g);
      listTop++;
      listH--;
    }
    if (listH <= 0) {
      return;
    }
    if (rows.isEmpty()) {
      List<String> empty =
          !f.filter().isEmpty()
              ? List.of("  nothing matches " + f.filter() + " (Esc clears)")
              : f.loaded()
                  ? List.of(
                      "  no nodes yet: run hack node serve here,",
                      "  or add one: hack node add NAME ssh://HOST:PORT")
                  : List.of("  loading…");
      for (int i = 0; i < empty.size() && i < listH; i++) {
        g.putString(x, listTop + i, Text.fit(empty.get(i), w));
      }
      return;
    }
    int sel = -1;
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).session() != null && rows.get(i).key().equals(f.selected())) {
        sel = i;
      }
    }
    // keep the selection in view, and its node's heading with it when there is room
    int anchor = sel;
    if (sel > 0 && rows.get(sel - 1).session() == null) {
      anchor = sel - 1;
    }
    sessionScroll = scroll(sessionScroll, anchor < 0 ? 0 : anchor, listH, rows.size());
    if (sel >= 0 && sel >= sessionScroll + listH) {
      sessionScroll = sel - listH + 1;
    }
    Instant now = f.now();
    for (int i = sessionScroll; i < rows.size() && i - sessionScroll < listH; i++) {
      Selection.Row r = rows.get(i);
      int row = listTop + (i - sessionScroll);
      rowAtRow[row] = r;
      if (r.session() == null) {
        int listed = 0;
        for (Selection.Row o : rows) {
          listed += o.node().name().equals(r.node().name()) && o.session() != null ? 1 : 0;
        }
        heading(g, x, row, w, r.node(), f.filter().isEmpty() ? -1 : listed, now);
        continue;
      }
      boolean selected = i == sel;
      if (selected && focused) {
        g.enableModifiers(SGR.REVERSE);
      } else if (selected) {
        g.enableModifiers(SGR.BOLD);
      }
      g.putString(x, row, Text.fit((selected ? "> " : "  ") + cols.row(r.session(), now), w));
      sessionDot(g, x + 2, row, r.session().info());
      plain(g);
    }
  }

  /** A node's line in the sessions pane; {@code listed} is how many the filter lets through. */
  private void heading(TextGraphics g, int x, int y, int w, NodeState n, int listed, Instant now) {
    String what;
    if (n.reach() == NodeState.Reach.OFFLINE) {
      what = state(n, now, true) + (n.error() == null ? "" : ": " + shortReason(n));
    } else if (n.reach() == NodeState.Reach.CONNECTING) {
      what = "connecting…";
    } else {
      int c = n.sessions().size();
      String of = c + (c == 1 ? " session" : " sessions");
      what = c == 0 ? "no sessions; n starts one" : listed >= 0 ? listed + " of " + of : of;
    }
    g.enableModifiers(SGR.BOLD);
    g.putString(x, y, Text.fit(" " + n.name() + " · " + what, w));
    plain(g);
  }

  /** "cannot reach beta (10.0.0.2:2222): Connection refused" under beta's name: the cause. */
  private static String shortReason(NodeState n) {
    String e = n.error();
    if (e.startsWith("cannot reach " + n.name()) && e.contains(": ")) {
      return e.substring(e.indexOf(": ") + 2);
    }
    return e;
  }

  private void sessionDot(TextGraphics g, int x, int y, SessionInfo s) {
    char mark;
    TextColor.ANSI c;
    SessionStatus state = s.state();
    switch (state == null ? SessionStatus.EXITED : state) {
      case RUNNING -> {
        mark = '●';
        c = TextColor.ANSI.GREEN;
      }
      case LOST -> {
        mark = '✕';
        c = TextColor.ANSI.YELLOW;
      }
      default -> {
        mark = '○';
        c = s.exitCode() != null && s.exitCode() != 0 ? TextColor.ANSI.RED : TextColor.ANSI.DEFAULT;
      }
    }
    TextColor fg = g.getForegroundColor();
    color(g, c);
    g.setCharacter(x, y, mark);
    g.setForegroundColor(fg);
  }

  private void previewPane(TextGraphics g, int x, int y, int w, int h) {
    if (h <= 0) {
      return;
    }
    Selection.Row r = f.selectedRow();
    String name = r == null ? "" : " · " + r.session().info().id() + "@" + r.node().name();
    title(g, x, y, w, "Preview" + name, false);
    previewRows = Math.max(1, h - 1);
    body(g, x, y + 1, w, h - 1);
  }

  private void logView(TextGraphics g, int x, int y, int w, int h) {
    Selection.Row r = f.selectedRow();
    String name = r == null ? "" : " · " + r.session().info().id() + "@" + r.node().name();
    plain(g);
    g.enableModifiers(SGR.REVERSE);
    g.putString(x, y, Text.fit(" Log" + name + " (following; Esc back)", w));
    plain(g);
    previewRows = Math.max(1, h - 1);
    body(g, x, y + 1, w, h - 1);
  }

  /** The preview's text: its last lines that fit, each cut to the width. */
  private void body(TextGraphics g, int x, int y, int w, int h) {
    if (h <= 0) {
      return;
    }
    List<String> lines = f.previewLines();
    int row = y;
    if (f.previewNote() != null) {
      g.putString(x, row++, Text.fit("  " + f.previewNote(), w));
    }
    int room = y + h - row;
    int from = Math.max(0, lines.size() - room);
    for (int i = from; i < lines.size() && row < y + h; i++) {
      g.putString(x, row++, Text.fit(" " + lines.get(i), w));
    }
  }

  // ---- boxes over the panes ----

  private int[] box(TextGraphics g, int w, int h, int bw, int bh, String title) {
    bw = Math.min(bw, w);
    bh = Math.min(bh, h - 2);
    int bx = (w - bw) / 2;
    int by = Math.max(1, (h - bh) / 2);
    plain(g);
    g.fillRectangle(new TerminalPosition(bx, by), new TerminalSize(bw, bh), ' ');
    g.putString(bx, by, "┌" + "─".repeat(Math.max(0, bw - 2)) + "┐");
    for (int yy = by + 1; yy < by + bh - 1; yy++) {
      g.setCharacter(bx, yy, '│');
      g.setCharacter(bx + bw - 1, yy, '│');
    }
    g.putString(bx, by + bh - 1, "└" + "─".repeat(Math.max(0, bw - 2)) + "┘");
    g.enableModifiers(SGR.BOLD);
    g.putString(bx + 2, by, Text.cut(" " + title + " ", Math.max(0, bw - 4)));
    plain(g);
    return new int[] {bx, by, bw, bh};
  }

  /**
   * The new-session dialog: the fields top to bottom in the order focus moves, then the Create
   * button, then a line saying what the focused row takes (or why the last key did nothing).
   */
  private TerminalPosition formBox(TextGraphics g, int w, int h) {
    Form.Shown form = f.form();
    int[] b = box(g, w, h, 58, 9, "New session");
    int bx = b[0];
    int by = b[1];
    int bw = b[2];
    int bh = b[3];
    int labelW = 9;
    int fieldX = bx + 2 + labelW;
    int fieldW = Math.max(1, bw - 4 - labelW);
    TerminalPosition cursor = null;
    // the rows are the fields, the button and the note; on a short terminal they scroll so that
    // the focused one is always in view
    int rowsTotal = Form.LABELS.length + 2;
    int visible = Math.max(1, bh - 2);
    int offset = Math.max(0, Math.min(form.field() - visible + 1, rowsTotal - visible));
    offset = Math.max(0, offset);
    for (int i = offset; i < Form.LABELS.length && i - offset < visible; i++) {
      int y = by + 1 + i - offset;
      boolean on = form.field() == i;
      boolean text = Form.isText(i);
      g.putString(bx + 2, y, Text.fit(Form.LABELS[i], labelW));
      String value;
      if (i == Form.NODE) {
        value = "◂ " + form.nodeName() + " ▸";
      } else if (i == Form.TYPE) {
        value = "◂ " + Form.TYPES[form.type()] + " ▸";
      } else {
        value = form.text().get(i);
      }
      if (on) {
        g.enableModifiers(SGR.REVERSE);
      } else if (text) {
        g.enableModifiers(SGR.UNDERLINE);
      }
      int cur = text ? form.cursor().get(i) : 0;
      int start = text && cur >= fieldW ? cur - fieldW + 1 : 0; // keep the cursor in view
      String clean = Text.clean(value);
      String shown = Text.fit(clean.substring(Math.min(start, clean.length())), fieldW);
      if (text && value.isEmpty() && !on) {
        shown = Text.fit(placeholder(i), fieldW);
      }
      g.putString(fieldX, y, shown);
      plain(g);
      if (on && text) {
        cursor = new TerminalPosition(fieldX + Math.min(fieldW - 1, cur - start), y);
      }
    }
    int buttonY = by + 1 + Form.LABELS.length - offset;
    if (buttonY > by && buttonY < by + bh - 1) {
      if (form.field() == Form.CREATE) {
        g.enableModifiers(SGR.REVERSE);
      }
      g.putString(fieldX, buttonY, Text.cut("[ Create ]", Math.max(0, bw - 2 - labelW - 2)));
      plain(g);
    }
    if (buttonY + 1 > by && buttonY + 1 < by + bh - 1) {
      String line =
          form.note() != null
              ? form.note()
              : Form.isText(form.field()) || form.field() == Form.CREATE
                  ? "Enter creates · Esc cancels"
                  : "← → or a first letter chooses · Enter creates";
      g.putString(bx + 2, buttonY + 1, Text.fit(line, bw - 4));
    }
    return cursor;
  }

  private static String placeholder(int field) {
    return switch (field) {
      case Form.NAME -> "(generated)";
      case Form.CWD -> "(home)";
      default -> "(login shell)";
    };
  }

  private void confirmBox(TextGraphics g, int w, int h) {
    ConfirmMode.Confirm c = f.confirm();
    int[] b = box(g, w, h, 44, 5, c.verb().equals("stop") ? "Stop" : "Restart");
    String q =
        (c.verb().equals("stop") ? "Stop " : "Restart ") + c.id() + " on " + c.node().name() + "?";
    g.putString(b[0] + 2, b[1] + 1, Text.fit(q, b[2] - 4));
    if (b[3] >= 5) {
      g.putString(b[0] + 2, b[1] + 3, Text.fit("y yes · n no", b[2] - 4));
    }
  }

  static final String[][] HELP = {
    {"↑ ↓  j k", "move"},
    {"Tab  ← →", "switch pane"},
    {"Enter", "attach; Ctrl-\\ comes back"},
    {"v", "watch (read-only)"},
    {"n", "new session"},
    {"s  r", "stop, restart"},
    {"l", "follow the log"},
    {"/", "filter (Esc clears)"},
    {"Ctrl-L", "redraw"},
    {"q", "quit"},
  };

  private void helpBox(TextGraphics g, int w, int h) {
    int[] b = box(g, w, h, 44, HELP.length + 4, "Keys");
    for (int i = 0; i < HELP.length && i + 1 < b[3] - 2; i++) {
      g.putString(
          b[0] + 2, b[1] + 1 + i, Text.fit(Text.fit(HELP[i][0], 10) + " " + HELP[i][1], b[2] - 4));
    }
    if (b[3] >= HELP.length + 4) {
      g.putString(b[0] + 2, b[1] + b[3] - 2, Text.fit("any key closes", b[2] - 4));
    }
  }

  private static int scroll(int current, int selected, int visible, int total) {
    if (visible <= 0) {
      return 0;
    }
    int s = current;
    if (selected < s) {
      s = selected;
    }
    if (selected >= s + visible) {
      s = selected - visible + 1;
    }
    return Math.max(0, Math.min(s, Math.max(0, total - visible)));
  }
}
