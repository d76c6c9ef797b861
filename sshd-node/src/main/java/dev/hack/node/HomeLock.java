package dev.hack.node;

import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;

/**
 * One node per {@code HACK_HOME}: an exclusive lock on {@code daemon/node.lock}, held while the
 * node runs and released by the OS if it dies, so a second {@code hack node serve} on the same home
 * fails before it touches the first one's sessions or {@code node.json}.
 */
final class HomeLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private HomeLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock, or null when another process (or this one) already holds it. */
  static HomeLock acquire(HackHome home) throws IOException {
    FileModes.ensurePrivateDir(home.daemonDir());
    FileChannel ch =
        FileChannel.open(
            home.daemonDir().resolve("node.lock"),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    try {
      FileLock l = ch.tryLock();
      if (l == null) {
        ch.close();
        return null;
      }
      return new HomeLock(ch, l);
    } catch (OverlappingFileLockException e) {
      ch.close();
      return null;
    }
  }

  /**
   * The lock, waiting up to {@code within} for the process that holds it to release it (by ending,
   * most often); null when it still holds it then. Polls every 10 ms: a file lock has no waiter
   * that gives up after a while, and blocking in {@code lock()} could not be interrupted.
   */
  static HomeLock await(HackHome home, java.time.Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      HomeLock l = acquire(home);
      if (l != null || System.nanoTime() - deadline > 0) {
        return l;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the channel is gone with the process anyway
    }
  }
}
