package dev.hack.keys;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Read-modify-write of a shared file by several hack processes (and threads): an exclusive OS lock
 * on a sibling lock file, plus an in-process lock because the OS lock is per process. Waiting is
 * bounded.
 */
public final class FileLocks {
  private static final Map<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

  private FileLocks() {}

  /** What runs while the lock is held. */
  public interface Body<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code body} holding the lock on {@code lockFile} (created 0600 in a 0700 directory).
   *
   * @param what names the protected file in the timeout message
   * @throws IOException if the lock stays taken for {@code timeout}, or from {@code body}
   */
  public static <T> T withLock(Path lockFile, String what, Duration timeout, Body<T> body)
      throws IOException {
    Path key = lockFile.toAbsolutePath().normalize();
    ReentrantLock local = LOCKS.computeIfAbsent(key, p -> new ReentrantLock());
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!local.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw timedOut(what, lockFile, timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the lock on " + lockFile);
    }
    try {
      FileModes.ensurePrivateDir(key.getParent());
      boolean posix = key.getFileSystem().supportedFileAttributeViews().contains("posix");
      FileAttribute<?>[] attrs =
          posix
              ? new FileAttribute<?>[] {
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
              }
              : new FileAttribute<?>[0];
      try (FileChannel channel =
              FileChannel.open(
                  key, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), attrs);
          FileLock lock = lockWithin(channel, deadline, what, lockFile, timeout)) {
        return body.run();
      }
    } finally {
      local.unlock();
    }
  }

  /** Polls for the lock so that waiting is bounded; FileChannel.lock() would wait forever. */
  private static FileLock lockWithin(
      FileChannel channel, long deadline, String what, Path lockFile, Duration timeout)
      throws IOException {
    while (true) {
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return lock;
      }
      if (System.nanoTime() - deadline > 0) {
        throw timedOut(what, lockFile, timeout);
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for the lock on " + lockFile);
      }
    }
  }

  private static IOException timedOut(String what, Path lockFile, Duration timeout) {
    return new IOException(
        what
            + " is locked by another hack process (lock file "
            + lockFile
            + ") and stayed locked for "
            + timeout.toSeconds()
            + " s; try again");
  }
}
