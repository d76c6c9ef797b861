package dev.hack.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/**
 * An OpenSSH {@code authorized_keys} file: who may log in to this node.
 *
 * <p>The file is re-read whenever its size or modification time changes, so edits take effect on
 * the next login without a restart. A line that cannot be parsed is skipped with a warning naming
 * the file and line number; it never makes the whole file unusable. Thread-safe.
 */
public final class AuthorizedKeys {
  /** One usable line of the file. */
  public record Entry(int line, PublicKey key, String type, String fingerprint, String comment) {
    public Entry {
      Objects.requireNonNull(key, "key");
    }
  }

  private final Path file;
  private final Consumer<String> warnings;
  private Object stamp;
  private List<Entry> entries = List.of();

  /**
   * @param warnings receives one human-readable sentence per malformed line, each time the file is
   *     (re)loaded
   */
  public AuthorizedKeys(Path file, Consumer<String> warnings) {
    this.file = Objects.requireNonNull(file, "file");
    this.warnings = Objects.requireNonNull(warnings, "warnings");
  }

  public Path file() {
    return file;
  }

  /** Whether {@code key} is listed in the file as it is on disk now. */
  public boolean isAuthorized(PublicKey key) {
    for (Entry entry : entries()) {
      if (KeyUtils.compareKeys(entry.key(), key)) {
        return true;
      }
    }
    return false;
  }

  /** The usable entries of the file as it is on disk now (empty if it does not exist). */
  public synchronized List<Entry> entries() {
    Object current = stampOf(file);
    if (!Objects.equals(current, stamp)) {
      entries = current == null ? List.of() : parse(read(file), file.toString(), warnings);
      stamp = current;
    }
    return entries;
  }

  /**
   * Appends the keys in {@code text} (authorized_keys lines) that are not already present.
   *
   * @return how many keys were added
   * @throws IllegalArgumentException naming the first line that is not a public key; nothing is
   *     written in that case
   */
  public synchronized int authorize(String text) throws IOException {
    List<String> lines = text.lines().map(String::strip).toList();
    List<Entry> parsed =
        parse(
            lines,
            "input",
            w -> {
              throw new IllegalArgumentException(
                  w.replace(" was skipped: ", ": ") + "; nothing was authorized");
            });
    if (parsed.isEmpty()) {
      throw new IllegalArgumentException("no public key found in the input");
    }
    List<Entry> existing = entries();
    StringBuilder append = new StringBuilder();
    int added = 0;
    for (Entry entry : parsed) {
      boolean known =
          existing.stream().anyMatch(e -> KeyUtils.compareKeys(e.key(), entry.key()))
              || parsed.subList(0, parsed.indexOf(entry)).stream()
                  .anyMatch(e -> KeyUtils.compareKeys(e.key(), entry.key()));
      if (!known) {
        append.append(lines.get(entry.line() - 1)).append('\n');
        added++;
      }
    }
    if (added > 0) {
      FileModes.ensurePrivateDir(file.toAbsolutePath().getParent());
      String before = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      if (!before.isEmpty() && !before.endsWith("\n")) {
        before += "\n";
      }
      FileModes.writeAtomically(file, (before + append).getBytes(StandardCharsets.UTF_8), false);
    }
    return added;
  }

  /**
   * Removes every line that authorizes {@code key}; other lines (comments, other keys, lines that
   * do not parse) are kept as they are.
   *
   * @return how many lines were removed
   */
  public synchronized int revoke(PublicKey key) throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    StringBuilder kept = new StringBuilder();
    int removed = 0;
    for (String line : lines) {
      List<Entry> e = parse(List.of(line), "file", w -> {});
      if (!e.isEmpty() && KeyUtils.compareKeys(e.get(0).key(), key)) {
        removed++;
      } else {
        kept.append(line).append('\n');
      }
    }
    if (removed > 0) {
      FileModes.writeAtomically(file, kept.toString().getBytes(StandardCharsets.UTF_8), false);
    }
    return removed;
  }

  /**
   * The usable entries of {@code lines} in authorized_keys format; each line that is not one is
   * reported to {@code warnings} (naming {@code source} and the line) and skipped.
   */
  public static List<Entry> parse(List<String> lines, String source, Consumer<String> warnings) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line);
        if (entry == null) {
          continue;
        }
        if (entry.getLoginOptions() != null && !entry.getLoginOptions().isEmpty()) {
          // from=, command=, restrict... are promises hack does not keep: refusing the key is
          // safer than letting it in without them
          throw new IllegalArgumentException(
              "key options ("
                  + String.join(",", entry.getLoginOptions().keySet())
                  + ") are not supported, so this key is not accepted");
        }
        PublicKey key = entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
        if (key == null) {
          throw new IllegalArgumentException("unsupported key type " + entry.getKeyType());
        }
        out.add(
            new Entry(
                i + 1,
                key,
                entry.getKeyType(),
                KeyUtils.getFingerPrint(key),
                entry.getComment() == null ? "" : entry.getComment()));
      } catch (Exception e) {
        warnings.accept(
            source
                + " line "
                + (i + 1)
                + " was skipped: "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      }
    }
    return List.copyOf(out);
  }

  private static List<String> read(Path file) {
    try {
      // Decoded leniently: a byte that is not UTF-8 (say, in a comment) spoils its own line, if
      // any, as the class promises; readAllLines would throw and empty the whole file.
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static Object stampOf(Path file) {
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      return List.of(attrs.lastModifiedTime(), attrs.size(), String.valueOf(attrs.fileKey()));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return null;
    }
  }
}
