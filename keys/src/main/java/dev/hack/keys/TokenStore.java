package dev.hack.keys;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Gateway tokens (seed 001): scoped bearer secrets of which only a SHA-256 hash is stored, in
 * {@code daemon/gateway/tokens.json} (0600). A token reads {@code hk_<id>_<secret>}: the id finds
 * the record, the secret is compared by hash in constant time. Revoked and expired tokens never
 * verify. Thread-safe; writes are locked and atomic, so the CLI and a running node can share the
 * file.
 */
public final class TokenStore {
  /** What a token may do; each scope includes the ones before it. */
  public enum Scope {
    READ,
    WRITE,
    ADMIN;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public boolean allows(Scope needed) {
      return compareTo(needed) >= 0;
    }

    public static Scope parse(String s) {
      for (Scope x : values()) {
        if (x.wireName().equals(s)) {
          return x;
        }
      }
      throw new IllegalArgumentException("unknown scope '" + s + "': use read, write or admin");
    }
  }

  /** One stored token, without its secret. */
  public record Token(
      String id,
      String label,
      String scope,
      String hash,
      @SerializedName("created_at") String createdAt,
      @SerializedName("expires_at") String expiresAt,
      @SerializedName("revoked_at") String revokedAt,
      @SerializedName("last_used") String lastUsed) {

    public Scope scopeValue() {
      return Scope.parse(scope);
    }

    /** What clients may see of the token (never its hash): for listings in the CLI and the API. */
    public java.util.Map<String, Object> view() {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("id", id);
      m.put("label", label);
      m.put("scope", scope);
      m.put("created_at", createdAt);
      m.put("expires_at", expiresAt);
      m.put("revoked_at", revokedAt);
      m.put("last_used", lastUsed);
      m.put("state", state(Instant.now()));
      return m;
    }

    /** {@code revoked}, {@code expired} or {@code active}: what a listing shows. */
    public String state(Instant now) {
      if (revokedAt != null) {
        return "revoked";
      }
      return usableAt(now) ? "active" : "expired";
    }

    boolean usableAt(Instant now) {
      return revokedAt == null && (expiresAt == null || now.isBefore(Instant.parse(expiresAt)));
    }

    Token withLastUsed(Instant t) {
      return new Token(id, label, scope, hash, createdAt, expiresAt, revokedAt, t.toString());
    }

    Token revoked(Instant t) {
      return new Token(id, label, scope, hash, createdAt, expiresAt, t.toString(), lastUsed);
    }
  }

  /** A new token: the only time its secret exists outside the client. */
  public record Created(
      String id, String token, String scope, @SerializedName("expires_at") String expiresAt) {}

  private record File(int version, List<Token> tokens) {}

  private static final Gson GSON =
      new GsonBuilder().serializeNulls().setPrettyPrinting().disableHtmlEscaping().create();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration LAST_USED_GRANULARITY = Duration.ofMinutes(1);
  private static final System.Logger LOG = System.getLogger(TokenStore.class.getName());

  private final Path file;

  public TokenStore(Path file) {
    this.file = file;
  }

  public static TokenStore open(HackHome home) {
    return new TokenStore(home.gatewayDir().resolve("tokens.json"));
  }

  public Path file() {
    return file;
  }

  /**
   * Creates a token.
   *
   * @param ttl how long it is valid, or null for no expiry
   */
  public Created create(Scope scope, Duration ttl, String label) throws IOException {
    byte[] idBytes = new byte[6];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(idBytes);
    RANDOM.nextBytes(secret);
    String id = HexFormat.of().formatHex(idBytes);
    String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Instant now = Instant.now();
    String expires = ttl == null ? null : now.plus(ttl).toString();
    Token t =
        new Token(
            id, label, scope.wireName(), hash(secretText), now.toString(), expires, null, null);
    modify(
        list -> {
          list.add(t);
          return null;
        });
    return new Created(id, "hk_" + id + "_" + secretText, scope.wireName(), expires);
  }

