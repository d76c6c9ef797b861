package dev.hack.node.client;

import java.util.Locale;

/** The detach key as people write it: {@code ^\}, {@code ^]}, {@code ctrl-x}, {@code C-x}, none. */
public final class DetachKeys {
  /** Ctrl-\, as in dtach and abduco. */
  public static final int DEFAULT = 0x1c;

  private DetachKeys() {}

  /**
   * The byte the key sends, or -1 for {@code none}.
   *
   * @throws IllegalArgumentException for anything else, naming the value
   */
  public static int parse(String key) {
    String k = key.strip();
    if (k.equalsIgnoreCase("none")) {
      return -1;
    }
    String lower = k.toLowerCase(Locale.ROOT);
    char c;
    if (k.length() == 2 && k.charAt(0) == '^') {
      c = k.charAt(1);
    } else if (lower.startsWith("ctrl-") && k.length() == 6) {
      c = k.charAt(5);
    } else if (lower.startsWith("c-") && k.length() == 3) {
      c = k.charAt(2);
    } else {
      throw invalid(key);
    }
    c = Character.toUpperCase(c);
    if (c == '?') {
      return 0x7f;
    }
    if (c < '@' || c > '_') {
      throw invalid(key);
    }
    return c - '@';
  }

  private static IllegalArgumentException invalid(String key) {
    String shown = key.length() > 20 ? key.substring(0, 20) + "..." : key;
    return new IllegalArgumentException(
        "invalid detach key '"
            + shown.replaceAll("\\p{Cntrl}", "?")
            + "': use ^X notation, e.g. ^] or ^\\");
  }
}
