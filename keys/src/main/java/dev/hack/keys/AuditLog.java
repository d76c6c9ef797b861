package dev.hack.keys;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's audit trail, {@code daemon/gateway/audit.jsonl} (0600): one JSON object per line
 * for every write request, auth failure, token create/revoke and WebSocket stream open/close. Never
 * holds a token secret, only token ids. Each line is one {@code O_APPEND} write, so the node and
 * the CLI can append concurrently without interleaving.
 *
 * <p>Fields: {@code ts} (ISO-8601), {@code event} ({@code request}, {@code auth_failure}, {@code
 * token_create}, {@code token_revoke}, {@code stream_open}, {@code stream_close}), then whichever
 * of {@code token_id}, {@code remote}, {@code method}, {@code path}, {@code status}, {@code error},
 * {@code stream_id}, {@code detail} apply.
 */
public final class AuditLog {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
  private final Path file;

  public AuditLog(Path file) {
    this.file = file;
  }

  public static AuditLog open(HackHome home) {
    return new AuditLog(home.gatewayDir().resolve("audit.jsonl"));
  }

  public Path file() {
    return file;
  }

  /** Starts an entry for {@code event}; add fields and call {@link Entry#write}. */
  public Entry entry(String event) {
    return new Entry(event);
  }

  /** One line being put together. */
  public final class Entry {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    private Entry(String event) {
      fields.put("ts", Instant.now().toString());
      fields.put("event", event);
    }

    /** Adds a field; null values are left out. */
    public Entry with(String key, Object value) {
      if (value != null) {
        fields.put(key, value);
      }
      return this;
    }

    /** Appends the line; an audit log that cannot be written is reported, never silently lost. */
    public void write() throws IOException {
      byte[] line = (GSON.toJson(fields) + "\n").getBytes(StandardCharsets.UTF_8);
      FileModes.ensurePrivateDir(file.getParent().getParent());
      FileModes.ensurePrivateDir(file.getParent());
      Set<StandardOpenOption> options =
          Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      try (FileChannel ch =
          Files.exists(file)
              ? FileChannel.open(file, options)
              : FileChannel.open(
                  file,
                  options,
                  PosixFilePermissions.asFileAttribute(
                      PosixFilePermissions.fromString("rw-------")))) {
        ByteBuffer b = ByteBuffer.wrap(line);
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
    }
  }
}
