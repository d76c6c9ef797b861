package dev.hack.tui;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Everything one frame of the picker shows, taken from the picker's state just before it is drawn.
 * {@link PickerView} draws from this alone; it never sees the picker.
 *
 * @param now the time the ages and "seen … ago" are measured to
 * @param nodes every node, in the registry's order
 * @param loaded whether the registry has been listed yet ("loading…" until then)
 * @param nodeIndex the selected node
 * @param focus the pane the movement keys move in
 * @param rows the sessions pane, top to bottom
 * @param selected the selected session's {@link Selection.Row#key()}, listed or not, or null
 * @param selectedRow the selected session's row, or null when it is not listed
 * @param filter the filter, "" for none
 * @param previewLines the preview's lines, oldest first
 * @param previewNote a line above them, or null
 * @param message the status line's message, or null for the key bar
 * @param messageIsError whether the message is an error
 * @param showing the input mode, which decides the key bar, the box over the panes and the cursor
 * @param form the new-session dialog, when {@code showing} is {@link Showing#FORM}, else null
 * @param confirm the question asked, when {@code showing} is {@link Showing#CONFIRM}, else null
 */
record Frame(
    Instant now,
    List<NodeState> nodes,
    boolean loaded,
    int nodeIndex,
    Selection.Pane focus,
    List<Selection.Row> rows,
    String selected,
    Selection.Row selectedRow,
    String filter,
    List<String> previewLines,
    String previewNote,
    String message,
    boolean messageIsError,
    Frame.Showing showing,
    Form.Shown form,
    ConfirmMode.Confirm confirm) {

  /** What the keys do now, and so what the frame shows besides the panes. */
  enum Showing {
    /** The panes and the key bar. */
    MAIN,
    /** The keys, in a box. */
    HELP,
    /** The filter being typed, in the title bar, with the cursor after it. */
    FILTER,
    /** The selected session's log, over the whole body. */
    LOG,
    /** The new-session dialog. */
    FORM,
    /** A stop or restart waiting for y. */
    CONFIRM
  }

  Frame {
    Objects.requireNonNull(now, "now");
    nodes = List.copyOf(nodes);
    Objects.requireNonNull(focus, "focus");
    rows = List.copyOf(rows);
    Objects.requireNonNull(filter, "filter");
    previewLines = List.copyOf(previewLines);
    Objects.requireNonNull(showing, "showing");
    if ((showing == Showing.FORM) != (form != null)) {
      throw new IllegalArgumentException("showing " + showing + " with form " + form);
    }
    if ((showing == Showing.CONFIRM) != (confirm != null)) {
      throw new IllegalArgumentException("showing " + showing + " with confirm " + confirm);
    }
  }
}
