package dev.hack.node.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for a condition with a deadline instead of sleeping a fixed time. */
public final class Poll {
  private Poll() {}

  /**
   * Returns the first non-null, non-false value of {@code probe}, or fails after {@code timeout}.
   */
  public static <T> T until(Duration timeout, String what, ThrowingSupplier<T> probe)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object last = null;
    while (true) {
      T v = probe.get();
      if (v != null && !Boolean.FALSE.equals(v)) {
        return v;
      }
      last = v;
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(25);
    }
  }

  public static String text(Supplier<String> s) {
    return s.get();
  }

  /** A supplier that may throw. */
  @FunctionalInterface
  public interface ThrowingSupplier<T> {
    T get() throws Exception;
  }
}
