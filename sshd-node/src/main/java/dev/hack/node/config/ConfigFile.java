package dev.hack.node.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.hack.keys.FileLocks;
import dev.hack.keys.FileModes;
import dev.hack.node.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A JSON config file addressed by dotted keys ({@code controlPlane.gateway.allowWrites}): the
 * global {@code HACK_HOME/config.json} or a project's {@code .hack/config.json}. Everything else in
 * the file is kept as it is. Thread-safe; writes are locked and atomic.
 */
public final class ConfigFile {
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  private final Path file;

  public ConfigFile(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** The value at {@code key}, if set. */
  public Optional<JsonElement> get(String key) throws IOException {
    JsonElement e = read();
    for (String part : split(key)) {
      if (e == null || !e.isJsonObject()) {
        return Optional.empty();
      }
      e = e.getAsJsonObject().get(part);
    }
    return Optional.ofNullable(e);
  }

  /** A boolean setting, {@code fallback} when unset. */
  public boolean getBoolean(String key, boolean fallback) throws IOException {
    Optional<JsonElement> v = get(key);
    if (v.isEmpty() || !v.get().isJsonPrimitive()) {
      return fallback;
    }
    JsonPrimitive p = v.get().getAsJsonPrimitive();
    return p.isBoolean() ? p.getAsBoolean() : "true".equalsIgnoreCase(p.getAsString());
  }

  /**
   * A list of strings: a JSON array of strings, or one string as a list of one; empty when unset or
   * null.
   *
   * @throws IOException naming the file and key when the value is anything else
   */
  public List<String> getStrings(String key) throws IOException {
    Optional<JsonElement> v = get(key);
    if (v.isEmpty() || v.get().isJsonNull()) {
      return List.of();
    }
    JsonElement e = v.get();
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
      return List.of(e.getAsString());
    }
    List<String> out = new ArrayList<>();
    if (e.isJsonArray()) {
      for (JsonElement item : e.getAsJsonArray()) {
        if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isString()) {
          out = null;
          break;
        }
        out.add(item.getAsString());
      }
      if (out != null) {
        return List.copyOf(out);
      }
    }
    throw new IOException(
        key + " in " + file + " must be a list of strings such as [\"a\", \"b\"], not " + e);
  }

  /**
   * Sets {@code key} to {@code value}, creating the objects on the way; a null value removes it.
   *
   * @throws IllegalArgumentException if the key is malformed or a part of it is not an object
   */
  public void set(String key, JsonElement value) throws IOException {
    String[] parts = split(key);
    FileLocks.withLock(
        file.resolveSibling(file.getFileName() + ".lock"),
        file.toString(),
        Duration.ofSeconds(10),
        () -> {
          JsonObject root = read();
          JsonObject o = root;
          for (int i = 0; i < parts.length - 1; i++) {
            JsonElement next = o.get(parts[i]);
            if (next == null || next.isJsonNull()) {
              if (value == null) {
                return null;
              }
              next = new JsonObject();
              o.add(parts[i], next);
            } else if (!next.isJsonObject()) {
              throw new IllegalArgumentException(
                  String.join(".", java.util.Arrays.copyOf(parts, i + 1))
                      + " is a value, not a group of settings");
            }
            o = next.getAsJsonObject();
          }
          if (value == null) {
            o.remove(parts[parts.length - 1]);
          } else {
            o.add(parts[parts.length - 1], value);
          }
          FileModes.writeAtomically(
              file, (Json.PRETTY.toJson(root) + "\n").getBytes(StandardCharsets.UTF_8), false);
          return null;
        });
  }

  /** A value as typed on a command line: JSON if it parses (true, 3, {"a":1}), else a string. */
  public static JsonElement parseValue(String text) {
    try {
      JsonElement e = JsonParser.parseString(text);
      if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && !text.startsWith("\"")) {
        return new JsonPrimitive(text);
      }
      return e;
    } catch (JsonParseException e) {
      return new JsonPrimitive(text);
    }
  }

  private JsonObject read() throws IOException {
    if (!Files.exists(file)) {
      return new JsonObject();
    }
    String text = Files.readString(file, StandardCharsets.UTF_8);
    if (text.isBlank()) {
      return new JsonObject();
    }
    try {
      JsonElement e = JsonParser.parseString(text);
      if (!e.isJsonObject()) {
        throw new IOException(file + " is not a JSON object; fix or remove it");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IOException(file + " is not valid JSON (" + e.getMessage() + "); fix or remove it");
    }
  }

  private static String[] split(String key) {
    if (key == null || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "invalid config key '" + key + "': use dotted names such as controlPlane.gateway.bind");
    }
    return key.split("\\.");
  }
}
