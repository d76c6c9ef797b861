package dev.hack.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import java.util.List;

/**
 * The {@code n} dialog: which node, which type, and three text fields. Render-thread only. Choice
 * fields change with ← and →; text fields take printable characters, Backspace, Delete, ← → Home
 * End and Ctrl-U.
 */
final class Form {
  static final String[] TYPES = {"default", "shell", "process", "tmux"};
  static final String[] LABELS = {"Node", "Type", "Name", "Dir", "Command"};
  static final int NODE = 0;
  static final int TYPE = 1;
  static final int NAME = 2;
  static final int CWD = 3;
  static final int COMMAND = 4;

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
  final StringBuilder[] text = {
    null, null, new StringBuilder(), new StringBuilder(), new StringBuilder()
  };
  final int[] cursor = new int[5];

  Form(List<String> nodes, int node) {
    this.nodes = List.copyOf(nodes);
    this.node = Math.max(0, Math.min(node, nodes.size() - 1));
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

  Outcome key(KeyStroke k) {
    KeyType t = k.getKeyType();
    switch (t) {
      case Escape:
        return Outcome.CANCEL;
      case Enter:
        return Outcome.SUBMIT;
      case Tab:
      case ArrowDown:
        field = (field + 1) % LABELS.length;
        return Outcome.NONE;
      case ReverseTab:
      case ArrowUp:
        field = (field + LABELS.length - 1) % LABELS.length;
        return Outcome.NONE;
      default:
        break;
    }
    if (field == NODE || field == TYPE) {
      int n = field == NODE ? nodes.size() : TYPES.length;
      int d = t == KeyType.ArrowLeft ? -1 : t == KeyType.ArrowRight || isChar(k, ' ') ? 1 : 0;
      if (field == NODE) {
        node = (node + d + n) % n;
      } else {
        type = (type + d + n) % n;
      }
      return Outcome.NONE;
    }
    StringBuilder b = text[field];
    int c = cursor[field];
    switch (t) {
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
    return Outcome.NONE;
  }

  private static boolean isChar(KeyStroke k, char c) {
    return k.getKeyType() == KeyType.Character && k.getCharacter() == c;
  }
}
