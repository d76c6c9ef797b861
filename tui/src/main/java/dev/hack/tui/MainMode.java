package dev.hack.tui;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.input.MouseAction;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.api.SessionStatus;
import java.util.List;

/**
 * The main screen's keys: moving ({@code ↑ ↓ j k g G PgUp PgDn}), switching panes ({@code Tab ←
 * →}), attaching ({@code Enter}, {@code v} to watch), {@code n}ew, {@code s}top, {@code r}estart,
 * following the {@code l}og, {@code /} to filter, {@code ?} for help, {@code q} to quit. The mouse
 * wheel moves, a click selects, a second click on the selected session attaches.
 */
final class MainMode implements Mode {
  static final MainMode INSTANCE = new MainMode();

  private MainMode() {}

  @Override
  public Frame.Showing showing() {
    return Frame.Showing.MAIN;
  }

  @Override
  public Mode onKey(KeyStroke k, Context c) {
    Selection sel = c.selection();
    KeyType t = k.getKeyType();
    Character ch = t == KeyType.Character ? k.getCharacter() : null;
    if (ch != null && k.isCtrlDown()) {
      if (ch == 'c' || ch == 'd') {
        c.quit();
      } else if (ch == 'l') {
        c.redrawAll();
      }
      return this;
    }
    switch (t) {
      case ArrowUp -> sel.move(-1);
      case ArrowDown -> sel.move(1);
      case PageUp -> sel.move(-10);
      case PageDown -> sel.move(10);
      case Tab, ReverseTab, ArrowLeft, ArrowRight -> switchPane(sel, t);
      case Enter -> {
        if (sel.focus() == Selection.Pane.NODES) {
          sel.focus(Selection.Pane.SESSIONS);
        } else {
          c.attach(false);
        }
      }
      case Escape -> {
        if (!sel.filter().isEmpty()) {
          sel.filter("");
        }
      }
      case Character -> {
        return onChar(ch, c);
      }
      default -> {}
    }
    return this;
  }

  private Mode onChar(char ch, Context c) {
    Selection sel = c.selection();
    switch (ch) {
      case 'q' -> c.quit();
      case 'j' -> sel.move(1);
      case 'k' -> sel.move(-1);
      case 'g' -> sel.move(-100_000);
      case 'G' -> sel.move(100_000);
      case 'v' -> c.attach(true);
      case 'n' -> {
        return newSession(c);
      }
      case 's' -> {
        return confirm("stop", c);
      }
      case 'r' -> {
        return confirm("restart", c);
      }
      case 'l' -> {
        return followLog(c);
      }
      case '/' -> {
        return FilterMode.INSTANCE;
      }
      case '?' -> {
        return HelpMode.INSTANCE;
      }
      default -> {}
    }
    return this;
  }

  private static void switchPane(Selection sel, KeyType t) {
    if (t == KeyType.ArrowLeft) {
      sel.focus(Selection.Pane.NODES);
    } else if (t == KeyType.ArrowRight) {
      sel.focus(Selection.Pane.SESSIONS);
    } else {
      sel.focus(
          sel.focus() == Selection.Pane.NODES ? Selection.Pane.SESSIONS : Selection.Pane.NODES);
    }
    // nothing else changes: the selected session is always one of the selected node's
  }

  private Mode newSession(Context c) {
    List<NodeState> nodes = c.selection().nodes();
    if (nodes.isEmpty()) {
      c.error("no nodes to start a session on");
      return this;
    }
    return new FormMode(
        new Form(nodes.stream().map(NodeState::name).toList(), c.selection().nodeIndex()));
  }

  private Mode confirm(String verb, Context c) {
    Selection sel = c.selection();
    Selection.Row r = sel.selectedRow();
    if (r == null) {
      c.error(sel.nothingSelected());
      return this;
    }
    sel.choose();
    SessionInfo info = r.session().info();
    if (!info.managed()) {
      c.error(info.id() + " is your own tmux session; hack does not " + verb + " it");
      return this;
    }
    if (verb.equals("stop") && !info.isRunning()) {
      c.error(info.id() + " is not running (" + status(info) + "); r restarts it");
      return this;
    }
    return new ConfirmMode(new ConfirmMode.Confirm(verb, r.node(), info.id()));
  }

  private static String status(SessionInfo s) {
    return s.state() == SessionStatus.EXITED && s.exitCode() != null
        ? "exited(" + s.exitCode() + ")"
        : s.status();
  }

  private Mode followLog(Context c) {
    Selection sel = c.selection();
    if (sel.selectedRow() == null) {
      c.error(sel.nothingSelected());
      return this;
    }
    sel.choose(); // the log followed must not switch sessions as other nodes answer
    c.followLog(true);
    return LogMode.INSTANCE;
  }

  @Override
  public Mode onMouse(MouseAction m, Context c) {
    scrollOrClick(m, c, true);
    return this;
  }

  /**
   * The wheel moves the selection in the focused pane; with {@code clicks}, a left click on a node
   * selects it, and on a session selects it or, when it is already selected, attaches to it.
   */
  static void scrollOrClick(MouseAction m, Context c, boolean clicks) {
    switch (m.getActionType()) {
      case SCROLL_UP -> c.selection().move(-1);
      case SCROLL_DOWN -> c.selection().move(1);
      case CLICK_DOWN -> {
        if (clicks && m.getButton() == 1) {
          click(m.getPosition(), c);
        }
      }
      default -> {}
    }
  }

  private static void click(TerminalPosition p, Context c) {
    Selection sel = c.selection();
    int node = c.hits().nodeAt(p);
    if (node >= 0) {
      sel.focus(Selection.Pane.NODES);
      sel.selectNode(node);
      return;
    }
    Selection.Row r = c.hits().rowAt(p);
    if (r != null && r.session() != null) {
      boolean again = r.key().equals(sel.selected()) && sel.focus() == Selection.Pane.SESSIONS;
      sel.focus(Selection.Pane.SESSIONS);
      sel.select(r);
      if (again) {
        c.attach(false); // a second click (a tap on a phone) on the selected session opens it
      }
    }
  }
}
