package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.input.MouseAction;

/**
 * Following the selected session's log over the whole screen, after {@code l}. {@code Esc}, {@code
 * q} or {@code l} go back, {@code Enter} goes back and attaches, {@code Ctrl-C} quits. The wheel
 * still moves the selection (and so whose log it is); clicks do nothing, there is no list to click.
 */
final class LogMode implements Mode {
  static final LogMode INSTANCE = new LogMode();

  private LogMode() {}

  @Override
  public Frame.Showing showing() {
    return Frame.Showing.LOG;
  }

  @Override
  public Mode onKey(KeyStroke k, Context c) {
    KeyType t = k.getKeyType();
    boolean back =
        t == KeyType.Escape
            || (t == KeyType.Character
                && (k.getCharacter() == 'q' || k.getCharacter() == 'l')
                && !k.isCtrlDown());
    if (back) {
      c.followLog(false);
      return MainMode.INSTANCE;
    }
    if (t == KeyType.Enter) {
      c.followLog(false);
      c.attach(false);
      return MainMode.INSTANCE;
    }
    if (t == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'c') {
      c.quit();
    } else if (t == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'l') {
      c.redrawAll();
    }
    return this;
  }

  @Override
  public Mode onMouse(MouseAction m, Context c) {
    MainMode.scrollOrClick(m, c, false);
    return this;
  }
}
