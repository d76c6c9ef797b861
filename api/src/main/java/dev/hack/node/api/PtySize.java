package dev.hack.node.api;

/**
 * A terminal size in character cells. Every size a client chooses (an SSH pty request or window
 * change, a gateway {@code cols}/{@code rows}, the picker's terminal) becomes one of these, so the
 * caps below hold at every door: a node keeps a screen model of each session, and a 10,000 x 10,000
 * terminal once ran it out of memory.
 */
public record PtySize(int columns, int rows) {
  public static final PtySize DEFAULT = new PtySize(80, 24);

  /** The widest terminal a client may ask for. */
  public static final int MAX_COLUMNS = 2_000;

  /** The tallest terminal a client may ask for. */
  public static final int MAX_ROWS = 1_000;

  /**
   * The most cells a terminal may have: a 4K display with a small font is about 700 x 200 (140,000
   * cells); this allows 500 x 500 or 2,000 x 125.
   */
  public static final int MAX_CELLS = 250_000;

  /**
   * @throws IllegalArgumentException naming the size and the cap it breaks
   */
  public PtySize {
    if (columns < 1 || rows < 1) {
      throw new IllegalArgumentException(
          "terminal size " + columns + "x" + rows + ": columns and rows must be at least 1");
    }
    if (columns > MAX_COLUMNS || rows > MAX_ROWS || (long) columns * rows > MAX_CELLS) {
      throw new IllegalArgumentException(
          "terminal size "
              + columns
              + "x"
              + rows
              + " is too large: at most "
              + MAX_COLUMNS
              + " columns, "
              + MAX_ROWS
              + " rows and "
              + MAX_CELLS
              + " cells");
    }
  }

  /**
   * A size from a client that may not know its own, or may ask for too much: {@code ssh -tt}
   * without a local terminal reports 0x0, which means "unknown" (80x24), never a real size; a size
   * past the caps is cut down to them, as a terminal larger than the node allows shows the top left
   * of the session.
   */
  public static PtySize orDefault(int columns, int rows) {
    if (columns < 1 || rows < 1) {
      return DEFAULT;
    }
    int c = Math.min(columns, MAX_COLUMNS);
    int r = Math.min(rows, MAX_ROWS);
    r = Math.min(r, MAX_CELLS / c);
    return new PtySize(c, r);
  }

  @Override
  public String toString() {
    return columns + "x" + rows;
  }
}
