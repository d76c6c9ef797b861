package dev.hack.node.text;

import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.screen.VtScreen;
import dev.hack.node.supervisor.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A session's output as plain text, for the picker and {@code peek}: its screen, the last lines of
 * its log, its last line. All of it comes from the end of the log file (at most {@link #TAIL}
 * bytes), read afresh each time, so it never touches the session's own threads or locks.
 */
public final class SessionText {
  /** How much of the log's end is read. */
  static final int TAIL = 64 * 1024;

  private SessionText() {}

  /**
   * The screen, rebuilt from the end of the log at the session's size: at most {@code rows} rows,
   * the window that ends at its last non-blank row, moved up if need be to keep the cursor's row in
   * view (the line being edited in a full-screen editor, the prompt in a shell). A program that
   * drew its screen long ago (more than {@link #TAIL} bytes back) shows only what it changed since.
   */
  public static List<String> screen(Session s, int rows) throws IOException {
    VtScreen screen = render(s);
    List<String> lines = screen.lines();
    int last = lastNonBlank(lines);
    int cursor = Math.min(screen.cursorY(), lines.size() - 1);
    int end = last;
    int start = Math.max(0, end - rows + 1);
    if (cursor < start) {
      start = cursor;
      end = Math.min(end, start + rows - 1);
    }
    return new ArrayList<>(trimBlankEnd(lines.subList(start, end + 1)));
  }

  private static VtScreen render(Session s) throws IOException {
    SessionInfo info = s.info();
    PtySize size = PtySize.orDefault(info.cols(), info.rows());
    VtScreen screen = new VtScreen(size.columns(), size.rows());
    screen.write(tail(s));
    return screen;
  }

  private static int lastNonBlank(List<String> lines) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (!lines.get(i).isBlank()) {
        return i;
      }
    }
    return 0;
  }

  /** The last {@code n} non-blank lines of the log as plain text, oldest first. */
  public static List<String> logTail(Session s, int n) throws IOException {
    List<String> all = plainLines(tail(s));
    List<String> out = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && out.size() < n; i--) {
      if (!all.get(i).isBlank()) {
        out.add(0, all.get(i));
      }
    }
    return out;
  }

  /**
   * The last line of output as the screen shows it: the cursor's row if it has text (a prompt, an
   * editor's line), else the nearest non-blank row above it (a build's last line); "" when there is
   * none or the session keeps no log.
   */
  public static String lastLine(Session s) {
    try {
      VtScreen screen = render(s);
      List<String> lines = screen.lines();
      for (int i = Math.min(screen.cursorY(), lines.size() - 1); i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          // a row under full-width rows is most likely the end of a wrapped line: show it whole,
          // not its last few characters
          StringBuilder line = new StringBuilder(lines.get(i));
          for (int j = i - 1; j >= 0 && fullWidth(lines.get(j), screen.columns()); j--) {
            line.insert(0, lines.get(j));
          }
          return line.toString().strip();
        }
      }
      return "";
    } catch (IOException | RuntimeException e) {
      return ""; // no log (the user's own tmux session) or unreadable: nothing to show
    }
  }

  private static boolean fullWidth(String row, int columns) {
    return row.codePointCount(0, row.length()) >= columns;
  }

  /**
   * The end of the log, decoded, starting at a line boundary when the log is longer than what is
   * read (so the text does not start inside an escape sequence or a UTF-8 character).
   */
  private static String tail(Session s) throws IOException {
    Path file = s.log().file();
    byte[] buf;
    long from;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      from = Math.max(0, size - TAIL);
      buf = new byte[(int) (size - from)];
      ByteBuffer b = ByteBuffer.wrap(buf);
      while (b.hasRemaining()) {
        if (ch.read(b, from + b.position()) < 0) {
          break;
        }
      }
    } catch (NoSuchFileException e) {
      return "";
    }
    int start = 0;
    if (from > 0) {
      int nl = indexOf(buf, (byte) '\n');
      start = nl < 0 ? 0 : nl + 1;
    }
    return new String(buf, start, buf.length - start, StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] b, byte v) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == v) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Terminal output as lines of plain text: escape sequences dropped, a carriage return starts the
   * line over (progress bars), backspace erases, tabs become spaces to the next multiple of 8.
   */
  public static List<String> plainLines(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        lines.add(line.toString());
        line.setLength(0);
      } else if (c == '\r') {
        if (i + 1 < n && text.charAt(i + 1) != '\n' && text.charAt(i + 1) != '\r') {
          line.setLength(0);
        }
      } else if (c == '\b') {
        if (line.length() > 0) {
          line.setLength(line.length() - 1);
        }
      } else if (c == '\t') {
        line.append(" ".repeat(8 - line.length() % 8));
      } else if (c == 0x1b) {
        i = skipEscape(text, i);
      } else if (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0)) {
        line.append(c);
      }
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }

  /** Returns the index of the last character of the escape sequence that starts at {@code i}. */
  private static int skipEscape(String s, int i) {
    int n = s.length();
    if (i + 1 >= n) {
      return i;
    }
    char k = s.charAt(i + 1);
    if (k == '[') { // CSI: parameters and intermediates, then a final byte 0x40-0x7e
      int j = i + 2;
      while (j < n && (s.charAt(j) < 0x40 || s.charAt(j) > 0x7e)) {
        j++;
      }
      return Math.min(j, n - 1);
    }
    if (k == ']' || k == 'P' || k == '_' || k == '^' || k == 'X') { // strings: to BEL or ESC \
      int j = i + 2;
      while (j < n) {
        char d = s.charAt(j);
        if (d == 0x07) {
          return j;
        }
        if (d == 0x1b && j + 1 < n && s.charAt(j + 1) == '\\') {
          return j + 1;
        }
        j++;
      }
      return n - 1;
    }
    if (k >= 0x20 && k <= 0x2f) { // ESC ( B and the like: intermediates, then one final
      return Math.min(i + 2, n - 1);
    }
    return i + 1; // ESC and one character
  }

  private static List<String> trimBlankEnd(List<String> lines) {
    int end = lines.size();
    while (end > 0 && lines.get(end - 1).isBlank()) {
      end--;
    }
    return new ArrayList<>(lines.subList(0, end));
  }
}
