package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal sizes a session's output was written at: one line {@code OFFSET COLUMNS ROWS} in
 * {@code sizes} beside {@code output.log} for each start and each resize, the offset being the
 * log's end at that moment. A screen rebuilt from the log after the node restarted replays each
 * size change where it happened: a full-screen program draws for the size it has, and vim's screen,
 * drawn at 80x24 and redrawn at 100x30 when a client attached, replayed at 100x30 throughout came
 * out garbled.
 *
 * <p>A line that cannot be written is logged and the session goes on: the screen is then rebuilt as
 * before, at the session's last size.
 */
final class SizeLog {
  private static final Logger LOG = LoggerFactory.getLogger(SizeLog.class);
  static final String FILE = "sizes";

  /** A size from {@code offset} on. */
  record Change(long offset, int columns, int rows) {}

  private SizeLog() {}

  static void append(Path dir, long offset, PtySize size) {
    String line = offset + " " + size.columns() + " " + size.rows() + "\n";
    try {
      Files.write(
          dir.resolve(FILE),
          line.getBytes(StandardCharsets.US_ASCII),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.warn("cannot record the terminal size in {}: {}", dir.resolve(FILE), e.toString());
    }
  }

  /**
   * The most of the file read: its last MiB (about 50,000 changes). A client that sends window
   * changes without end grows the file (as output grows the log); a node's start must not read all
   * of it. Changes before that are the least likely to matter to the replay's last 64 MiB.
   */
  static final int MAX_READ = 1 << 20;

  /** The changes in the order written; empty when there is no file; bad lines are skipped. */
  static List<Change> read(Path dir) {
    List<String> lines;
    try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(dir.resolve(FILE))) {
      long size = f.size();
      long from = Math.max(0, size - MAX_READ);
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (size - from));
      while (buf.hasRemaining() && f.read(buf, from + buf.position()) >= 0) {
        // read until full or at the end
      }
      String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
      if (from > 0) {
        text = text.substring(text.indexOf('\n') + 1); // the first line is cut: skip it
      }
      lines = text.lines().toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      LOG.warn("cannot read {}: {}", dir.resolve(FILE), e.toString());
      return List.of();
    }
    List<Change> out = new ArrayList<>();
    for (String line : lines) {
      String[] w = line.strip().split(" ");
      try {
        if (w.length == 3) {
          long offset = Long.parseLong(w[0]);
          int columns = Integer.parseInt(w[1]);
          int rows = Integer.parseInt(w[2]);
          if (offset >= 0 && columns > 0 && rows > 0) {
            PtySize s = PtySize.orDefault(columns, rows); // within the limits of any screen
            out.add(new Change(offset, s.columns(), s.rows()));
          }
        }
      } catch (RuntimeException e) {
        // a torn last line after a crash: the others still count
      }
    }
    return out;
  }
}