  /** The usable token {@code presented} names, if any; records when it was last used. */
  public Optional<Token> verify(String presented) throws IOException {
    if (presented == null || !presented.startsWith("hk_") || presented.length() > 200) {
      return Optional.empty();
    }
    int sep = presented.indexOf('_', 3);
    if (sep < 0) {
      return Optional.empty();
    }
    String id = presented.substring(3, sep);
    byte[] offered = hash(presented.substring(sep + 1)).getBytes(StandardCharsets.US_ASCII);
    Instant now = Instant.now();
    for (Token t : read().tokens()) {
      if (t.id().equals(id)) {
        boolean match =
            MessageDigest.isEqual(t.hash().getBytes(StandardCharsets.US_ASCII), offered);
        if (!match || !t.usableAt(now)) {
          return Optional.empty();
        }
        if (t.lastUsed() == null
            || Instant.parse(t.lastUsed()).plus(LAST_USED_GRANULARITY).isBefore(now)) {
          try {
            modify(
                list -> {
                  list.replaceAll(x -> x.id().equals(id) ? x.withLastUsed(now) : x);
                  return null;
                });
          } catch (IOException e) {
            // "last used" is a note, not a check: a full disk must not turn every request into a
            // failure (the gateway once answered 500 to GET /v1/status on one)
            LOG.log(
                System.Logger.Level.WARNING,
                "cannot record when token " + id + " was last used in " + file + ": " + e);
          }
        }
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  public List<Token> list() throws IOException {
    return read().tokens();
  }

  /**
   * Revokes a token.
   *
   * @throws IllegalArgumentException if there is no token with that id
   */
  public void revoke(String id) throws IOException {
    boolean found =
        modify(
            list -> {
              boolean any = false;
              Instant now = Instant.now();
              for (int i = 0; i < list.size(); i++) {
                if (list.get(i).id().equals(id)) {
                  list.set(i, list.get(i).revoked(now));
                  any = true;
                }
              }
              return any;
            });
    if (!found) {
      throw new IllegalArgumentException("no token " + id + "; see: hack gateway token-list");
    }
  }

  private interface Change<T> {
    T apply(List<Token> tokens);
  }

  private <T> T modify(Change<T> change) throws IOException {
    return FileLocks.withLock(
        file.resolveSibling(file.getFileName() + ".lock"),
        file.toString(),
        LOCK_TIMEOUT,
        () -> {
          List<Token> tokens = new ArrayList<>(read().tokens());
          T result = change.apply(tokens);
          FileModes.writeAtomically(
              file,
              (GSON.toJson(new File(1, tokens)) + "\n").getBytes(StandardCharsets.UTF_8),
              false);
          return result;
        });
  }

  /** The parsed file and the stamp it was read at. */
  private record Cached(Object key, Instant modified, long size, File file) {}

  private volatile Cached cache;

  /**
   * The file's contents. Every request to the gateway verifies a token, so the parsed file is kept
   * until the file changes (writes replace it atomically, so its stamp changes).
   */
  private File read() throws IOException {
    if (!Files.exists(file)) {
      return new File(1, List.of());
    }
    java.nio.file.attribute.BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
    } catch (java.nio.file.NoSuchFileException e) {
      return new File(1, List.of());
    }
    Cached c = cache;
    Instant modified = attrs.lastModifiedTime().toInstant();
    if (c != null
        && java.util.Objects.equals(c.key(), attrs.fileKey())
        && c.modified().equals(modified)
        && c.size() == attrs.size()) {
      return c.file();
    }
    try {
      File f = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), File.class);
      if (f == null || f.tokens() == null) {
        f = new File(1, List.of());
      }
      f = new File(f.version(), List.copyOf(f.tokens()));
      cache = new Cached(attrs.fileKey(), modified, attrs.size(), f);
      return f;
    } catch (JsonParseException e) {
      throw new IOException(
          file + " is not a token file (" + e.getMessage() + "); fix or remove it");
    }
  }

  static String hash(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
