package dev.hack.node.jobs;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Job ids: {@code j_} + the creation time in milliseconds, base 36, 9 digits + 4 random base-36
 * digits, e.g. {@code j_0mhx2k9qa7f3b}. URL-safe, and within one node run they sort in creation
 * order: the time part never repeats or goes backwards.
 */
final class JobIds {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final AtomicLong LAST_MILLIS = new AtomicLong();

  private JobIds() {}

  static String next() {
    long now = System.currentTimeMillis();
    long t = LAST_MILLIS.updateAndGet(prev -> Math.max(prev + 1, now));
    String time = Long.toString(t, 36);
    StringBuilder id = new StringBuilder(15).append("j_");
    for (int i = time.length(); i < 9; i++) {
      id.append('0');
    }
    id.append(time);
    for (int i = 0; i < 4; i++) {
      id.append(Character.forDigit(RANDOM.nextInt(36), 36));
    }
    return id.toString();
  }
}
