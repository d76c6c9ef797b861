package dev.hack.tui;

import com.googlecode.lanterna.TerminalTextUtils;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Text shown to people: measured in terminal columns, cleaned of anything that is not safe to draw,
 * and the reason a call failed.
 */
final class Text {
  private Text() {}

  /**
   * {@code s} with control characters dropped, tabs as spaces and characters outside the BMP as
   * {@code ?} (Lanterna 3.1 draws strings char by char, so a surrogate pair would become two
   * garbage cells).
   */
  static String clean(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\t') {
        b.append(' ');
      } else if (Character.isHighSurrogate(c)) {
        b.append('?');
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        }
      } else if (Character.isLowSurrogate(c)) {
        b.append('?');
      } else if (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0)) {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** Exactly {@code cols} columns: cut (with … when something was cut) or padded with spaces. */
  static String fit(String s, int cols) {
    if (cols <= 0) {
      return "";
    }
    String c = clean(s);
    if (TerminalTextUtils.getColumnWidth(c) > cols) {
      c = cols == 1 ? "…" : TerminalTextUtils.fitString(c, cols - 1) + "…";
    }
    int pad = cols - TerminalTextUtils.getColumnWidth(c);
    return pad > 0 ? c + " ".repeat(pad) : c;
  }

  /** At most {@code cols} columns, cut without a mark and never padded. */
  static String cut(String s, int cols) {
    if (cols <= 0) {
      return "";
    }
    return TerminalTextUtils.fitString(clean(s), cols);
  }

  /** The end of {@code s} that fits in {@code cols} columns, never padded. */
  static String tail(String s, int cols) {
    String c = clean(s);
    int from = c.length();
    while (from > 0 && TerminalTextUtils.getColumnWidth(c.substring(from - 1)) <= cols) {
      from--;
    }
    return c.substring(from);
  }

  /** Right-aligned in exactly {@code cols} columns. */
  static String right(String s, int cols) {
    String c = cut(s, cols);
    int pad = cols - TerminalTextUtils.getColumnWidth(c);
    return pad > 0 ? " ".repeat(pad) + c : c;
  }

  static int width(String s) {
    return TerminalTextUtils.getColumnWidth(clean(s));
  }

  /** How long ago, compactly: 5s, 3m, 2h, 4d. */
  static String age(Instant then, Instant now) {
    if (then == null) {
      return "?";
    }
    long s = Math.max(0, Duration.between(then, now).getSeconds());
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return s / 60 + "m";
    }
    if (s < 86400) {
      return s / 3600 + "h";
    }
    return s / 86400 + "d";
  }

  static Instant parse(String iso) {
    try {
      return iso == null ? null : Instant.parse(iso);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Why {@code e} happened, in its own words: the cause's message, or its class's name. */
  static String reason(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip();
  }
}
