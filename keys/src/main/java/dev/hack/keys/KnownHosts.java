package dev.hack.keys;

import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.config.hosts.KnownHostHashValue;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host keys of the nodes that hack clients connect to, trusted on first use, in an OpenSSH {@code
 * known_hosts} file ({@code HACK_HOME/keys/known_hosts}): {@code host ssh-ed25519 AAAA...} for port
 * 22 and {@code [host]:port ssh-ed25519 AAAA...} for any other port, so {@code ssh-keygen -F} and
 * {@code ssh-keygen -R} work on it. Hashed host names ({@code |1|...}), host lists, wildcards and
 * the {@code @revoked} marker are understood when reading; {@code @cert-authority} lines are
 * ignored. Host names are compared in lower case, as OpenSSH does.
 *
 * <p>A host is {@linkplain Verdict#CHANGED changed} when the file holds keys for it and none of
 * them is the one offered (whatever their type), or when the offered key is {@code @revoked}.
 *
 * <p>A line that cannot be parsed is skipped with a warning naming the file and line number; it
 * never makes the file unusable, and comments, blank lines and lines this class does not understand
 * are kept as they are when the file is rewritten.
 *
 * <p>Thread-safe. Every call reads the file as it is on disk now. A change holds a lock (within
 * this JVM, and through a {@link FileLock} on the sibling {@code known_hosts.lock} across
 * processes), re-reads the file and replaces it atomically at mode 0600 (its directory is created
 * at 0700), so concurrent clients do not lose each other's entries. Calls block on file I/O, and
 * changes on the lock for at most 10 seconds.
 */
public final class KnownHosts {
  /** What the file says about a key offered by a host. */
  public enum Verdict {
    /** The key is on file for this host and port. */
    KNOWN,
    /** No key is on file for this host and port: first contact. */
    NEW,
    /** Other keys are on file for this host and port, or this key is revoked: refuse it. */
    CHANGED
  }

  private static final Logger LOG = LoggerFactory.getLogger(KnownHosts.class);
  private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(10);

  /** One lock per file in this JVM: a FileLock is held per process, not per thread. */
  private final Path file;

  private final Path lockFile;
  private final Consumer<String> warnings;

  /** A file whose malformed lines are reported to this class's logger. */
  public KnownHosts(Path file) {
    this(file, LOG::warn);
  }

  /**
   * @param warnings receives one sentence per malformed line, each time the file is read
   */
  public KnownHosts(Path file, Consumer<String> warnings) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
    this.warnings = Objects.requireNonNull(warnings, "warnings");
  }

  public Path file() {
    return file;
  }

  /**
   * Whether {@code key} is the key on file for {@code host} at {@code port}.
   *
   * @throws IllegalArgumentException for a host that is empty or holds spaces, commas, brackets or
   *     pattern characters, or a port outside 1..65535
   */
  public Verdict check(String host, int port, PublicKey key) throws IOException {
    Objects.requireNonNull(key, "key");
    String h = normalize(host, port);
    boolean any = false;
    for (Line line : read(file, warnings)) {
      if (!line.matches(h, port)) {
        continue;
      }
      boolean same = KeyUtils.compareKeys(line.key(), key);
      if (line.revoked()) {
        if (same) {
          return Verdict.CHANGED;
        }
      } else if (same) {
        return Verdict.KNOWN;
      } else {
        any = true;
      }
    }
    return any ? Verdict.CHANGED : Verdict.NEW;
  }

  /** The first key on file for {@code host} at {@code port} (not a revoked one). */
  public Optional<PublicKey> lookup(String host, int port) throws IOException {
    String h = normalize(host, port);
    return read(file, warnings).stream()
        .filter(line -> line.matches(h, port) && !line.revoked())
        .map(Line::key)
        .findFirst();
  }

  /**
   * Appends {@code host ssh-... AAAA...} unless {@code key} is already on file for this host and
   * port. Other keys for the host stay: to accept a key that {@linkplain Verdict#CHANGED changed},
   * {@link #forget} the host first.
   */
  public void remember(String host, int port, PublicKey key) throws IOException {
    Objects.requireNonNull(key, "key");
    String h = normalize(host, port);
    String entry =
        KnownHostHashValue.createHostPattern(h, port) + " " + PublicKeyEntry.toString(key);
    withLock(
        () -> {
          String before = readText(file);
          for (Line line : read(before.lines().toList(), file, warnings)) {
            if (line.matches(h, port) && !line.revoked() && KeyUtils.compareKeys(line.key(), key)) {
              return;
            }
          }
          if (!before.isEmpty() && !before.endsWith("\n")) {
            before += "\n";
          }
          write(before + entry + "\n");
        });
  }

  /**
   * Removes the keys on file for {@code host} at {@code port}: hashed lines for it are removed, and
   * the host is taken out of plain lines (a line that names only it is removed). {@code @revoked}
   * lines and lines that match the host only through a wildcard pattern are left alone.
   */
  public void forget(String host, int port) throws IOException {
    String h = normalize(host, port);
    withLock(
        () -> {
          String text = readText(file);
          List<String> lines = text.lines().collect(Collectors.toCollection(ArrayList::new));
          Map<Integer, Line> parsed = new HashMap<>();
          read(lines, file, w -> {}).forEach(l -> parsed.put(l.number(), l));
          boolean changed = false;
          List<String> out = new ArrayList<>();
          for (int i = 0; i < lines.size(); i++) {
            Line line = parsed.get(i + 1);
            String kept = line == null || line.revoked() ? lines.get(i) : without(line, h, port);
            if (kept == null || !kept.equals(lines.get(i))) {
              changed = true;
            }
            if (kept != null) {
              out.add(kept);
            }
          }
          if (changed) {
            write(out.isEmpty() ? "" : String.join("\n", out) + "\n");
          }
        });
  }

  /**
   * The warning to print, in the words of OpenSSH's, when a host offers a key other than the one on
   * file ({@link Verdict#CHANGED}): both fingerprints, the offending lines of {@code file} and the
   * commands that remove them. It never throws; if {@code file} cannot be read, the line numbers
   * are left out.
   *
   * @param expected the key on file ({@link #lookup}), or null when the offered key was revoked
   */
  public static String changedKeyWarning(
      String host, int port, PublicKey expected, PublicKey offered, Path file) {
    Objects.requireNonNull(offered, "offered");
    String pattern = KnownHostHashValue.createHostPattern(host.toLowerCase(Locale.ROOT), port);
    List<Integer> offending = new ArrayList<>();
    boolean revoked = false;
    try {
      for (Line line : read(file, w -> {})) {
        if (line.matches(host.toLowerCase(Locale.ROOT), port)) {
          boolean same = KeyUtils.compareKeys(line.key(), offered);
          if (line.revoked() && same) {
            revoked = true;
            offending.add(line.number());
          } else if (!line.revoked() && !same) {
            offending.add(line.number());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // best effort: the warning is still right without line numbers
    }
    String bar = "@".repeat(59);
    StringBuilder sb = new StringBuilder();
    sb.append(bar).append('\n');
    sb.append("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n");
    sb.append(bar).append('\n');
    sb.append("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n");
    sb.append("Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n");
    sb.append("It is also possible that the host key of ")
        .append(pattern)
        .append(" has just been changed\n")
        .append("(for example, its HACK_HOME was deleted or the node was reinstalled).\n");
    if (revoked) {
      sb.append("The ")
          .append(KeyUtils.getKeyType(offered))
          .append(" key sent by the remote host is marked @revoked in ")
          .append(file)
          .append(":\n");
    } else {
      sb.append("The ")
          .append(KeyUtils.getKeyType(offered))
          .append(" key sent by the remote host ");
      sb.append("has the fingerprint\n");
    }
    sb.append("  ").append(KeyFiles.fingerprint(offered)).append('\n');
    if (expected != null) {
      sb.append("but the ")
          .append(KeyUtils.getKeyType(expected))
          .append(" key on file for it has the fingerprint\n")
          .append("  ")
          .append(KeyFiles.fingerprint(expected))
          .append('\n');
    }
    if (!offending.isEmpty()) {
      sb.append(offending.size() == 1 ? "Offending key in " : "Offending keys in ")
          .append(offending.stream().map(n -> file + ":" + n).collect(Collectors.joining(", ")))
          .append('\n');
    }
    sb.append("If you have verified the new key with the node's owner, remove the old one with\n")
        .append("  ssh-keygen -f ")
        .append(shellQuote(file.toString()))
        .append(" -R ")
        .append(shellQuote(pattern))
        .append('\n');
    if (!offending.isEmpty()) {
      sb.append("or delete ")
          .append(offending.size() == 1 ? "line " : "lines ")
          .append(offending.stream().map(String::valueOf).collect(Collectors.joining(", ")))
          .append(" of ")
          .append(file)
          .append(", ");
    } else {
      sb.append("or edit ").append(file).append(", ");
    }
    sb.append("then connect again.\n");
    sb.append("Host key verification failed for ").append(pattern).append('.');
    return sb.toString();
  }

  // ---- lines ----

  /** A usable line: its 1-based number, what MINA parsed and the key it holds. */
  private record Line(int number, String text, KnownHostEntry entry, PublicKey key) {
    boolean revoked() {
      return "revoked".equalsIgnoreCase(entry.getMarker());
    }

    boolean matches(String host, int port) {
      return entry.isHostMatch(host, port);
    }
  }

  private static List<Line> read(Path file, Consumer<String> warnings) throws IOException {
    return read(readText(file).lines().toList(), file, warnings);
  }

  private static List<Line> read(List<String> lines, Path file, Consumer<String> warnings) {
    List<Line> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String text = lines.get(i).strip();
      if (text.isEmpty() || text.startsWith("#")) {
        continue;
      }
      try {
        KnownHostEntry entry = KnownHostEntry.parseKnownHostEntry(text);
        if (entry == null || entry.getKeyEntry() == null) {
          throw new IllegalArgumentException("no key");
        }
        String marker = entry.getMarker();
        if (marker != null && !"revoked".equalsIgnoreCase(marker)) {
          continue; // @cert-authority: hack does not use host certificates
        }
        PublicKey key = entry.getKeyEntry().resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
        if (key == null) {
          throw new IllegalArgumentException(
              "unsupported key type " + entry.getKeyEntry().getKeyType());
        }
        out.add(new Line(i + 1, lines.get(i), entry, key));
      } catch (Exception e) {
        warnings.accept(
            file
                + " line "
                + (i + 1)
                + " is not a valid known_hosts entry and was skipped: "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      }
    }
    return out;
  }

  /**
   * {@code line} without the plain host pattern for {@code host:port}; null when nothing is left of
   * it, unchanged for hashed lines that do not match and lines that match only through a wildcard.
   */
  private static String without(Line line, String host, int port) {
    if (!line.matches(host, port)) {
      return line.text();
    }
    if (line.entry().getHashedEntry() != null) {
      return null;
    }
    // the host field is the first word of the line (there is no marker: revoked lines stay)
    String text = line.text();
    int start = 0;
    while (start < text.length() && Character.isWhitespace(text.charAt(start))) {
      start++;
    }
    int end = start;
    while (end < text.length() && !Character.isWhitespace(text.charAt(end))) {
      end++;
    }
    List<String> kept = new ArrayList<>();
    for (String pattern : text.substring(start, end).split(",")) {
      if (!samePattern(pattern, host, port)) {
        kept.add(pattern);
      }
    }
    if (kept.isEmpty()) {
      return null;
    }
    return text.substring(0, start) + String.join(",", kept) + text.substring(end);
  }

  private static boolean samePattern(String pattern, String host, int port) {
    String p = pattern.toLowerCase(Locale.ROOT);
    return p.equals(KnownHostHashValue.createHostPattern(host, port))
        || p.equals("[" + host + "]:" + port);
  }

  // ---- the file ----

  private static String readText(Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return "";
    } catch (CharacterCodingException e) {
      // refused rather than read around: a host line spoilt this way must not make a changed key
      // look new; its own message is only "Input length = 1"
      throw new IOException(
          file + " is not UTF-8 text, so no host key in it can be checked; fix or move it");
    }
  }

  private void write(String text) throws IOException {
    FileModes.writeAtomically(file, text.getBytes(StandardCharsets.UTF_8), false);
  }

  private interface Change {
    void run() throws IOException;
  }

  private void withLock(Change change) throws IOException {
    FileLocks.withLock(
        lockFile,
        file.toString(),
        LOCK_TIMEOUT,
        () -> {
          change.run();
          return null;
        });
  }

  /** The host in lower case, after checking that it can be written as a known_hosts pattern. */
  private static String normalize(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()
        || host.chars()
            .anyMatch(c -> Character.isWhitespace(c) || ",[]*?!|@#".indexOf(c) >= 0 || c < 0x20)) {
      throw new IllegalArgumentException(
          "invalid host \"" + host + "\": give a host name or address, without brackets or port");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
    }
    return host.toLowerCase(Locale.ROOT);
  }

  private static String shellQuote(String s) {
    return s.matches("[A-Za-z0-9_./:@%+=-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
  }
}
