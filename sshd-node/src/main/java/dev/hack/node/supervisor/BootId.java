package dev.hack.node.supervisor;

import dev.hack.node.platform.Platform;

/**
 * Which boot of the machine this is ({@link Platform#bootId}). A session records it when its
 * program starts; a node that finds the program gone and the boot changed knows the machine
 * restarted. The system property {@code hack.test.bootId} stands in for it, so that a test can
 * simulate a reboot.
 */
final class BootId {
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
      c = Platform.current().bootId().orElse("");
      cached = c;
    }
    return c.isEmpty() ? null : c;
  }

  /** Whether {@code recorded} names another boot than this one (false when either is unknown). */
  static boolean changedSince(String recorded) {
    String now = current();
    return recorded != null && now != null && !recorded.equals(now);
  }
}
