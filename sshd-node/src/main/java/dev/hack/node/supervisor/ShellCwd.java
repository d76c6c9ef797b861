package dev.hack.node.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The working directory of a running process: Linux's {@code /proc/PID/cwd}. */
final class ShellCwd {
  private ShellCwd() {}

  /** Where {@code pid} is now, or null when it cannot be known (gone, or not Linux). */
  static String of(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")).toString();
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return null;
    }
  }
}
