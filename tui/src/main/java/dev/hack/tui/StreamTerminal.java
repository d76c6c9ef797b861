package dev.hack.tui;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.BasicCharacterPattern;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.terminal.ansi.ANSITerminal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A Lanterna terminal over plain streams whose size we own: no {@code stty}, no {@code /dev/tty},
 * no signal handlers, no size probe. The same class carries an SSH channel (size from the pty
 * request and window changes) and the local terminal (size from JLine and SIGWINCH).
 *
 * <p>It fixes three things in Lanterna 3.1.5's stream terminal:
 *
 * <ul>
 *   <li>Enter arrives as a lone CR from SSH clients and raw ttys; the stock decoder only knows LF
 *       and telnet's CR NUL, holds the CR as a partial match and drops it with the next key.
 *   <li>{@code getTerminalSize()} moves the cursor to 5000,5000 and waits up to 5 s for a cursor
 *       report; here it answers from the size we were told.
 *   <li>{@code putString} encodes char by char (emoji become {@code ??}) and can emit NUL padding;
 *       here whole strings are encoded, and control characters are dropped so nothing drawn can
 *       smuggle escape sequences to the client.
 * </ul>
 */
final class StreamTerminal extends ANSITerminal {
  private volatile TerminalSize size;

  StreamTerminal(InputStream in, OutputStream out, int columns, int rows) {
    super(in, out, StandardCharsets.UTF_8);
    this.size = sane(columns, rows);
    onResized(size); // records the size; no listeners yet
    KeyStroke enter = new KeyStroke(KeyType.Enter);
    getInputDecoder().removePattern(new BasicCharacterPattern(enter, '\r', '\u0000'));
    getInputDecoder().addProfile(() -> List.of(new BasicCharacterPattern(enter, '\r')));
  }

  @Override
  protected TerminalSize findTerminalSize() {
    return size;
  }

  /**
   * A new size (window change, SIGWINCH). Safe from any thread: the screen queues it and applies it
   * on the render thread.
   */
  void resize(int columns, int rows) {
    size = sane(columns, rows);
    onResized(size);
  }

  @Override
  public synchronized TerminalPosition getCursorPosition() {
    return TerminalPosition.TOP_LEFT_CORNER; // the stock one probes; nothing here needs it
  }

  @Override
  public void putString(String s) throws IOException {
    StringBuilder clean = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        continue;
      }
      clean.append(c);
    }
    writeToTerminal(clean.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void putCharacter(char c) throws IOException {
    putString(String.valueOf(c));
  }

  /** {@code ssh -tt} without a local terminal reports 0x0: that means unknown, not a size. */
  static TerminalSize sane(int columns, int rows) {
    boolean ok = columns > 0 && rows > 0 && columns <= 10_000 && rows <= 10_000;
    return ok ? new TerminalSize(columns, rows) : new TerminalSize(80, 24);
  }
}
