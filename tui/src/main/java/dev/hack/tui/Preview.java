package dev.hack.tui;

import dev.hack.node.api.SessionInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The preview of the selected session: its screen, or while the log is followed the last lines of
 * its log, as many as the last frame had room for. Fetched again every {@link TuiOptions#refresh()}
 * (every second for a log) and at once when the selection changes.
 *
 * <p>One request is out at a time. An answer for a session that is no longer the selected one is
 * not shown; it asks again for the one that is.
 *
 * <p>Threads: every method runs on the render thread. Backend calls run on {@code io}; their
 * answers come back through {@code post}.
 */
final class Preview {
  private static final Duration LOG_REFRESH = Duration.ofSeconds(1);

  private final Backend backend;
  private final Executor io;
  private final Consumer<Runnable> post;
  private final Selection selection;
  private final Duration refresh;
  private final Clock clock;

  private boolean log;
  private String key; // the session (and whether its log) the lines are from
  private List<String> lines = List.of();
  private String note;
  private boolean inFlight;
  private Instant next = Instant.EPOCH;
  private int rows = 20;

  /**
   * @param post runs a task on the render thread, soon; called from the I/O threads
   * @param selection whose selected row is previewed
   */
  Preview(
      Backend backend,
      Executor io,
      Consumer<Runnable> post,
      Selection selection,
      Duration refresh,
      Clock clock) {
    this.backend = backend;
    this.io = io;
    this.post = post;
    this.selection = selection;
    this.refresh = refresh;
    this.clock = clock;
  }

  /** The lines to show, oldest first. */
  List<String> lines() {
    return lines;
  }

  /** A line to show above them (loading, an error, why there is nothing), or null. */
  String note() {
    return note;
  }

  /** How many lines the last frame had room for: the next request asks for that many. */
  void rows(int n) {
    rows = n;
  }

  /** Called about once a second: asks again when a refresh is due. */
  void tick() {
    Instant now = clock.instant();
    if (!now.isBefore(next)) {
      next = now.plus(log ? LOG_REFRESH : refresh);
      request(false);
    }
  }

  /** Asks again at the next tick (after an action changed what there is to see). */
  void soon() {
    next = Instant.EPOCH;
  }

  /** Shows the selected session's log instead of its screen, or its screen again. */
  void follow(boolean log) {
    this.log = log;
    if (log) {
      next = Instant.EPOCH;
    }
    changed();
  }

  /** The selection changed: drops what is shown and asks for the new one. */
  void changed() {
    lines = List.of();
    note = null;
    key = null;
    request(true);
  }

  private String keyOf(Selection.Row r) {
    return r.key() + (log ? "\u0000log" : "");
  }

  /**
   * Fetches the selected session's screen (or log), unless a request is already out.
   *
   * @param changed whether to say it is loading even when it is the same session as shown
   */
  void request(boolean changed) {
    Selection.Row r = selection.selectedRow();
    if (r == null) {
      key = null;
      lines = List.of();
      note = selection.nodes().isEmpty() ? null : selection.nothingSelected();
      return;
    }
    SessionInfo info = r.session().info();
    if (!info.managed()) {
      key = keyOf(r);
      lines = List.of();
      note = "your own tmux session: no log kept; Enter attaches";
      return;
    }
    if (r.node().reach() == NodeState.Reach.OFFLINE) {
      note = r.node().name() + " is offline";
      return;
    }
    if (inFlight) {
      return; // when it comes back, a stale answer asks again
    }
    String asked = keyOf(r);
    if (changed || key == null || !key.equals(asked)) {
      note = "…";
    }
    inFlight = true;
    boolean wantLog = log;
    int count = Math.max(1, rows);
    Backend.NodeRef ref = r.node().ref();
    String id = info.id();
    io.execute(
        () -> {
          try {
            List<String> got = backend.preview(ref, id, wantLog, count);
            post.accept(() -> done(asked, got, null));
          } catch (Exception e) {
            post.accept(() -> done(asked, null, Text.reason(e)));
          }
        });
  }

  private void done(String asked, List<String> got, String error) {
    inFlight = false;
    Selection.Row r = selection.selectedRow();
    if (r == null || !keyOf(r).equals(asked)) {
      request(true); // the selection moved on meanwhile
      return;
    }
    key = asked;
    if (got != null) {
      lines = List.copyOf(got);
      note = got.isEmpty() ? "(no output yet)" : null;
    } else {
      note = error;
    }
  }
}
