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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
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

  enum Pane {
    NODES,
    SESSIONS
  }

  /** A line of the sessions pane: a node's heading (session null) or one of its sessions. */
  record Row(NodeState node, Backend.SessionRow session) {
    static String key(String node, String id) {
      return node + "\u0000" + id;
    }

    String key() {
      return session == null ? null : key(node.name(), session.info().id());
    }
  }

  /** A stop or restart waiting for y. */
  record Confirm(String verb, NodeState node, String id) {}

  private static final Duration MESSAGE_TIME = Duration.ofSeconds(6);
  private static final Duration LOG_REFRESH = Duration.ofSeconds(1);

  final Backend backend;
  final TuiOptions options;
  private final Executor io;
  private final Host host;
  private final Clock clock;

  private final NodePoller poller;
  List<NodeState> nodes = List.of(); // as the poller last told them
  Pane focus = Pane.SESSIONS;
  int nodeIndex;
  String selected; // Row.key() of the selected session (kept while its node is offline)
  private String shown; // Row.key() of the session the preview is for (selected and listed)
  private boolean chosen; // the user picked the selection (else it follows the first session)
  String filter = "";
  boolean editingFilter;
  boolean logView;
  boolean help;
  Form form;
  Confirm confirm;
  String message;
  boolean messageIsError;
  private Instant messageUntil = Instant.EPOCH;

  // preview of the selected session
  String previewKey;
  List<String> previewLines = List.of();
  String previewNote;
  private boolean previewInFlight;
  private Instant nextPreview = Instant.EPOCH;
  int previewRows = 20;

  /** Where the last frame put things, for mouse clicks. */
  final PickerView view = new PickerView(this);

  Picker(Backend backend, Executor io, Host host, TuiOptions options, Clock clock) {
    this.backend = backend;
    this.io = io;
    this.host = host;
    this.options = options;
    this.clock = clock;
    this.poller = new NodePoller(backend, io, host::post, options, clock, new Polls());
  }

  /** The poller's news, applied to the selection. */
  private final class Polls implements NodePoller.Listener {
    @Override
    public void listed(List<NodeState> next) {
      NodeState was = selectedNode();
      nodes = next;
      // the selected node by name: the registry may have gained or lost nodes before it
      int at = was == null ? -1 : indexOf(was.name());
      nodeIndex = at >= 0 ? at : Math.max(0, Math.min(nodeIndex, nodes.size() - 1));
      keepSelection();
    }

    @Override
    public void changed(List<NodeState> next) {
      nodes = next;
      keepSelection();
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

  boolean loaded() {
    return poller.loaded();
  }

  private int indexOf(String node) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).name().equals(node)) {
        return i;
      }
    }
    return -1;
  }

  Instant now() {
    return clock.instant();
  }

  // ---- the periodic work ----

  /** Called by the loop about once a second, and once at start. */
  void tick() {
    poller.tick();
    Instant now = now();
    if (!now.isBefore(nextPreview)) {
      nextPreview = now.plus(logView ? LOG_REFRESH : options.refresh());
      requestPreview(false);
    }
  }

  // ---- rows and selection ----

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
  void keepSelection() {
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
    shownChanged();
  }

  /** Starts a new preview when the listed selection is not the one the preview is for. */
  private void shownChanged() {
    Row r = selectedRow();
    String now = r == null ? null : r.key();
    if (!Objects.equals(now, shown)) {
      shown = now;
      previewChanged();
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
    shownChanged();
  }

  /** Whether two snapshots are of the same node. */
  private static boolean same(NodeState a, NodeState b) {
    return a.name().equals(b.name());
  }

  private void moveNode(int delta) {
    if (!nodes.isEmpty()) {
      selectNode(Math.max(0, Math.min(nodes.size() - 1, nodeIndex + delta)));
    }
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
    shownChanged();
  }

  NodeState selectedNode() {
    return nodes.isEmpty() ? null : nodes.get(Math.min(nodeIndex, nodes.size() - 1));
  }

  // ---- preview ----

  /** Why no session is selected, for the preview and the status line. */
  private String nothingSelected() {
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

  private void previewChanged() {
    previewLines = List.of();
    previewNote = null;
    previewKey = null;
    requestPreview(true);
  }

  private String previewKeyOf(Row r) {
    return r.key() + (logView ? "\u0000log" : "");
  }

  /** Fetches the selected session's screen (or log); one request at a time, newest wins. */
  void requestPreview(boolean changed) {
    Row r = selectedRow();
    if (r == null) {
      previewKey = null;
      previewLines = List.of();
      previewNote = nodes.isEmpty() ? null : nothingSelected();
      return;
    }
    SessionInfo info = r.session().info();
    if (!info.managed()) {
      previewKey = previewKeyOf(r);
      previewLines = List.of();
      previewNote = "your own tmux session: no log kept; Enter attaches";
      return;
    }
    if (r.node().reach() == NodeState.Reach.OFFLINE) {
      previewNote = r.node().name() + " is offline";
      return;
    }
    if (previewInFlight) {
      return; // when it comes back, a stale answer asks again
    }
    String key = previewKeyOf(r);
    if (changed || previewKey == null || !previewKey.equals(key)) {
      previewNote = "…";
    }
    previewInFlight = true;
    boolean log = logView;
    int lines = Math.max(1, previewRows);
    Backend.NodeRef ref = r.node().ref();
    String id = info.id();
    io.execute(
        () -> {
          try {
            List<String> got = backend.preview(ref, id, log, lines);
            host.post(() -> previewDone(key, got, null));
          } catch (Exception e) {
            host.post(() -> previewDone(key, null, Text.reason(e)));
          }
        });
  }

  private void previewDone(String key, List<String> lines, String error) {
    previewInFlight = false;
    Row r = selectedRow();
    if (r == null || !previewKeyOf(r).equals(key)) {
      requestPreview(true); // the selection moved on meanwhile
      return;
    }
    previewKey = key;
    if (lines != null) {
      previewLines = List.copyOf(lines);
      previewNote = lines.isEmpty() ? "(no output yet)" : null;
    } else {
      previewNote = error;
    }
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
      message = null; // any key clears the status line
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
        if (focus == Pane.NODES) {
          focus = Pane.SESSIONS;
        } else {
          attach(false);
        }
      }
      case Escape -> {
        if (!filter.isEmpty()) {
          filter = "";
          keepSelection();
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
        if (selectedRow() == null) {
          error(nothingSelected());
        } else {
          chosen = true; // the log followed must not switch sessions as other nodes answer
          logView = true;
          nextPreview = Instant.EPOCH;
          previewChanged();
        }
      }
      case '/' -> editingFilter = true;
      case '?' -> help = true;
      default -> {}
    }
  }

  private void move(int delta) {
    if (focus == Pane.NODES) {
      moveNode(delta);
    } else {
      moveSession(delta);
    }
  }

  private void switchPane(KeyType t) {
    if (t == KeyType.ArrowLeft) {
      focus = Pane.NODES;
    } else if (t == KeyType.ArrowRight) {
      focus = Pane.SESSIONS;
    } else {
      focus = focus == Pane.NODES ? Pane.SESSIONS : Pane.NODES;
    }
    // nothing else changes: the selected session is always one of the selected node's
  }

  private void filterKey(KeyStroke k) {
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
    keepSelection();
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
      previewChanged();
    } else if (t == KeyType.Enter) {
      logView = false;
      previewChanged();
      attach(false);
    } else if (t == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'c') {
      host.quit();
    } else if (t == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'l') {
      host.redrawAll();
    }
  }

  // ---- actions ----

  private void attach(boolean readOnly) {
    Row r = selectedRow();
    if (r == null) {
      error(nothingSelected());
      return;
    }
    chosen = true; // acted on: coming back finds it where it was, whoever answers meanwhile
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
          requestPreview(false); // the screen it left, without blanking the old one first
        });
  }

  private void openForm() {
    if (nodes.isEmpty()) {
      error("no nodes to start a session on");
      return;
    }
    form = new Form(nodes.stream().map(NodeState::name).toList(), nodeIndex);
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
    for (NodeState s : nodes) {
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
                  focus = Pane.SESSIONS;
                  Backend.SessionRow row = new Backend.SessionRow(s.withNode(node.name()), "");
                  nodes = poller.started(node.name(), row);
                  select(node.name(), s.id());
                  refreshNode(node.name());
                });
          } catch (Exception e) {
            host.post(() -> error("cannot start on " + node.name() + ": " + Text.reason(e)));
          }
        });
  }

  private void askConfirm(String verb) {
    Row r = selectedRow();
    if (r == null) {
      error(nothingSelected());
      return;
    }
    chosen = true;
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
    nextPreview = Instant.EPOCH;
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
    int node = view.nodeAt(p);
    if (node >= 0) {
      focus = Pane.NODES;
      selectNode(node);
      return;
    }
    Row r = view.rowAt(p);
    if (r != null && r.session() != null) {
      boolean again = r.key().equals(selected) && focus == Pane.SESSIONS;
      focus = Pane.SESSIONS;
      select(r);
      if (again) {
        attach(false); // a second click (a tap on a phone) on the selected session opens it
      }
    }
  }

  // ---- status line ----

  void say(String text) {
    message = text;
    messageIsError = false;
    messageUntil = now().plus(MESSAGE_TIME);
  }

  void error(String text) {
    message = text;
    messageIsError = true;
    messageUntil = now().plus(MESSAGE_TIME);
  }

  /** The status line's message, while it is fresh. */
  String currentMessage() {
    if (message != null && now().isAfter(messageUntil)) {
      message = null;
    }
    return message;
  }

  // ---- drawing ----

  /** Draws the whole frame; returns where the cursor goes, or null to hide it. */
  TerminalPosition draw(TextGraphics g, TerminalSize size) {
    return view.draw(g, size);
  }
}
