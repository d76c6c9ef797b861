package dev.hack.node.supervisor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A session's output, every byte in order, addressed by byte offset from the start of the session.
 * One thread appends (the session's PTY reader); any thread may read any range that has been
 * appended, concurrently. Readers find out about new bytes through {@link #end()}, which is
 * published only after the bytes are in the file.
 */
public final class OutputLog implements LogSource, AutoCloseable {
  private final Path file;
  private final FileChannel channel;
  private volatile long end;

  private OutputLog(Path file, FileChannel channel, long end) {
    this.file = file;
    this.channel = channel;
    this.end = end;
  }

  /** Opens (creating if needed) the log at {@code file}; appends continue after what is there. */
  public static OutputLog open(Path file) throws IOException {
    FileChannel ch =
        FileChannel.open(
            file,
            java.util.Set.of(
                StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    return new OutputLog(file, ch, ch.size());
  }

  public Path file() {
    return file;
  }

  /** The offset one past the last byte appended: the log's size. */
  @Override
  public long end() {
    return end;
  }

  /**
   * Re-reads the file's size, for logs another process appends to (tmux's {@code pipe-pane}).
   * Returns whether it grew.
   */
  public boolean refresh() {
    try {
      long size = channel.size();
      if (size > end) {
        end = size;
        return true;
      }
    } catch (IOException e) {
      // a closed log does not grow
    }
    return false;
  }

  /**
   * Appends {@code len} bytes. Only the owning writer thread may call this. All or nothing: when
   * the write fails (a full disk), the part that made it is cut off again, so the log never ends in
   * half a chunk and {@link #end()} does not move.
   */
  public long append(byte[] data, int off, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(data, off, len);
    long pos = end;
    try {
      while (buf.hasRemaining()) {
        pos += channel.write(buf, pos);
      }
    } catch (IOException e) {
      if (pos > end) {
        try {
          channel.truncate(end);
        } catch (IOException again) {
          e.addSuppressed(again);
        }
      }
      throw e;
    }
    end = pos;
    return pos;
  }

  /**
   * Reads up to {@code len} bytes starting at {@code from} into {@code dst}. Returns the number of
   * bytes read, 0 when {@code from} is at the end, never blocks waiting for more.
   */
  @Override
  public int read(long from, byte[] dst, int off, int len) throws IOException {
    long available = end - from;
    if (from < 0) {
      throw new IllegalArgumentException("negative offset " + from);
    }
    if (available <= 0) {
      return 0;
    }
    ByteBuffer buf = ByteBuffer.wrap(dst, off, (int) Math.min(len, available));
    int total = 0;
    while (buf.hasRemaining()) {
      int n = channel.read(buf, from + total);
      if (n <= 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
