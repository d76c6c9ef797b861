package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.MouseAction;

/**
 * Typing the filter after {@code /}: each key narrows (or widens) the sessions listed at once.
 * {@code Enter} keeps the filter, {@code Esc} or {@code Ctrl-C} clears it, {@code Ctrl-U} empties
 * it and keeps typing; {@code ↑ ↓} keep it and move. The mouse works as on the main screen.
 */
final class FilterMode implements Mode {
  static final FilterMode INSTANCE = new FilterMode();

  /** The longest filter that can be typed. */
  private static final int MAX = 100;

  private FilterMode() {}

  @Override
  public Frame.Showing showing() {
    return Frame.Showing.FILTER;
  }

  @Override
  public Mode onKey(KeyStroke k, Context c) {
    String filter = c.selection().filter();
    Mode next = this;
    switch (k.getKeyType()) {
      case Enter -> next = MainMode.INSTANCE;
      case Escape -> {
        next = MainMode.INSTANCE;
        filter = "";
      }
      case Backspace -> {
        if (!filter.isEmpty()) {
          filter = filter.substring(0, filter.length() - 1);
        }
      }
      case Character -> {
        char ch = k.getCharacter();
        if (k.isCtrlDown() && (ch == 'u' || ch == 'c')) {
          filter = "";
          if (ch == 'c') {
            next = MainMode.INSTANCE;
          }
        } else if (!k.isCtrlDown() && !k.isAltDown() && ch >= 0x20 && filter.length() < MAX) {
          filter = filter + ch;
        }
      }
      case ArrowDown, ArrowUp -> {
        return MainMode.INSTANCE.onKey(k, c);
      }
      default -> {}
    }
    c.selection().filter(filter);
    return next;
  }

  @Override
  public Mode onMouse(MouseAction m, Context c) {
    MainMode.scrollOrClick(m, c, true);
    return this;
  }
}
