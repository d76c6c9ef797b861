package dev.hack.keys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The directory that holds everything hack keeps on a machine ({@code HACK_HOME}, default {@code
 * ~/.hack}). Only paths are resolved here; nothing is created until a component needs it.
 */
public final class HackHome {
  private final Path root;
  private final boolean fromEnv;

  private HackHome(Path root, boolean fromEnv) {
    this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    this.fromEnv = fromEnv;
  }

  /**
   * {@code HACK_HOME} if set and non-empty, else {@code ~/.hack}.
   *
   * @throws java.nio.file.InvalidPathException if {@code HACK_HOME} is not a path (a NUL in it)
   */
  public static HackHome fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  static HackHome fromEnvironment(Map<String, String> env) {
    String value = env.get("HACK_HOME");
    if (value != null && !value.isBlank()) {
      return new HackHome(Path.of(value), true);
    }
    return at(Path.of(System.getProperty("user.home"), ".hack"));
  }

  public static HackHome at(Path root) {
    return new HackHome(root, false);
  }

  /**
   * Why this home cannot hold hack's files, as one sentence that says what to do, or null when it
   * can. A home that does not exist yet is fine if it can be created. Checked up front because the
   * first file operation to trip over it says only the path ({@code hack: /x} for a dangling
   * symlink) or a reason about some file deep inside it. Only looks: creates nothing.
   */
  public String problem() {
    String name = fromEnv ? "HACK_HOME " + root : "hack's home " + root;
    String elsewhere =
        fromEnv ? "point HACK_HOME elsewhere" : "set HACK_HOME to a directory hack can use";
    if (Files.isSymbolicLink(root) && !Files.isDirectory(root)) {
      String target = linkTarget(root);
      return Files.exists(root)
          ? name + " is a symlink to " + target + ", which is not a directory; " + elsewhere
          : name
              + " is a symlink to "
              + target
              + ", which does not exist; create "
              + target
              + " or "
              + elsewhere;
    }
    if (Files.exists(root)) {
      if (!Files.isDirectory(root)) {
        return name + " is a file, not a directory; move the file away or " + elsewhere;
      }
      if (!Files.isReadable(root) || !Files.isWritable(root) || !Files.isExecutable(root)) {
        return name
            + " is not readable and writable by you ("
            + System.getProperty("user.name")
            + owner(root)
            + "); fix its permissions (chmod u+rwx "
            + root
            + ") or "
            + elsewhere;
      }
      return null;
    }
    // not there yet: the directory it will be created in must be one that can take it
    for (Path p = root.getParent(); p != null; p = p.getParent()) {
      if (Files.isSymbolicLink(p) && !Files.exists(p)) {
        return name
            + " cannot be created: "
            + p
            + " is a symlink to "
            + linkTarget(p)
            + ", which does not exist; create "
            + linkTarget(p)
            + " or "
            + elsewhere;
      }
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          return name + " cannot be created: " + p + " is a file, not a directory; " + elsewhere;
        }
        if (!Files.isWritable(p) || !Files.isExecutable(p)) {
          return name
              + " cannot be created: "
              + p
              + " is not writable by you ("
              + System.getProperty("user.name")
              + "); create "
              + root
              + " yourself or "
              + elsewhere;
        }
        return null;
      }
    }
    return null;
  }

  /** {@code "; it belongs to OWNER"}, or nothing when the owner cannot be read. */
  private static String owner(Path p) {
    try {
      return "; it belongs to " + Files.getOwner(p).getName();
    } catch (IOException | UnsupportedOperationException e) {
      return ""; // the owner is only a hint
    }
  }

  /** Where the symlink {@code link} points, as an absolute path when it can be read. */
  private static String linkTarget(Path link) {
    try {
      Path target = Files.readSymbolicLink(link);
      return link.resolveSibling(target).normalize().toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "a path that cannot be read"; // the link went away or is unreadable: say so
    }
  }

  public Path root() {
    return root;
  }

  public Path keysDir() {
    return root.resolve("keys");
  }

  public Path hostKey() {
    return keysDir().resolve("ssh_host_ed25519_key");
  }

  public Path authorizedKeys() {
    return keysDir().resolve("authorized_keys");
  }

  public Path userKey() {
    return keysDir().resolve("id_ed25519");
  }

  public Path knownHosts() {
    return keysDir().resolve("known_hosts");
  }

  public Path config() {
    return root.resolve("config.json");
  }

  public Path registry() {
    return root.resolve("registry").resolve("nodes.json");
  }

  public Path daemonDir() {
    return root.resolve("daemon");
  }

  /** Where the keeper listens, which holds the PTY sessions' terminals (docs/durability.md). */
  public Path keeperSocket() {
    return daemonDir().resolve("keeper.sock");
  }

  public Path nodeFile() {
    return daemonDir().resolve("node.json");
  }

  public Path sessionsDir() {
    return daemonDir().resolve("sessions");
  }

  public Path jobsDir() {
    return daemonDir().resolve("jobs");
  }

  public Path gatewayDir() {
    return daemonDir().resolve("gateway");
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
