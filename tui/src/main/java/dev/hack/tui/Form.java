package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code n} dialog: three text fields, then which node and which type, then a Create button.
 * Render-thread only.
 *
 * <p>Focus starts on the first row (Name) and moves one row at a time: {@code Tab}/{@code ↓} down,
 * {@code Shift-Tab}/{@code ↑} up, stopping at the ends (no wrapping round). Text fields take
 * printable characters, {@code Backspace}, {@code Delete}, {@code ← → Home End} and {@code Ctrl-U}.
 * Choice fields change with {@code ← →} or a first letter (again for the next match, as in a list
 * box); any other key there is refused with a {@link #note} saying what works. {@code Enter} on any
 * row creates, {@code Esc} cancels.
 */
final class Form {
  static final String[] TYPES = {"default", "shell", "process", "tmux"};
  static final String[] LABELS = {"Name", "Command", "Dir", "Node", "Type"};
  static final int NAME = 0;
  static final int COMMAND = 1;
  static final int CWD = 2;
  static final int NODE = 3;
  static final int TYPE = 4;

  /** The row after the fields: the Create button. */
  static final int CREATE = LABELS.length;

  /**
   * The form as it is now, for drawing.
   *
   * @param field the focused row: a field's index, or {@link #CREATE}
   * @param nodeName the node chosen
   * @param type the type chosen, an index into {@link #TYPES}
   * @param text the text fields' contents, by field index
   * @param cursor where the cursor is in each text field
   * @param note why the last key did nothing, or null
   */
  record Shown(
      int field, String nodeName, int type, List<String> text, List<Integer> cursor, String note) {
    Shown {
      text = List.copyOf(text);
      cursor = List.copyOf(cursor);
    }
  }

  /** What a key did to the form. */
  enum Outcome {
    NONE,
    SUBMIT,
    CANCEL
  }

  final List<String> nodes;
  int node;
  int type;
  int field = NAME;
  final StringBuilder[] text = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
  final int[] cursor = new int[3];

  /** Why the last key did nothing, shown under the fields until the next key; or null. */
  String note;

  Form(List<String> nodes, int node) {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("no nodes");
    }
    this.nodes = List.copyOf(nodes);
    this.node = Math.max(0, Math.min(node, nodes.size() - 1));
  }

  static boolean isText(int f) {
    return f == NAME || f == COMMAND || f == CWD;
  }

  String nodeName() {
    return nodes.get(node);
  }

  String value(int f) {
    return text[f].toString().strip();
  }

  /** The type to ask for: blank for the node's default. */
  String type() {
    return type == 0 ? "" : TYPES[type];
  }

  Shown shown() {
    List<String> texts = new ArrayList<>();
    List<Integer> cursors = new ArrayList<>();
    for (int i = 0; i < text.length; i++) {
      texts.add(text[i].toString());
      cursors.add(cursor[i]);
    }
    return new Shown(field, nodeName(), type, texts, cursors, note);
  }

  Outcome key(KeyStroke k) {
    note = null;
    KeyType t = k.getKeyType();
    switch (t) {
      case Escape:
        return Outcome.CANCEL;
      case Enter:
        return Outcome.SUBMIT;
      case Tab:
      case ArrowDown:
        field = Math.min(CREATE, field + 1);
        return Outcome.NONE;
      case ReverseTab:
      case ArrowUp:
        field = Math.max(0, field - 1);
        return Outcome.NONE;
      default:
        break;
    }
    if (field == CREATE) {
      note = "Enter creates · ↑ goes back to the fields";
    } else if (isText(field)) {
      edit(k);
    } else {
      choose(k);
    }
    return Outcome.NONE;
  }

  private void choose(KeyStroke k) {
    List<String> choices = field == NODE ? nodes : List.of(TYPES);
    int at = field == NODE ? node : type;
    int n = choices.size();
    KeyType t = k.getKeyType();
    int next = at;
    if (t == KeyType.ArrowLeft) {
      next = (at + n - 1) % n;
    } else if (t == KeyType.ArrowRight) {
      next = (at + 1) % n;
    } else if (t == KeyType.Home) {
      next = 0;
    } else if (t == KeyType.End) {
      next = n - 1;
    } else if (t == KeyType.Character
        && !k.isCtrlDown()
        && !k.isAltDown()
        && Character.isLetterOrDigit(k.getCharacter())) {
      // a first letter picks the next choice that starts with it, as a list box does
      String c = String.valueOf(k.getCharacter()).toLowerCase(Locale.ROOT);
      next = -1;
      for (int i = 1; i <= n && next < 0; i++) {
        int j = (at + i) % n;
        if (choices.get(j).toLowerCase(Locale.ROOT).startsWith(c)) {
          next = j;
        }
      }
      if (next < 0) {
        next = at;
        note = "no " + LABELS[field].toLowerCase(Locale.ROOT) + " starts with " + c + hint();
      }
    } else if (t == KeyType.Backspace || t == KeyType.Delete || t == KeyType.Character) {
      note = LABELS[field] + " is a choice" + hint();
    }
    if (field == NODE) {
      node = next;
    } else {
      type = next;
    }
  }

  private static String hint() {
    return ": ← → or a first letter";
  }

  private void edit(KeyStroke k) {
    StringBuilder b = text[field];
    int c = cursor[field];
    switch (k.getKeyType()) {
      case ArrowLeft -> cursor[field] = Math.max(0, c - 1);
      case ArrowRight -> cursor[field] = Math.min(b.length(), c + 1);
      case Home -> cursor[field] = 0;
      case End -> cursor[field] = b.length();
      case Backspace -> {
        if (c > 0) {
          b.deleteCharAt(c - 1);
          cursor[field] = c - 1;
        }
      }
      case Delete -> {
        if (c < b.length()) {
          b.deleteCharAt(c);
        }
      }
      case Character -> {
        char ch = k.getCharacter();
        if (k.isCtrlDown() && (ch == 'u' || ch == 'U')) {
          b.setLength(0);
          cursor[field] = 0;
        } else if (!k.isCtrlDown() && !k.isAltDown() && ch >= 0x20 && b.length() < 1000) {
          b.insert(c, ch);
          cursor[field] = c + 1;
        }
      }
      default -> {}
    }
  }
}
