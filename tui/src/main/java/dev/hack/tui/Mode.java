package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.MouseAction;

/**
 * What the keys do now: the main screen, the filter being typed, the log being followed, the
 * new-session dialog, a question waiting for y, or the help box. The picker holds one mode and
 * hands it every key; the mode acts through its {@link Context} and returns the mode for the next
 * key (itself, or the one it switched to).
 *
 * <p>Threads: render thread only. Modes never block; what takes time (attaching, starting,
 * stopping) is started through the context and finishes later.
 */
interface Mode {
  /** What a mode may do: the selection, and the picker's actions. */
  interface Context {
    Selection selection();

    /** Where the last frame put things, for mouse clicks. */
    PickerView.Hits hits();

    /** Hands the terminal to the selected session, or says in the status line why not. */
    void attach(boolean readOnly);

    /** Shows the selected session's log in the preview instead of its screen, or back. */
    void followLog(boolean on);

    /** Starts the session the form describes. */
    void create(Form form);

    /** Stops or restarts, as confirmed. */
    void run(ConfirmMode.Confirm confirm);

    /** Says {@code message} in the status line, as an error. */
    void error(String message);

    void quit();

    /** Repaints every cell on the next refresh. */
    void redrawAll();
  }

  /** Handles a key; returns the mode for the next one. */
  Mode onKey(KeyStroke k, Context c);

  /**
   * Handles a mouse event; returns the mode for the next one. By default the mouse does nothing.
   */
  default Mode onMouse(MouseAction m, Context c) {
    return this;
  }

  /** What the frame shows while this mode has the keys. */
  Frame.Showing showing();
}
