package dev.hack.node.service;

import dev.hack.node.api.Ids;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a session or a job runs: the one working-directory policy of every door (SSH commands, the
 * gateway, the picker; docs/sessions.md, "Working directory").
 *
 * <ul>
 *   <li>With a registered project: inside its root. No {@code cwd} is the root; a relative one is
 *       under the root; an absolute one must be inside it. {@code ..} and symlinks may not lead
 *       out. The answer is the real path.
 *   <li>Without one: no {@code cwd} is the home directory; {@code ~/x} and a relative {@code x} are
 *       under it; an absolute one is taken as it is.
 * </ul>
 *
 * Either way the directory must exist. A refusal quotes what the client sent, cut to {@link
 * Ids#SHOWN} characters.
 */
public final class Workdirs {
  private Workdirs() {}

  /** A working directory refused, with the gateway's error code for it. */
  public static final class Refused extends IllegalArgumentException {
    private final String code;
    private final int status;

    Refused(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }

    /** {@code invalid_cwd}, or {@code project_missing} when the project's root is gone. */
    public String code() {
      return code;
    }

    /** 400, or 409 for a project whose root is gone. */
    public int status() {
      return status;
    }
  }

  /** {@code cwd} inside the project rooted at {@code projectRoot}. */
  public static Path inProject(Path projectRoot, String cwd) {
    Path root;
    try {
      root = projectRoot.toRealPath();
    } catch (IOException e) {
      throw new Refused(
          409, "project_missing", "the project's root " + projectRoot + " does not exist");
    }
    if (cwd == null || cwd.isEmpty() || cwd.equals(".")) {
      return root;
    }
    noNul(cwd);
    Path candidate = root.resolve(Path.of(cwd)).normalize();
    if (!candidate.startsWith(root)) {
      throw new Refused(
          400, "invalid_cwd", "cwd " + Ids.quote(cwd) + " is outside the project root " + root);
    }
    Path real;
    try {
      real = candidate.toRealPath();
    } catch (IOException e) {
      throw new Refused(400, "invalid_cwd", "no such directory in the project: " + Ids.quote(cwd));
    }
    if (!real.startsWith(root)) {
      throw new Refused(
          400,
          "invalid_cwd",
          "cwd " + Ids.quote(cwd) + " leads outside the project root (through a symlink)");
    }
    if (!Files.isDirectory(real)) {
      throw new Refused(400, "invalid_cwd", "cwd " + Ids.quote(cwd) + " is not a directory");
    }
    return real;
  }

  /** {@code cwd} for work outside any project: the home directory, or under it, or absolute. */
  public static Path underHome(String cwd) {
    Path home = Path.of(System.getProperty("user.home"));
    if (cwd == null || cwd.isBlank()) {
      return home;
    }
    noNul(cwd);
    Path p =
        cwd.equals("~")
            ? home
            : cwd.startsWith("~/") ? home.resolve(cwd.substring(2)) : home.resolve(cwd);
    p = p.normalize();
    if (!Files.isDirectory(p)) {
      throw new Refused(400, "invalid_cwd", "no such directory: " + Ids.quote(p.toString()));
    }
    return p;
  }

  private static void noNul(String cwd) {
    if (cwd.indexOf('\0') >= 0) {
      throw new Refused(400, "invalid_cwd", "cwd holds a NUL byte");
    }
  }
}
