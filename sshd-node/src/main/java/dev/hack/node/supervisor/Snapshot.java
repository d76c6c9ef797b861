package dev.hack.node.supervisor;

/**
 * Bytes that paint a terminal screen as it was after the session's output up to {@code offset}: a
 * client that receives them and then the log from {@code offset} on sees what a client that had
 * been attached all along would see.
 */
public record Snapshot(byte[] bytes, long offset) {
  public Snapshot {
    if (offset < 0) {
      throw new IllegalArgumentException("offset " + offset);
    }
  }
}
