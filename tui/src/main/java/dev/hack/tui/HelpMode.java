package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.MouseAction;
import com.googlecode.lanterna.input.MouseActionType;

/** The keys, in a box, after {@code ?}. Any key or click closes it and does nothing else. */
final class HelpMode implements Mode {
  static final HelpMode INSTANCE = new HelpMode();

  private HelpMode() {}

  @Override
  public Frame.Showing showing() {
    return Frame.Showing.HELP;
  }

  @Override
  public Mode onKey(KeyStroke k, Context c) {
    return MainMode.INSTANCE;
  }

  @Override
  public Mode onMouse(MouseAction m, Context c) {
    return m.getActionType() == MouseActionType.CLICK_DOWN ? MainMode.INSTANCE : this;
  }
}
