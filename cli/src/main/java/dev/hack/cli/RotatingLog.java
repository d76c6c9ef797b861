package dev.hack.cli;

import dev.hack.keys.AuditLog;
import dev.hack.keys.FileModes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The output of a node running in the background, {@code daemon/node.log}: appended to, and rotated
 * by size as the audit log is ({@code node.log.1} is the newest old file, {@code node.log.KEEP} the
 * oldest kept), so a node that runs for months never fills the disk. The node is its only writer:
 * {@code hack node serve --log-file} points {@code System.out} and {@code System.err} (and through
 * them slf4j-simple) here.
 *
 * <p>Thread-safe: every write is under this object's lock, and a rotation happens between two
 * writes, never inside one; a line written with one call (as {@code println} on an auto-flushing
 * {@code PrintStream} does) is never split across files. Owns its open file; {@link #close} closes
 * it.
 */
final class RotatingLog extends OutputStream {
  /** The default bounds: 10 MiB a file, 5 old files: at most 60 MiB, as the audit log. */
  static final long ROTATE_BYTES = 10L * 1024 * 1024;

  static final int KEEP = 5;

  private final Path file;
  private final long rotateBytes;
  private final int keep;
  private OutputStream out;
  private long size;
  private boolean closed;

  /**
   * Opens {@code file} for appending (created 0600 if missing).
   *
   * @param rotateBytes the size past which the next write goes to a fresh file
   * @param keep how many old files are kept ({@code file.1} … {@code file.keep})
   */
  RotatingLog(Path file, long rotateBytes, int keep) throws IOException {
    if (rotateBytes < 1 || keep < 0) {
      throw new IllegalArgumentException("log rotation: " + rotateBytes + " bytes, keep " + keep);
    }
    this.file = file.toAbsolutePath();
    this.rotateBytes = rotateBytes;
    this.keep = keep;
    open();
  }

  Path file() {
    return file;
  }

  private void open() throws IOException {
    if (file.getParent() != null) {
      FileModes.ensurePrivateDir(file.getParent());
    }
    if (!Files.exists(file)) {
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // created by the process that started us (its first lines, before the JVM ran): fine
      }
    }
    out =
        Files.newOutputStream(
            file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    size = Files.size(file);
  }

  @Override
  public synchronized void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException(file + " is closed");
    }
    if (out == null) {
      open(); // a rotation that failed (a full disk) is tried again on the next write
    }
    if (size > 0 && size + len > rotateBytes) {
      rotate();
    }
    out.write(b, off, len);
    size += len;
  }

  @Override
  public synchronized void flush() throws IOException {
    if (out != null) {
      out.flush();
    }
  }

  /** {@code file} becomes {@code file.1}, {@code .1} becomes {@code .2}, …; the oldest goes. */
  private void rotate() throws IOException {
    out.close();
    out = null;
    try {
      if (keep == 0) {
        Files.deleteIfExists(file);
      } else {
        Files.deleteIfExists(AuditLog.rotated(file, keep));
        for (int i = keep - 1; i >= 1; i--) {
          Path from = AuditLog.rotated(file, i);
          if (Files.exists(from)) {
            Files.move(from, AuditLog.rotated(file, i + 1), StandardCopyOption.ATOMIC_MOVE);
          }
        }
        if (Files.exists(file)) {
          Files.move(file, AuditLog.rotated(file, 1), StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } finally {
      open(); // whatever the renames did, writing goes on (to the old file if it is still there)
    }
  }

  @Override
  public synchronized void close() throws IOException {
    closed = true;
    if (out != null) {
      try {
        out.close();
      } finally {
        out = null;
      }
    }
  }
}
