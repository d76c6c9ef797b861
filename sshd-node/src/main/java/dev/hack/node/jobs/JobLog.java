package dev.hack.node.jobs;

import dev.hack.node.supervisor.LogSource;
import dev.hack.node.supervisor.OutputLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A job's {@code output.log}: one writer appends until the log is sealed; any number of threads
 * read, concurrently with the writer and each other.
 *
 * <p>While the job runs the log is an open {@link OutputLog}. Sealing closes it, so that a node
 * with many finished jobs holds no descriptor for them; a read of a sealed log opens the file for
 * that one read. The read lock covers every use of the open log (appends included: a {@link
 * FileChannel} takes positional reads and writes concurrently); the write lock is taken only to
 * seal, so after {@link #seal()} no append is in progress and none will happen.
 */
final class JobLog implements LogSource {
  private final Path file;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private OutputLog writer; // guarded by lock; null once sealed
  private volatile long end;
  private volatile boolean complete;

  private JobLog(Path file, OutputLog writer, long end, boolean complete) {
    this.file = file;
    this.writer = writer;
    this.end = end;
    this.complete = complete;
  }

  /** Opens a log for appending (creating it, mode 0600). */
  static JobLog open(Path file) throws IOException {
    OutputLog log = OutputLog.open(file);
    return new JobLog(file, log, log.end(), false);
  }

  /** A log that is already complete, e.g. of a job recorded by an earlier run of the node. */
  static JobLog sealed(Path file) throws IOException {
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      size = 0; // a job that never wrote its log: nothing to read
    }
    return new JobLog(file, null, size, true);
  }

  @Override
  public long end() {
    return end;
  }

  /** Whether the log is sealed: no byte will be appended. */
  @Override
  public boolean complete() {
    return complete;
  }

  /**
   * Appends bytes; only the job's one writer at a time may call this. Returns false, appending
   * nothing, once the log is sealed.
   */
  boolean append(byte[] data, int off, int len) throws IOException {
    lock.readLock().lock();
    try {
      if (writer == null) {
        return false;
      }
      writer.append(data, off, len);
      end = writer.end();
      return true;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Ends the log: no byte is appended after this returns. Idempotent. */
  void seal() throws IOException {
    lock.writeLock().lock();
    try {
      complete = true;
      if (writer != null) {
        OutputLog w = writer;
        writer = null;
        w.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** See {@link Job#readLog}. */
  @Override
  public int read(long from, byte[] dst, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, dst.length);
    // complete before end: once complete is seen, the end read after it is final.
    boolean done = complete;
    long last = end;
    if (from < 0 || from > last) {
      throw new IllegalArgumentException("log offset " + from + " is outside 0.." + last);
    }
    if (from == last) {
      return done ? -1 : 0;
    }
    int want = (int) Math.min(len, last - from);
    if (want == 0) {
      return 0;
    }
    lock.readLock().lock();
    try {
      if (writer != null) {
        return writer.read(from, dst, off, want);
      }
    } finally {
      lock.readLock().unlock();
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.wrap(dst, off, want);
      while (buf.hasRemaining()) {
        int n = ch.read(buf, from + buf.position() - off);
        if (n <= 0) {
          break;
        }
      }
      return buf.position() - off;
    }
  }
}
