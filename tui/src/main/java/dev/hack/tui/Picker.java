package dev.hack.tui;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.input.MouseAction;
import com.googlecode.lanterna.input.MouseActionType;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.api.SessionStatus;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * The TUI's state and behaviour: the selection over the nodes {@link NodePoller} reports, the
 * preview, the dialogs, and what each key does. Drawing is {@link PickerView}'s.
 *
 * <p>Threads: every method runs on the render thread. Backend calls run on {@code io}; their
 * results come back through {@link Host#post}, so the state is only ever touched by the render
 * thread and needs no locks. Nothing here blocks.
 */
final class Picker {
  /** What the picker needs from the loop that runs it. */
  interface Host {
    /** Runs {@code task} on the render thread, soon; from any thread. */
    void post(Runnable task);

    /** Leaves the picker's screen so that a session can have the terminal. */
    void suspend() throws IOException;

    /**
     * Keeps the screen suspended until {@code done} completes, then redraws everything and runs
     * {@code then} on the render thread.
     */
    <T> void resumeWhen(CompletableFuture<T> done, BiConsumer<? super T, Throwable> then);

    void quit();

    /** Repaints every cell on the next refresh (Ctrl-L). */
    void redrawAll();
  }

  /** A stop or restart waiting for y. */
  record Confirm(String verb, NodeState node, String id) {}

  final Backend backend;
  final TuiOptions options;
  private final Executor io;
  private final Host host;
  private final Clock clock;

  private final NodePoller poller;
  final Selection selection;
  final Preview preview;
  final StatusLine status;
  boolean editingFilter;
  boolean logView;
  boolean help;
  Form form;
  Confirm confirm;

  private final PickerView view;
  private PickerView.Drawn drawn = PickerView.Drawn.NONE; // where the last frame put things

  Picker(Backend backend, Executor io, Host host, TuiOptions options, Clock clock) {
    this.backend = backend;
    this.io = io;
    this.host = host;
    this.options = options;
    this.clock = clock;
    this.selection = new Selection(this::selectionChanged);
    this.preview = new Preview(backend, io, host::post, selection, options.refresh(), clock);
    this.status = new StatusLine(clock);
    this.view = new PickerView(options.color());
    this.poller = new NodePoller(backend, io, host::post, options, clock, new Polls());
  }

  /** The selection's callback: the selected session changed, so the preview starts over. */
  private void selectionChanged() {
    preview.changed();
  }

  /** The poller's news, applied to the selection. */
  private final class Polls implements NodePoller.Listener {
    @Override
    public void listed(List<NodeState> next) {
      selection.relist(next);
    }

    @Override
    public void changed(List<NodeState> next) {
      selection.update(next);
    }

    @Override
    public void failed(String message) {
      error(message);
    }
  }

  /** The polls, for tests. */
  NodePoller poller() {
    return poller;
  }

  // ---- the periodic work ----

  /** Called by the loop about once a second, and once at start. */
  void tick() {
    poller.tick();
    preview.tick();
  }

  // ---- keys ----

  /** Handles one key (or mouse event) on the render thread. */
  void onKey(KeyStroke k) {
    if (k.getKeyType() == KeyType.MouseEvent) {
      if (k instanceof MouseAction m) {
        onMouse(m);
      }
      return;
    }
    if (k.getKeyType() != KeyType.Character || !k.isCtrlDown() || k.getCharacter() != 'l') {
      status.clear(); // any key clears the status line
    }
    if (help) {
      help = false;
      return;
    }
    if (form != null) {
      formKey(k);
      return;
    }
    if (confirm != null) {
      confirmKey(k);
      return;
    }
    if (editingFilter) {
      filterKey(k);
      return;
    }
    if (logView) {
      logKey(k);
      return;
    }
    mainKey(k);
  }

  private void mainKey(KeyStroke k) {
    KeyType t = k.getKeyType();
    Character c = t == KeyType.Character ? k.getCharacter() : null;
    if (c != null && k.isCtrlDown()) {
      if (c == 'c' || c == 'd') {
        host.quit();
      } else if (c == 'l') {
        host.redrawAll();
      }
      return;
    }
    switch (t) {
      case ArrowUp -> move(-1);
      case ArrowDown -> move(1);
      case PageUp -> move(-10);
      case PageDown -> move(10);
      case Tab, ReverseTab, ArrowLeft, ArrowRight -> switchPane(t);
      case Enter -> {
        if (selection.focus() == Selection.Pane.NODES) {
          selection.focus(Selection.Pane.SESSIONS);
        } else {
          attach(false);
        }
      }
      case Escape -> {
        if (!selection.filter().isEmpty()) {
          selection.filter("");
        }
      }
      case Character -> mainChar(c);
      default -> {}
    }
  }

  private void mainChar(char c) {
    switch (c) {
      case 'q' -> host.quit();
      case 'j' -> move(1);
      case 'k' -> move(-1);
      case 'g' -> move(-100_000);
      case 'G' -> move(100_000);
      case 'v' -> attach(true);
      case 'n' -> openForm();
      case 's' -> askConfirm("stop");
      case 'r' -> askConfirm("restart");
      case 'l' -> {
        if (selection.selectedRow() == null) {
          error(selection.nothingSelected());
        } else {
          selection.choose(); // the log followed must not switch sessions as other nodes answer
          logView = true;
          preview.follow(true);
        }
      }
      case '/' -> editingFilter = true;
      case '?' -> help = true;
      default -> {}
    }
  }

  private void move(int delta) {
    selection.move(delta);
  }

  private void switchPane(KeyType t) {
    if (t == KeyType.ArrowLeft) {
      selection.focus(Selection.Pane.NODES);
    } else if (t == KeyType.ArrowRight) {
      selection.focus(Selection.Pane.SESSIONS);
    } else {
      selection.focus(
          selection.focus() == Selection.Pane.NODES
              ? Selection.Pane.SESSIONS
              : Selection.Pane.NODES);
    }
    // nothing else changes: the selected session is always one of the selected node's
  }

  private void filterKey(KeyStroke k) {
    String filter = selection.filter();
    switch (k.getKeyType()) {
      case Enter -> editingFilter = false;
      case Escape -> {
        editingFilter = false;
        filter = "";
      }
      case Backspace -> {
        if (!filter.isEmpty()) {
          filter = filter.substring(0, filter.length() - 1);
        }
      }
      case Character -> {
        char c = k.getCharacter();
        if (k.isCtrlDown() && (c == 'u' || c == 'c')) {
          filter = "";
          if (c == 'c') {
            editingFilter = false;
          }
        } else if (!k.isCtrlDown() && !k.isAltDown() && c >= 0x20 && filter.length() < 100) {
          filter = filter + c;
        }
      }
      case ArrowDown, ArrowUp -> {
        editingFilter = false;
        mainKey(k);
        return;
      }
      default -> {}
    }
    selection.filter(filter);
  }

  private void logKey(KeyStroke k) {
    KeyType t = k.getKeyType();
    boolean back =
        t == KeyType.Escape
            || (t == KeyType.Character
                && (k.getCharacter() == 'q' || k.getCharacter() == 'l')
                && !k.isCtrlDown());
    if (back) {
      logView = false;
      preview.follow(false);
    } else if (t == KeyType.Enter) {
      logView = false;
      preview.follow(false);
      attach(false);
    } else if (t == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'c') {
      host.quit();
    } else if (t == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'l') {
      host.redrawAll();
    }
  }

  // ---- actions ----

  private void attach(boolean readOnly) {
    Selection.Row r = selection.selectedRow();
    if (r == null) {
      error(selection.nothingSelected());
      return;
    }
    selection.choose(); // acted on: coming back finds it where it was, whoever answers meanwhile
    SessionInfo info = r.session().info();
    if (r.node().reach() == NodeState.Reach.OFFLINE) {
      error(r.node().name() + " is offline");
      return;
    }
    if (!info.isRunning()) {
      error(info.id() + " has " + info.status() + "; r restarts it, l shows its log");
      return;
    }
    try {
      host.suspend();
    } catch (IOException e) {
      error("cannot hand the terminal over: " + e.getMessage());
      return;
    }
    NodeState n = r.node();
    CompletableFuture<String> done;
    try {
      done = backend.attach(n.ref(), info.id(), readOnly);
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    host.resumeWhen(
        done,
        (msg, err) -> {
          if (err != null) {
            error("cannot attach to " + info.id() + ": " + Text.reason(err));
          } else if (msg != null) {
            say(msg);
          }
          poller.poll(n.name());
          preview.request(false); // the screen it left, without blanking the old one first
        });
  }

  private void openForm() {
    List<NodeState> nodes = selection.nodes();
    if (nodes.isEmpty()) {
      error("no nodes to start a session on");
      return;
    }
    form = new Form(nodes.stream().map(NodeState::name).toList(), selection.nodeIndex());
  }

  private void formKey(KeyStroke k) {
    if (k.getKeyType() == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'c') {
      form = null;
      return;
    }
    switch (form.key(k)) {
      case CANCEL -> form = null;
      case SUBMIT -> submit(form);
      default -> {}
    }
  }

  private void submit(Form f) {
    form = null;
    NodeState n = null;
    for (NodeState s : selection.nodes()) {
      if (s.name().equals(f.nodeName())) {
        n = s;
      }
    }
    if (n == null) {
      error("node " + f.nodeName() + " is gone");
      return;
    }
    NodeState node = n;
    Backend.NewSession spec =
        new Backend.NewSession(
            f.value(Form.NAME), f.type(), f.value(Form.CWD), f.value(Form.COMMAND));
    say("starting a session on " + node.name() + "…");
    io.execute(
        () -> {
          try {
            SessionInfo s = backend.create(node.ref(), spec);
            host.post(
                () -> {
                  say("started " + s.id() + " on " + node.name());
                  selection.focus(Selection.Pane.SESSIONS);
                  Backend.SessionRow row = new Backend.SessionRow(s.withNode(node.name()), "");
                  selection.started(poller.started(node.name(), row), node.name(), s.id());
                  refreshNode(node.name());
                });
          } catch (Exception e) {
            host.post(() -> error("cannot start on " + node.name() + ": " + Text.reason(e)));
          }
        });
  }

  private void askConfirm(String verb) {
    Selection.Row r = selection.selectedRow();
    if (r == null) {
      error(selection.nothingSelected());
      return;
    }
    selection.choose();
    SessionInfo info = r.session().info();
    if (!info.managed()) {
      error(info.id() + " is your own tmux session; hack does not " + verb + " it");
      return;
    }
    if (verb.equals("stop") && !info.isRunning()) {
      error(info.id() + " is not running (" + status(info) + "); r restarts it");
      return;
    }
    confirm = new Confirm(verb, r.node(), info.id());
  }

  private static String status(SessionInfo s) {
    return s.state() == SessionStatus.EXITED && s.exitCode() != null
        ? "exited(" + s.exitCode() + ")"
        : s.status();
  }

  private void confirmKey(KeyStroke k) {
    Confirm c = confirm;
    KeyType t = k.getKeyType();
    if (t == KeyType.Character && (k.getCharacter() == 'y' || k.getCharacter() == 'Y')) {
      confirm = null;
      run(c);
    } else if (t == KeyType.Escape
        || (t == KeyType.Character
            && (k.getCharacter() == 'n'
                || k.getCharacter() == 'N'
                || k.getCharacter() == 'q'
                || k.isCtrlDown()))) {
      confirm = null;
    }
  }

  private void run(Confirm c) {
    String doing = c.verb().equals("stop") ? "stopping " : "restarting ";
    say(doing + c.id() + " on " + c.node().name() + "…");
    io.execute(
        () -> {
          try {
            if (c.verb().equals("stop")) {
              backend.stop(c.node().ref(), c.id());
            } else {
              backend.restart(c.node().ref(), c.id());
            }
            host.post(
                () -> {
                  say((c.verb().equals("stop") ? "stopped " : "restarted ") + c.id());
                  refreshNode(c.node().name());
                });
          } catch (Exception e) {
            host.post(() -> error("cannot " + c.verb() + " " + c.id() + ": " + Text.reason(e)));
          }
        });
  }

  /** Asks a node again now (after an action), even if a question is already out. */
  private void refreshNode(String node) {
    poller.refresh(node);
    preview.soon();
  }

  // ---- mouse ----

  private void onMouse(MouseAction m) {
    if (form != null || confirm != null) {
      return;
    }
    if (help) {
      if (m.getActionType() == MouseActionType.CLICK_DOWN) {
        help = false;
      }
      return;
    }
    switch (m.getActionType()) {
      case SCROLL_UP -> move(-1);
      case SCROLL_DOWN -> move(1);
      case CLICK_DOWN -> {
        if (m.getButton() == 1) {
          click(m.getPosition());
        }
      }
      default -> {}
    }
  }

  private void click(TerminalPosition p) {
    if (logView) {
      return;
    }
    int node = drawn.hits().nodeAt(p);
    if (node >= 0) {
      selection.focus(Selection.Pane.NODES);
      selection.selectNode(node);
      return;
    }
    Selection.Row r = drawn.hits().rowAt(p);
    if (r != null && r.session() != null) {
      boolean again =
          r.key().equals(selection.selected()) && selection.focus() == Selection.Pane.SESSIONS;
      selection.focus(Selection.Pane.SESSIONS);
      selection.select(r);
      if (again) {
        attach(false); // a second click (a tap on a phone) on the selected session opens it
      }
    }
  }

  // ---- status line ----

  void say(String text) {
    status.say(text);
  }

  void error(String text) {
    status.error(text);
  }

  // ---- drawing ----

  /** Draws the whole frame; returns where the cursor goes, or null to hide it. */
  TerminalPosition draw(TextGraphics g, TerminalSize size) {
    drawn = view.draw(g, size, frame());
    if (drawn.previewRows() > 0) {
      preview.rows(drawn.previewRows());
    }
    return drawn.cursor();
  }

  /** What the screen shows now, for the view to draw. */
  Frame frame() {
    Frame.Showing showing;
    if (form != null) {
      showing = Frame.Showing.FORM;
    } else if (confirm != null) {
      showing = Frame.Showing.CONFIRM;
    } else if (help) {
      showing = Frame.Showing.HELP;
    } else if (editingFilter) {
      showing = Frame.Showing.FILTER;
    } else if (logView) {
      showing = Frame.Showing.LOG;
    } else {
      showing = Frame.Showing.MAIN;
    }
    String message = status.current();
    return new Frame(
        clock.instant(),
        selection.nodes(),
        poller.loaded(),
        selection.nodeIndex(),
        selection.focus(),
        selection.rows(),
        selection.selected(),
        selection.selectedRow(),
        selection.filter(),
        preview.lines(),
        preview.note(),
        message,
        status.isError(),
        showing,
        form == null ? null : form.shown(),
        confirm);
  }
}
