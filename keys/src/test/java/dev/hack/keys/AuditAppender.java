package dev.hack.keys;

import java.nio.file.Path;

/**
 * A second process appending to an audit log ({@link AuditLogTest}): {@code FILE ROTATE_BYTES KEEP
 * COUNT NAME}.
 */
public final class AuditAppender {
  private AuditAppender() {}

  public static void main(String[] args) throws Exception {
    AuditLog log =
        new AuditLog(
            Path.of(args[0]),
            AuditLog.Limits.DEFAULT
                .withRotation(Long.parseLong(args[1]), Integer.parseInt(args[2]))
                .unlimited(),
            System::nanoTime);
    int n = Integer.parseInt(args[3]);
    for (int i = 0; i < n; i++) {
      log.entry("cli", "test_line").with("detail", args[4] + " " + i).write();
    }
  }
}
