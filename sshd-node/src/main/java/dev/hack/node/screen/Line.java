package dev.hack.node.screen;

import java.util.Arrays;

/**
 * One row of cells: a code point and a packed style per cell, plus combining marks for the few
 * cells that have any. The right half of a wide character holds {@link #SPACER}; every other cell
 * holds a printable code point (a blank is {@code ' '}).
 */
final class Line {
  /** Code point of the cell covered by the right half of a wide character. */
  static final int SPACER = -1;

  /** Upper bound on the UTF-16 length of the marks kept on one cell. */
  private static final int MAX_MARKS = 32;

  int[] cp;
  long[] st;

  /** Combining marks per cell, or null when no cell of the line has any. */
  String[] marks;

  Line(int columns, long style) {
    cp = new int[columns];
    st = new long[columns];
    Arrays.fill(cp, ' ');
    if (style != 0) {
      Arrays.fill(st, style);
    }
  }

  int length() {
    return cp.length;
  }

  void clear(long style) {
    Arrays.fill(cp, ' ');
    Arrays.fill(st, style);
    marks = null;
  }

  /** Blanks cells {@code [from, to)} with {@code style}; the caller has broken wide characters. */
  void fill(int from, int to, long style) {
    Arrays.fill(cp, from, to, ' ');
    Arrays.fill(st, from, to, style);
    if (marks != null) {
      Arrays.fill(marks, from, to, null);
    }
  }

  void set(int x, int c, long style) {
    cp[x] = c;
    st[x] = style;
    if (marks != null) {
      marks[x] = null;
    }
  }

  /**
   * Makes sure no wide character straddles the boundary before column {@code x}: if cell {@code x}
   * is the right half of a wide character, both halves become blanks (keeping their style).
   */
  void breakWide(int x) {
    if (x > 0 && x < cp.length && cp[x] == SPACER) {
      cp[x - 1] = ' ';
      cp[x] = ' ';
      if (marks != null) {
        marks[x - 1] = null;
      }
    }
  }

  /** Inserts {@code n} blank cells at {@code x}, pushing cells off the right edge. */
  void insertCells(int x, int n, long style) {
    int len = cp.length;
    n = Math.min(n, len - x);
    breakWide(x);
    breakWide(len - n);
    int move = len - x - n;
    System.arraycopy(cp, x, cp, x + n, move);
    System.arraycopy(st, x, st, x + n, move);
    if (marks != null) {
      System.arraycopy(marks, x, marks, x + n, move);
    }
    fill(x, x + n, style);
  }

  /** Deletes {@code n} cells at {@code x}, pulling the rest left and blanking the right end. */
  void deleteCells(int x, int n, long style) {
    int len = cp.length;
    n = Math.min(n, len - x);
    breakWide(x);
    breakWide(x + n);
    int move = len - x - n;
    System.arraycopy(cp, x + n, cp, x, move);
    System.arraycopy(st, x + n, st, x, move);
    if (marks != null) {
      System.arraycopy(marks, x + n, marks, x, move);
    }
    fill(len - n, len, style);
  }

  void addMark(int x, int mark) {
    if (marks == null) {
      marks = new String[cp.length];
    }
    String m = marks[x];
    if (m == null) {
      marks[x] = new String(Character.toChars(mark));
    } else if (m.length() < MAX_MARKS) {
      marks[x] = m + new String(Character.toChars(mark));
    }
  }

  String mark(int x) {
    return marks == null ? null : marks[x];
  }

  /** A copy with {@code columns} cells: truncated (breaking a cut wide character) or extended. */
  Line resized(int columns) {
    Line l = new Line(columns, 0);
    int n = Math.min(columns, cp.length);
    breakWide(n);
    System.arraycopy(cp, 0, l.cp, 0, n);
    System.arraycopy(st, 0, l.st, 0, n);
    if (marks != null) {
      l.marks = Arrays.copyOf(marks, columns);
    }
    return l;
  }
}
