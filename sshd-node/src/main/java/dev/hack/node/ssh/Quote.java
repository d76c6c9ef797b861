package dev.hack.node.ssh;

import dev.hack.node.api.Ids;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a client's words appear in the node's messages: shortened and with control characters
 * replaced, so that an error never echoes a whole command line, a file, or escape sequences into
 * the client's terminal.
 */
final class Quote {
  /** A quoted word shows at most this many characters ({@link Ids#quote}). */
  static final int MAX_WORD = Ids.SHOWN;

  /** A whole message is cut at this many characters. */
  static final int MAX_MESSAGE = 200;

  /** An error line is cut at this many characters. */
  static final int MAX_LINE = 400;

  private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

  private Quote() {}

  /**
   * {@code 'word'}, shortened to {@link #MAX_WORD} characters with {@code ...}: {@link Ids#quote}.
   */
  static String word(String s) {
    return Ids.quote(s);
  }

  /**
   * An error message that may carry the client's input anywhere in it: control characters replaced
   * and the whole cut at {@link #MAX_LINE}.
   */
  static String line(String m) {
    if (m == null) {
      return "failed";
    }
    String shown = m.replaceAll("\\p{Cntrl}", "?");
    return shown.length() > MAX_LINE ? shown.substring(0, MAX_LINE) + "..." : shown;
  }

  /**
   * A library's message about the client's input (picocli's, say), made safe to show: each quoted
   * word shortened as {@link #word}, control characters replaced, the whole cut at {@link
   * #MAX_MESSAGE}.
   */
  static String message(String m) {
    if (m == null) {
      return "invalid arguments";
    }
    Matcher q = QUOTED.matcher(m.replaceAll("\\p{Cntrl}", "?"));
    StringBuilder out = new StringBuilder();
    while (q.find()) {
      q.appendReplacement(out, Matcher.quoteReplacement(word(q.group(1))));
    }
    q.appendTail(out);
    return out.length() > MAX_MESSAGE ? out.substring(0, MAX_MESSAGE) + "..." : out.toString();
  }
}
