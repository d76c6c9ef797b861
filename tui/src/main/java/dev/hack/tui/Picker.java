package dev.hack.tui;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.graphics.TextGraphics;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.input.MouseAction;
import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * The TUI: ties the pieces together and does what they ask of the backend.
 *
 * <ul>
 *   <li>{@link NodePoller} asks the nodes for their sessions and tells the {@link Selection};
 *   <li>the {@link Selection} keeps the rows and the cursor, and tells the {@link Preview} when the
 *       selected session changes;
 *   <li>the current {@link Mode} gets every key and returns the next mode;
 *   <li>{@link PickerView} draws a {@link Frame} made from all of them.
 * </ul>
 *
 * The picker itself attaches, starts, stops and restarts sessions (the {@link Mode.Context}), and
 * keeps the status line.
 *
 * <p>Threads: every method runs on the render thread. Backend calls run on {@code io}; their
 * results come back through {@link Host#post}, so the state is only ever touched by the render
 * thread and needs no locks. Nothing here blocks.
 */
final class Picker implements Mode.Context {
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

  private final Backend backend;
  private final Executor io;
  private final Host host;
  private final Clock clock;

  private final Selection selection;
  private final Preview preview;
  private final StatusLine status;
  private final NodePoller poller;
  private final PickerView view;
  private Mode mode = MainMode.INSTANCE;
  private PickerView.Drawn drawn = PickerView.Drawn.NONE; // where the last frame put things

  Picker(Backend backend, Executor io, Host host, TuiOptions options, Clock clock) {
    this.backend = backend;
    this.io = io;
    this.host = host;
    this.clock = clock;
    this.selection = new Selection(this::selectionChanged);
    this.preview = new Preview(backend, io, host::post, selection, options.refresh(), clock);
    this.status = new StatusLine(clock);
    this.poller = new NodePoller(backend, io, host::post, options, clock, new Polls());
    this.view = new PickerView(options.color());
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

  /** Called by the loop about once a second, and once at start. */
  void tick() {
    poller.tick();
    preview.tick();
  }

  /** Handles one key (or mouse event). */
  void onKey(KeyStroke k) {
    if (k.getKeyType() == KeyType.MouseEvent) {
      if (k instanceof MouseAction m) {
        mode = mode.onMouse(m, this);
      }
      return;
    }
    if (k.getKeyType() != KeyType.Character || !k.isCtrlDown() || k.getCharacter() != 'l') {
      status.clear(); // any key clears the status line
    }
    mode = mode.onKey(k, this);
  }

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
        status.current(),
        status.isError(),
        mode.showing(),
        mode instanceof FormMode f ? f.form().shown() : null,
        mode instanceof ConfirmMode c ? c.confirm() : null);
  }

  // ---- what the modes may do ----

  @Override
  public Selection selection() {
    return selection;
  }

  @Override
  public PickerView.Hits hits() {
    return drawn.hits();
  }

  @Override
  public void followLog(boolean on) {
    preview.follow(on);
  }

  @Override
  public void error(String text) {
    status.error(text);
  }

  @Override
  public void quit() {
    host.quit();
  }

  @Override
  public void redrawAll() {
    host.redrawAll();
  }

  @Override
  public void attach(boolean readOnly) {
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
            status.say(msg);
          }
          poller.poll(n.name());
          preview.request(false); // the screen it left, without blanking the old one first
        });
  }

  @Override
  public void create(Form f) {
    NodeState node = current(f.nodeName());
    if (node == null) {
      error("node " + f.nodeName() + " is gone");
      return;
    }
    Backend.NewSession spec =
        new Backend.NewSession(
            f.value(Form.NAME), f.type(), f.value(Form.CWD), f.value(Form.COMMAND));
    status.say("starting a session on " + node.name() + "…");
    io.execute(
        () -> {
          try {
            SessionInfo s = backend.create(node.ref(), spec);
            host.post(
                () -> {
                  status.say("started " + s.id() + " on " + node.name());
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

  @Override
  public void run(ConfirmMode.Confirm c) {
    boolean stop = c.verb().equals("stop");
    // the node as the registry lists it now: the question may have waited a while for its y
    NodeState now = current(c.node().name());
    Backend.NodeRef ref = now == null ? c.node().ref() : now.ref();
    status.say((stop ? "stopping " : "restarting ") + c.id() + " on " + c.node().name() + "…");
    io.execute(
        () -> {
          try {
            if (stop) {
              backend.stop(ref, c.id());
            } else {
              backend.restart(ref, c.id());
            }
            host.post(
                () -> {
                  status.say((stop ? "stopped " : "restarted ") + c.id());
                  refreshNode(c.node().name());
                });
          } catch (Exception e) {
            host.post(() -> error("cannot " + c.verb() + " " + c.id() + ": " + Text.reason(e)));
          }
        });
  }

  /** The node named {@code name} as last seen (the last of that name), or null. */
  private NodeState current(String name) {
    NodeState found = null;
    for (NodeState n : selection.nodes()) {
      if (n.name().equals(name)) {
        found = n;
      }
    }
    return found;
  }

  /** Asks a node again now (after an action), even if a question is already out. */
  private void refreshNode(String node) {
    poller.refresh(node);
    preview.soon();
  }
}
