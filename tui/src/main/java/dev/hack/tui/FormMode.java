package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import java.util.Objects;

/**
 * The new-session dialog has the keys (see {@link Form} for what each does); {@code Enter} starts
 * the session, {@code Esc} or {@code Ctrl-C} close it. The mouse does nothing.
 */
final class FormMode implements Mode {
  private final Form form;

  FormMode(Form form) {
    this.form = Objects.requireNonNull(form, "form");
  }

  /** The dialog: the keys change it in place. */
  Form form() {
    return form;
  }

  @Override
  public Frame.Showing showing() {
    return Frame.Showing.FORM;
  }

  @Override
  public Mode onKey(KeyStroke k, Context c) {
    if (k.getKeyType() == KeyType.Character && k.isCtrlDown() && k.getCharacter() == 'c') {
      return MainMode.INSTANCE;
    }
    switch (form.key(k)) {
      case CANCEL -> {
        return MainMode.INSTANCE;
      }
      case SUBMIT -> {
        c.create(form);
        return MainMode.INSTANCE;
      }
      default -> {
        return this;
      }
    }
  }
}
