package dev.hack.node.api;

/** A terminal size in character cells. */
public record PtySize(int columns, int rows) {
  public static final PtySize DEFAULT = new PtySize(80, 24);

  public PtySize {
    if (columns < 1 || rows < 1 || columns > 10_000 || rows > 10_000) {
      throw new IllegalArgumentException(columns + "x" + rows);
    }
  }

  /**
   * A size from a client that may not know its own: {@code ssh -tt} without a local terminal
   * reports 0x0, which means "unknown", never a real size.
   */
  public static PtySize orDefault(int columns, int rows) {
    if (columns < 1 || rows < 1 || columns > 10_000 || rows > 10_000) {
      return DEFAULT;
    }
    return new PtySize(columns, rows);
  }

  @Override
  public String toString() {
    return columns + "x" + rows;
  }
}
