package dev.hack.node.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Refuses new work on a disk that cannot hold its records. A session or a job whose metadata cannot
 * be written would be lost at the next start of the node, and one whose log cannot be written keeps
 * no output: starting it would be a promise the node cannot keep.
 */
public final class DiskSpace {
  /** Below this much free space under HACK_HOME, nothing new starts. */
  static final long MIN_FREE = 1L << 20;

  private DiskSpace() {}

  /** New work refused because the disk under HACK_HOME is full (the gateway answers 507). */
  public static final class Full extends IOException {
    public Full(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Whether {@code e} is the operating system saying the disk is full (ENOSPC). */
  public static boolean isFull(IOException e) {
    return String.valueOf(e.getMessage()).contains("No space left on device");
  }

  /**
   * @throws IOException saying what cannot start and why, when the disk that holds {@code dir} has
   *     less than {@link #MIN_FREE} bytes free
   */
  public static void require(Path dir, String what) throws IOException {
    long free;
    try {
      free = Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      return; // cannot tell: the writes that follow will say
    }
    if (free < MIN_FREE) {
      throw new Full(full(dir, what, free), null);
    }
  }

  /**
   * Whether the disk holding {@code file} has room to write again: at least {@link #MIN_FREE}, so
   * that a log on a disk that frees a few blocks now and then does not flap between failing and
   * resuming. True when it cannot tell.
   */
  static boolean hasRoom(Path file) {
    try {
      return Files.getFileStore(file).getUsableSpace() >= MIN_FREE;
    } catch (IOException e) {
      return true;
    }
  }

  private static String full(Path dir, String what, long free) {
    return "cannot "
        + what
        + ": the disk that holds "
        + dir
        + " is full ("
        + free / 1024
        + " KiB free); free some space and try again";
  }
}
