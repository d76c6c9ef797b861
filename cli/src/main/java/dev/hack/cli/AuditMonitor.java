package dev.hack.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.hack.node.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The pieces of {@code hack remote monitor}: a {@link Tail} of the gateway's {@code audit.jsonl},
 * the {@link Streams} it says are open, and one readable {@link #format line} per entry. None of
 * them is thread-safe; the monitor's one thread owns them.
 */
final class AuditMonitor {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MM-dd HH:mm:ss");

  private AuditMonitor() {}

  /**
   * Whole lines appended to a file since the last {@link #poll}, like {@code tail -F}: a file that
   * does not exist yet is waited for, one that is truncated is read again from its start, and one
   * that is rotated away (renamed to {@code audit.jsonl.1}, as the audit log does at its size
   * limit) is read to its end, then the files rotated after it ({@code .2}, {@code .1} when the log
   * rotated more than once between two polls), then the new file from its start, so nothing written
   * before the rotation is missed. A line still being written is held back until its newline
   * arrives. Owns an open channel on the file; {@link #close} releases it.
   */
  static final class Tail implements AutoCloseable {
    private static final int CHUNK = 64 * 1024;

    private final Path file;
    private final int keep;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private FileChannel channel;
    private long position;
    private Object fileKey;

    /** A tail of {@code file}, rotated as the audit log does it by default. */
    Tail(Path file) {
      this(file, dev.hack.keys.AuditLog.Limits.DEFAULT.keep());
    }

    /** A tail of {@code file}, which is rotated to {@code file.1} … {@code file.KEEP}. */
    Tail(Path file, int keep) {
      this.file = file;
      this.keep = keep;
    }

    Path file() {
      return file;
    }

    /** The complete lines added since the last call; empty if there are none (or no file). */
    List<String> poll() throws IOException {
      List<String> lines = new ArrayList<>();
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(file, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        a = null;
      }
      if (channel != null && (a == null || !Objects.equals(a.fileKey(), fileKey))) {
        read(lines); // rotated or removed: what was written before that still counts
        Object old = fileKey;
        closeChannel();
        if (a != null) {
          readRotatedAfter(old, lines);
        }
      }
      if (a == null) {
        return lines;
      }
      if (channel == null) {
        try {
          channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
          return lines; // removed between the stat and the open
        }
        fileKey = a.fileKey();
        position = 0;
        partial.reset();
      } else if (channel.size() < position) {
        position = 0; // truncated: a new log in the same file
        partial.reset();
      }
      read(lines);
      return lines;
    }

    /**
     * Reads whole the files rotated after the one whose key is {@code old}: it is now {@code .K},
     * and {@code .K-1} … {@code .1} were written after it. If it is gone (more rotations than are
     * kept), every rotated file is newer.
     */
    private void readRotatedAfter(Object old, List<String> lines) throws IOException {
      int at = keep + 1;
      for (int i = 1; i <= keep; i++) {
        try {
          Path p = dev.hack.keys.AuditLog.rotated(file, i);
          if (Objects.equals(Files.readAttributes(p, BasicFileAttributes.class).fileKey(), old)) {
            at = i;
            break;
          }
        } catch (NoSuchFileException e) {
          break; // rotation fills .1 first: nothing older
        }
      }
      for (int i = at - 1; i >= 1; i--) {
        try (FileChannel ch =
            FileChannel.open(dev.hack.keys.AuditLog.rotated(file, i), StandardOpenOption.READ)) {
          channel = ch;
          position = 0;
          read(lines);
        } catch (NoSuchFileException e) {
          // not rotated that far
        } finally {
          channel = null;
          position = 0;
          partial.reset();
        }
      }
    }

    private void read(List<String> lines) throws IOException {
      channel.position(position);
      ByteBuffer buf = ByteBuffer.allocate(CHUNK);
      int n;
      while ((n = channel.read(buf)) > 0) {
        position += n;
        byte[] b = buf.array();
        int start = 0;
        for (int i = 0; i < n; i++) {
          if (b[i] == '\n') {
            partial.write(b, start, i - start);
            lines.add(partial.toString(StandardCharsets.UTF_8));
            partial.reset();
            start = i + 1;
          }
        }
        partial.write(b, start, n - start);
        buf.clear();
      }
    }

    private void closeChannel() throws IOException {
      try {
        channel.close();
      } finally {
        channel = null;
        fileKey = null;
        position = 0;
        partial.reset(); // a half line at the end of a rotated file never gets its end
      }
    }

    @Override
    public void close() throws IOException {
      if (channel != null) {
        closeChannel();
      }
    }
  }

  /**
   * The WebSocket streams the log says are open: {@code stream_open} adds one per {@code
   * stream_id}, {@code stream_close} removes it.
   */
  static final class Streams {
    private final Map<String, Instant> open = new LinkedHashMap<>();

    void accept(JsonObject e) {
      String id = string(e, "stream_id");
      if (id == null) {
        return;
      }
      switch (Objects.requireNonNullElse(string(e, "event"), "")) {
        case "stream_open" -> open.put(id, time(e).orElse(Instant.EPOCH));
        case "stream_close" -> open.remove(id);
        default -> {}
      }
    }

    /**
     * How many are open, counting only those opened at or after {@code since} (null: all). A node
     * that dies without closing its streams leaves opens without closes; counting from the running
     * node's start leaves those out.
     */
    int count(Instant since) {
      if (since == null) {
        return open.size();
      }
      return (int) open.values().stream().filter(t -> !t.isBefore(since)).count();
    }
  }

  /** The entry on {@code line}, if it is a JSON object. */
  static Optional<JsonObject> parse(String line) {
    try {
      JsonElement e = JsonParser.parseString(line);
      return e.isJsonObject() ? Optional.of(e.getAsJsonObject()) : Optional.empty();
    } catch (JsonParseException e) {
      return Optional.empty();
    }
  }

  /**
   * One readable line: local time, event, token id or SSH login ({@code -} if none), then what
   * applies of {@code METHOD PATH → STATUS} (or an SSH line's {@code ACTION → STATUS}), the error,
   * the stream id, the detail and the remote address.
   */
  static String format(JsonObject e, ZoneId zone) {
    StringBuilder sb = new StringBuilder();
    sb.append(time(e).map(t -> TIME.format(t.atZone(zone))).orElse("??-?? ??:??:??"));
    sb.append("  ").append(pad(Objects.requireNonNullElse(string(e, "event"), "?"), 12));
    String who = string(e, "token_id") != null ? string(e, "token_id") : string(e, "who");
    sb.append("  ").append(pad(Objects.requireNonNullElse(who, "-"), 12));
    String method = string(e, "method");
    String path = string(e, "path");
    String status = string(e, "status");
    String action = string(e, "action");
    if (method == null && path == null && action != null) {
      sb.append("  ").append(action); // an SSH command: stop web-1
      if (status != null) {
        sb.append(" → ").append(status);
      }
    } else if (method != null || path != null) {
      sb.append("  ");
      if (method != null) {
        sb.append(method);
      }
      if (path != null) {
        sb.append(method != null ? " " : "").append(path);
      }
      if (status != null) {
        sb.append(" → ").append(status);
      }
    } else if (status != null) {
      sb.append("  status ").append(status);
    }
    String error = string(e, "error");
    if (error != null) {
      sb.append("  ").append(error);
    }
    String stream = string(e, "stream_id");
    if (stream != null) {
      sb.append("  stream ").append(stream);
    }
    JsonElement detail = e.get("detail");
    if (detail != null && !detail.isJsonNull()) {
      sb.append("  ");
      if (detail.isJsonObject()) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, JsonElement> d : detail.getAsJsonObject().entrySet()) {
          if (!d.getValue().isJsonNull()) {
            JsonElement v = d.getValue();
            String text = v.isJsonPrimitive() ? v.getAsString() : v.toString();
            parts.add(d.getKey() + "=" + (text.contains(" ") ? Json.GSON.toJson(text) : text));
          }
        }
        sb.append(String.join(" ", parts));
      } else {
        sb.append(detail.isJsonPrimitive() ? detail.getAsString() : detail.toString());
      }
    }
    String remote = string(e, "remote");
    if (remote != null) {
      sb.append("  from ").append(remote);
    }
    // a hand-edited log must not be able to move the cursor or change colours
    return sb.toString().replaceAll("\\p{Cntrl}", "?");
  }

  private static Optional<Instant> time(JsonObject e) {
    String ts = string(e, "ts");
    if (ts == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(ts));
    } catch (DateTimeParseException x) {
      return Optional.empty();
    }
  }

  private static String string(JsonObject o, String key) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    return e.isJsonPrimitive() ? e.getAsString() : e.toString();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
