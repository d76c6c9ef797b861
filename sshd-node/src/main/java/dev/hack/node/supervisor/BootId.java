package dev.hack.node.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Which boot of the machine this is: Linux's {@code /proc/sys/kernel/random/boot_id}, or on macOS
 * {@code sysctl -n kern.boottime}. A session records it when its program starts; a node that finds
 * the program gone and the boot changed knows the machine restarted. The system property {@code
 * hack.test.bootId} stands in for it, so that a test can simulate a reboot.
 */
final class BootId {
  private static final Path LINUX = Path.of("/proc/sys/kernel/random/boot_id");
  private static volatile String cached;

  private BootId() {}

  /** This boot's id, or null when the platform does not say. */
  static String current() {
    String forced = System.getProperty("hack.test.bootId");
    if (forced != null) {
      return forced;
    }
    String c = cached;
    if (c == null) {
      c = read();
      cached = c == null ? "" : c;
    }
    return c.isEmpty() ? null : c;
  }

  /** Whether {@code recorded} names another boot than this one (false when either is unknown). */
  static boolean changedSince(String recorded) {
    String now = current();
    return recorded != null && now != null && !recorded.equals(now);
  }

  private static String read() {
    try {
      if (Files.isReadable(LINUX)) {
        return Files.readString(LINUX, StandardCharsets.US_ASCII).strip();
      }
      Process p =
          new ProcessBuilder(List.of("sysctl", "-n", "kern.boottime"))
              .redirectErrorStream(true)
              .start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty() ? out : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
