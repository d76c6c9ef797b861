package dev.hack.node.screen;

import java.util.ArrayList;
import java.util.List;
import org.jline.builtins.ScreenTerminal;

/** TEMPORARY stand-in over JLine's ScreenTerminal until the fixed fork lands. */
public final class VtScreen {
  private final ScreenTerminal t;
  private int cols;
  private int rows;

  public VtScreen(int columns, int rows) {
    this.cols = Math.max(2, Math.min(columns, 256));
    this.rows = Math.max(2, Math.min(rows, 256));
    this.t = new ScreenTerminal(this.cols, this.rows);
  }

  public void write(CharSequence text) {
    try {
      t.write(text);
    } catch (RuntimeException e) {
      // stand-in: skip what it cannot parse
    }
  }

  public void resize(int columns, int rows) {
    this.cols = Math.max(2, Math.min(columns, 256));
    this.rows = Math.max(2, Math.min(rows, 256));
    t.setSize(cols, this.rows);
  }

  public int columns() {
    return cols;
  }

  public int rows() {
    return rows;
  }

  public List<String> lines() {
    List<String> out = new ArrayList<>();
    for (String l : t.toString().split("\n", -1)) {
      out.add(l.stripTrailing());
    }
    return out;
  }

  public String repaint() {
    long[] cells = new long[cols * rows];
    int[] cursor = new int[2];
    t.dump(cells, 0, 0, rows, cols, cursor);
    StringBuilder sb = new StringBuilder("\u001b[0m\u001b[H\u001b[2J");
    for (int y = 0; y < rows; y++) {
      sb.append("\u001b[").append(y + 1).append(";1H");
      for (int x = 0; x < cols; x++) {
        int c = (int) (cells[y * cols + x] & 0xffffffffL);
        sb.appendCodePoint(c == 0 ? ' ' : c);
      }
    }
    sb.append("\u001b[").append(cursor[1] + 1).append(';').append(cursor[0] + 1).append('H');
    return sb.toString();
  }

  public String takeReplies() {
    return "";
  }
}
