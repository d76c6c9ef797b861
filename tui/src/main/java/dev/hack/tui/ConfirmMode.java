package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import java.util.Objects;

/**
 * A stop or restart waiting for {@code y} (with or without Ctrl). {@code n}, {@code q}, {@code Esc}
 * or any other control key say no; other keys are ignored, so a stray key neither confirms nor
 * loses the question. The mouse does nothing.
 */
final class ConfirmMode implements Mode {
  /**
   * The question.
   *
   * @param verb "stop" or "restart"
   * @param node the session's node, as it was when asked
   * @param id the session
   */
  record Confirm(String verb, NodeState node, String id) {
    Confirm {
      if (!verb.equals("stop") && !verb.equals("restart")) {
        throw new IllegalArgumentException("verb " + verb);
      }
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(id, "id");
    }
  }

  private final Confirm confirm;

  ConfirmMode(Confirm confirm) {
    this.confirm = Objects.requireNonNull(confirm, "confirm");
  }

  Confirm confirm() {
    return confirm;
  }

  @Override
  public Frame.Showing showing() {
    return Frame.Showing.CONFIRM;
  }

  @Override
  public Mode onKey(KeyStroke k, Context c) {
    KeyType t = k.getKeyType();
    if (t == KeyType.Character && (k.getCharacter() == 'y' || k.getCharacter() == 'Y')) {
      c.run(confirm);
      return MainMode.INSTANCE;
    }
    if (t == KeyType.Escape
        || (t == KeyType.Character
            && (k.getCharacter() == 'n'
                || k.getCharacter() == 'N'
                || k.getCharacter() == 'q'
                || k.isCtrlDown()))) {
      return MainMode.INSTANCE;
    }
    return this;
  }
}
