package dev.hack.node.supervisor;

import dev.hack.node.platform.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Why {@code execve(2)} would refuse a program, found before anything is spawned, with the reason
 * {@code strerror(3)} gives ({@code No such file or directory}, {@code Permission denied}, {@code
 * Argument list too long}, …). Sessions and jobs both start programs through it.
 *
 * <p>Checked first because neither spawner can say it afterwards: pty4j reports a program it cannot
 * find as {@code Exec_tty error:Unknown reason}, and a child whose exec fails after the fork (a
 * directory, an environment over the kernel's limit) just exits with 127, with nothing in its log.
 *
 * <p>Stateless and thread-safe; each call does a few {@code stat(2)} calls and reads at most {@link
 * #HEADER} bytes of the program.
 */
public final class ExecCheck {
  /**
   * The longest single argument or {@code NAME=VALUE} string the Linux kernel copies for {@code
   * execve(2)}, its terminating NUL included ({@code MAX_ARG_STRLEN}, 32 pages of 4 KiB).
   */
  static final int MAX_STRING = 131_072;

  /** Bytes of a program read to tell a {@code #!} script from a binary. */
  static final int HEADER = 256;

  /** Room kept for the file name and a wrapper's arguments ({@code setsid --}). */
  private static final int RESERVE = 4096;

  private static final long ARG_MAX = argMax();

  private ExecCheck() {}

  /**
   * The total size {@code execve(2)} takes for arguments and environment together on this node:
   * {@code sysconf(_SC_ARG_MAX)}, a quarter of the stack limit (2 MiB with the usual 8 MiB).
   */
  private static long argMax() {
    long n = Platform.current().argMax();
    return n >= MAX_STRING ? n : MAX_STRING;
  }

  /**
   * Why {@code argv} cannot be started in {@code cwd} with exactly {@code env}, or null when it
   * can: the program (found on {@code env}'s {@code PATH} unless it holds a {@code /}, relative
   * names taken from {@code cwd}) must exist, be a regular file and be executable, and a {@code #!}
   * script's interpreter too; and the arguments and environment must fit the kernel's limits.
   *
   * @param shebangless whether a file that is neither a binary nor a {@code #!} script may be
   *     started (the spawner runs it with {@code /bin/sh}, as {@code execvp(3)} and the JDK do); if
   *     not, it is refused as {@code Exec format error}
   * @return one line, starting with {@code cannot start 'PROGRAM': }
   */
  public static String problem(
      List<String> argv, Path cwd, Map<String, String> env, boolean shebangless) {
    String program = argv.isEmpty() ? "" : argv.get(0);
    String why = whyNotRunnable(program, cwd, env.get("PATH"), shebangless);
    if (why == null) {
      why = tooLarge(argv, env);
    }
    return why == null ? null : "cannot start " + quote(program) + ": " + why;
  }

  /**
   * Why {@code argv} and {@code env} do not fit {@code execve(2)}'s limits, or null: one string
   * over {@link #MAX_STRING} names the variable or the argument, a total over {@link #argMax} gives
   * the sizes. Values are never shown: they may be secrets.
   */
  static String tooLarge(List<String> argv, Map<String, String> env) {
    long total = RESERVE;
    for (int i = 0; i < argv.size(); i++) {
      long n = utf8Length(argv.get(i)) + 1;
      if (n > MAX_STRING) {
        return "argument "
            + (i + 1)
            + " is "
            + (n - 1)
            + " bytes long; Linux starts no program with an argument over "
            + (MAX_STRING - 1)
            + " bytes (Argument list too long)";
      }
      total += n + 8;
    }
    String largest = null;
    long largestSize = 0;
    for (Map.Entry<String, String> e : env.entrySet()) {
      long n = utf8Length(e.getKey()) + 1 + utf8Length(e.getValue()) + 1;
      if (n > MAX_STRING) {
        return "the environment variable "
            + quote(e.getKey())
            + " is "
            + (n - 1)
            + " bytes long (NAME=VALUE); Linux starts no program with a variable over "
            + (MAX_STRING - 1)
            + " bytes (Argument list too long)";
      }
      if (n > largestSize) {
        largest = e.getKey();
        largestSize = n;
      }
      total += n + 8;
    }
    if (total > ARG_MAX) {
      return "the arguments and environment take "
          + total
          + " bytes together, over this node's limit of "
          + ARG_MAX
          + (largest == null
              ? ""
              : " (the largest variable is "
                  + quote(largest)
                  + ", "
                  + (largestSize - 1)
                  + " bytes)")
          + " (Argument list too long)";
    }
    return null;
  }

  /**
   * The file to exec for {@code program}, found as {@link #problem} finds it (on {@code env}'s
   * {@code PATH}), or null when there is none.
   */
  static Path executable(String program, Path cwd, Map<String, String> env) {
    return resolve(program, cwd, env.get("PATH"));
  }

  /**
   * The file {@code execve(2)} would run for {@code program}: itself when it holds a {@code /}
   * (relative to {@code cwd}), else the first executable regular file named so in a directory of
   * {@code path}, or null when there is none.
   */
  private static Path resolve(String program, Path cwd, String path) {
    try {
      if (program.contains("/")) {
        return cwd.resolve(program);
      }
      for (String dir : (path == null ? "" : path).split(":", -1)) {
        Path candidate = (dir.isEmpty() ? cwd : cwd.resolve(dir)).resolve(program);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    } catch (InvalidPathException e) {
      return null; // a name no file can have: not found
    }
    return null;
  }

  private static String whyNotRunnable(String program, Path cwd, String path, boolean shebangless) {
    if (program.isEmpty()) {
      return "the program name is empty";
    }
    if (!program.contains("/")) {
      if (path == null || path.isEmpty()) {
        return "No such file or directory (PATH is not set, so only a path with a / can be run)";
      }
      Path found = resolve(program, cwd, path);
      if (found == null) {
        return notOnPath(program, cwd, path);
      }
      return whyNotFile(found, shebangless);
    }
    Path file;
    try {
      file = cwd.resolve(program);
    } catch (InvalidPathException e) {
      return "No such file or directory";
    }
    return whyNotFile(file, shebangless);
  }

  /**
   * Found nowhere on PATH: ENOENT, or EACCES when a file of that name is there but not runnable.
   */
  private static String notOnPath(String program, Path cwd, String path) {
    for (String dir : path.split(":", -1)) {
      try {
        Path candidate = (dir.isEmpty() ? cwd : cwd.resolve(dir)).resolve(program);
        if (Files.isRegularFile(candidate)) {
          return "Permission denied (" + candidate + " is not executable)";
        }
      } catch (InvalidPathException e) {
        // a PATH entry no file can be under: nothing found there
      }
    }
    return "No such file or directory (not found on PATH)";
  }

  private static String whyNotFile(Path file, boolean shebangless) {
    String missing = missingPart(file);
    if (missing != null) {
      return missing;
    }
    if (Files.isDirectory(file)) {
      return "Is a directory";
    }
    if (!Files.isRegularFile(file)) {
      return "Permission denied (not a regular file)";
    }
    if (!Files.isExecutable(file)) {
      return "Permission denied (the file is not executable)";
    }
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(HEADER);
    } catch (IOException e) {
      return null; // executable but not readable (mode 0711): only the kernel can tell
    }
    if (head.length >= 2 && head[0] == '#' && head[1] == '!') {
      return whyNotInterpreter(head);
    }
    if (!shebangless && looksLikeText(head)) {
      return "Exec format error (a script needs a #! line, such as #!/bin/sh)";
    }
    return null;
  }

  /** ENOENT or ENOTDIR for a path some part of which is missing or not a directory, else null. */
  private static String missingPart(Path file) {
    if (Files.exists(file)) {
      return null;
    }
    if (Files.isSymbolicLink(file)) {
      return "No such file or directory (a symlink to a file that does not exist)";
    }
    for (Path p = file.getParent(); p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        return Files.isDirectory(p) ? "No such file or directory" : "Not a directory (" + p + ")";
      }
    }
    return "No such file or directory";
  }

  private static String whyNotInterpreter(byte[] head) {
    String line = new String(head, 2, head.length - 2, StandardCharsets.UTF_8);
    int eol = line.indexOf('\n');
    if (eol < 0 && head.length == HEADER) {
      return null; // a #! line longer than we read: the kernel decides
    }
    String words = (eol < 0 ? line : line.substring(0, eol)).strip();
    String interpreter = words.split("[ \t]", 2)[0];
    if (interpreter.isEmpty()) {
      return "Exec format error (the #! line names no interpreter)";
    }
    Path path;
    try {
      path = Path.of(interpreter);
    } catch (InvalidPathException e) {
      return "No such file or directory (its interpreter " + quote(interpreter) + ")";
    }
    if (!Files.exists(path)) {
      return "No such file or directory (its interpreter " + quote(interpreter) + ")";
    }
    if (Files.isDirectory(path) || !Files.isExecutable(path)) {
      return "Permission denied (its interpreter " + quote(interpreter) + " is not executable)";
    }
    return null;
  }

  /**
   * Whether the start of a file reads as text: no NUL byte. Binaries (ELF, and the formats {@code
   * binfmt_misc} may know) have NULs in their first bytes; a shell script without {@code #!} has
   * none.
   */
  private static boolean looksLikeText(byte[] head) {
    for (byte b : head) {
      if (b == 0) {
        return false;
      }
    }
    return true;
  }

  private static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** A value for a message: quoted, control characters replaced, long values cut. */
  public static String quote(String s) {
    if (s == null) {
      return "(none)";
    }
    String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
  }
}
