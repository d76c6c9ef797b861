package dev.hack.node.api;

/**
 * Text from a session (its command, its name on a peer) made safe to show in a table or a screen: a
 * control character would break the table's line or, as an escape sequence, act on the terminal of
 * whoever lists the sessions. Each one is shown as an escape instead: {@code \n}, {@code \t},
 * {@code \e}, or {@code \xHH} for the rest of C0, DEL and C1.
 */
public final class Printable {
  private Printable() {}

  /** {@code s} with every control character written as an escape; null stays null. */
  public static String of(String s) {
    if (s == null) {
      return null;
    }
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!Character.isISOControl(c)) {
        if (out != null) {
          out.append(c);
        }
        continue;
      }
      if (out == null) {
        out = new StringBuilder(s.length() + 8).append(s, 0, i);
      }
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case 0x1b -> out.append("\\e");
        default -> out.append(String.format("\\x%02x", (int) c));
      }
    }
    return out == null ? s : out.toString();
  }
}
