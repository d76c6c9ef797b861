package dev.hack.node.client;

import java.util.List;
import java.util.regex.Pattern;

/** Builds SSH command lines that the node splits back into exactly these words. */
public final class CommandLines {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._:/=@%+,-]+");

  private CommandLines() {}

  /** Joins words, single-quoting any that a POSIX shell would otherwise split or expand. */
  public static String join(List<String> words) {
    StringBuilder sb = new StringBuilder();
    for (String w : words) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(quote(w));
    }
    return sb.toString();
  }

  public static String quote(String word) {
    if (!word.isEmpty() && PLAIN.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
