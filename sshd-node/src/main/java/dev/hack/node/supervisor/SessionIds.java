package dev.hack.node.supervisor;

import dev.hack.node.api.Ids;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;

/**
 * Session ids: the rule of {@link Ids} (a letter or digit, then {@code [A-Za-z0-9._:-]}), unique
 * per node.
 */
public final class SessionIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private SessionIds() {}

  public static boolean isValid(String id) {
    return Ids.isId(id);
  }

  /**
   * Returns {@code id} if it is valid.
   *
   * @throws IllegalArgumentException with a message that shows the bad id and the rule
   */
  public static String require(String id) {
    return Ids.requireId("session id", id);
  }

  /** A short readable id from the command's program name: {@code bash-3f9a}. */
  static String generate(List<String> command, String fallback) {
    String base = fallback;
    if (command != null && !command.isEmpty()) {
      String prog = command.get(0);
      base = prog.substring(prog.lastIndexOf('/') + 1);
    }
    base = base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "");
    if (base.isEmpty() || !Character.isLetterOrDigit(base.charAt(0))) {
      base = fallback;
    }
    if (base.length() > 32) {
      base = base.substring(0, 32);
    }
    return base + "-" + String.format("%04x", RANDOM.nextInt(0x10000));
  }

  static String quote(String s) {
    return Ids.quote(s);
  }
}
