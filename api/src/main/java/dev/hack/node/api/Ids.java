package dev.hack.node.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The one rule for every id and name a client chooses (sessions, jobs, shells, projects, nodes,
 * peers): it starts with a letter or a digit, and it names exactly one path segment, so it can
 * never be {@code .}, {@code ..}, empty, or contain {@code /}. Ids may also hold {@code . _ : -}
 * (the RFC's {@code project:repo:agent:codex} form is an id); names, which appear in {@code
 * ID@NAME} and {@code HOST:PORT}, may not hold {@code :}.
 */
public final class Ids {
  /** Session, job, shell, project and node ids. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

  /** Node and peer names. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** A quoted value in a message shows at most this many characters. */
  public static final int SHOWN = 40;

  private Ids() {}

  public static boolean isId(String s) {
    return s != null && ID.matcher(s).matches();
  }

  public static boolean isName(String s) {
    return s != null && NAME.matcher(s).matches();
  }

  /**
   * Returns {@code id} if it is a valid id.
   *
   * @param kind what it names in the message: {@code "session id"}
   * @throws IllegalArgumentException showing the bad value (shortened) and the rule
   */
  public static String requireId(String kind, String id) {
    if (!isId(id)) {
      throw new IllegalArgumentException(
          "invalid "
              + kind
              + " "
              + quote(id)
              + ": start with a letter or digit, then up to 127 of A-Z a-z 0-9 . _ : -");
    }
    return id;
  }

  /** Returns {@code name} if it is a valid name; as {@link #requireId}. */
  public static String requireName(String kind, String name) {
    if (!isName(name)) {
      throw new IllegalArgumentException(
          "invalid "
              + kind
              + " "
              + quote(name)
              + ": start with a letter or digit, then up to 63 of A-Z a-z 0-9 . _ -");
    }
    return name;
  }

  /**
   * {@code dir/segment}, checked to be a direct child of {@code dir}: whatever validated {@code
   * segment} before, a path built from a client's word never leaves the directory it belongs in.
   *
   * @throws IllegalArgumentException if {@code segment} is not exactly one path segment
   */
  public static Path child(Path dir, String segment) {
    Path p = dir.resolve(segment);
    if (!isId(segment) || !p.normalize().getParent().equals(dir.normalize())) {
      throw new IllegalArgumentException("not one path segment: " + quote(segment));
    }
    return p;
  }

  /**
   * Deletes {@code target} and everything under it, but only if it is a direct child of {@code
   * owner}, the directory whoever deletes it owns. Symbolic links are deleted, never followed.
   *
   * @throws IllegalArgumentException if {@code target} is not a direct child of {@code owner}
   */
  public static void deleteChild(Path owner, Path target) throws IOException {
    Path parent = target.normalize().getParent();
    if (parent == null
        || !parent.equals(owner.normalize())
        || !isId(target.getFileName().toString())) {
      throw new IllegalArgumentException(
          "refusing to delete " + target + ": it is not an entry of " + owner);
    }
    // a file written while the tree is deleted (a session's last record, say) leaves its
    // directory not empty: walk again, a few times, before giving up
    for (int attempt = 1; ; attempt++) {
      if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      List<Path> all;
      try (Stream<Path> walk = Files.walk(target)) {
        all = walk.sorted(Comparator.reverseOrder()).toList();
      } catch (java.io.UncheckedIOException e) {
        if (attempt >= 3) {
          throw e.getCause();
        }
        continue; // an entry went away while it was listed
      }
      try {
        for (Path p : all) {
          Files.deleteIfExists(p);
        }
        return;
      } catch (java.nio.file.DirectoryNotEmptyException e) {
        if (attempt >= 3) {
          throw e;
        }
      }
    }
  }

  /** {@code 'value'}, shortened, with control characters replaced. */
  public static String quote(String s) {
    if (s == null) {
      return "(none)";
    }
    String shown = s.length() > SHOWN ? s.substring(0, SHOWN) + "..." : s;
    return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
  }
}
