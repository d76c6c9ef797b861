package dev.hack.node.mesh;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.hack.keys.FileLocks;
import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The node registry, {@code HACK_HOME/registry/nodes.json} in RFC 0001's schema (version 1), plus a
 * top-level {@code "default"}: the name of the node that {@code hack node use} chose.
 *
 * <p>The file is the only state: every read goes to disk, so several registries (and several {@code
 * hack} processes) on one file see each other's changes. Every change holds a lock on the sibling
 * file {@code nodes.json.lock} (a {@link FileLock}, so other processes wait too, and a lock per
 * file within this JVM), re-reads the file, changes it and replaces it atomically at mode 0600, so
 * concurrent writers never lose each other's edits. Fields this version does not know, at the top
 * level and inside each node, are kept as they are.
 *
 * <p>A file that is not valid JSON, or whose {@code version} is not 1, makes every method throw an
 * {@link IOException} naming the file and the problem; it is never overwritten. A missing file is
 * an empty registry.
 *
 * <p>Thread-safe. Methods block on file I/O, and writers on the lock for at most 10 seconds.
 */
public final class NodeRegistry {
  private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(10);
  private static final int VERSION = 1;
  private static final Set<String> TOP_LEVEL_KEYS = Set.of("version", "default", "nodes");

  /** One lock per registry file in this JVM: a FileLock is held per process, not per thread. */
  private final Path file;

  private final Path lockFile;

  NodeRegistry(Path file) {
    this.file = file.toAbsolutePath().normalize();
    this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
  }

  /** The registry of {@code home}; nothing is read or created until a method needs it. */
  public static NodeRegistry open(HackHome home) {
    return new NodeRegistry(home.registry());
  }

  public Path file() {
    return file;
  }

  /** All registered nodes, in file order. */
  public List<RegisteredNode> list() throws IOException {
    return read().nodes();
  }

  /** The node with this name or, failing that, the first with this id. */
  public Optional<RegisteredNode> find(String nameOrId) throws IOException {
    Document doc = read();
    int i = doc.indexOf(nameOrId);
    return i < 0 ? Optional.empty() : Optional.of(doc.nodes().get(i));
  }

  /** Adds {@code node}, or replaces the node with the same name (keeping its unknown fields). */
  public void put(RegisteredNode node) throws IOException {
    Objects.requireNonNull(node, "node");
    modify(
        doc -> {
          doc.put(doc.indexOfName(node.name()), node);
          return null;
        });
  }

  /**
   * Removes the node with this name (or, failing that, id), and clears the default if it was that
   * node.
   *
   * @return whether a node was removed
   */
  public boolean remove(String nameOrId) throws IOException {
    return modify(
        doc -> {
          int i = doc.indexOf(nameOrId);
          if (i < 0) {
            return false;
          }
          RegisteredNode removed = doc.remove(i);
          if (removed.name().equals(doc.defaultName())) {
            doc.setDefaultName(null);
          }
          return true;
        });
  }

  /** The name of the default node as stored; it may name a node that was removed by hand. */
  public Optional<String> defaultNode() throws IOException {
    return Optional.ofNullable(read().defaultName());
  }

  /**
   * Makes the node with this name (or id) the default; its name is stored.
   *
   * @throws IllegalArgumentException if no such node is registered
   */
  public void setDefault(String nameOrId) throws IOException {
    modify(
        doc -> {
          int i = doc.indexOf(nameOrId);
          if (i < 0) {
            throw unknown(nameOrId);
          }
          doc.setDefaultName(doc.nodes().get(i).name());
          return null;
        });
  }

  /**
   * Records what a status call saw, changing nothing else in the node as it is in the file now.
   *
   * @throws IllegalArgumentException if no node has this name
   */
  public void updateStatus(String name, String status, Instant lastSeen, String version)
      throws IOException {
    modify(
        doc -> {
          int i = doc.indexOfName(name);
          if (i < 0) {
            throw unknown(name);
          }
          doc.put(i, doc.nodes().get(i).withStatus(status, lastSeen, version));
          return null;
        });
  }

  private static IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException(
        "no node named \"" + name + "\" is registered; run hack node list to see the nodes");
  }

  // ---- the file ----

  /** The file as parsed: the raw JSON (for unknown fields) beside the records, index by index. */
  private static final class Document {
    private final JsonObject root;
    private final List<JsonObject> raw;
    private final List<RegisteredNode> nodes;
    private String defaultName;
    private boolean changed;

    Document(JsonObject root, List<JsonObject> raw, List<RegisteredNode> nodes, String def) {
      this.root = root;
      this.raw = raw;
      this.nodes = nodes;
      this.defaultName = def;
    }

    List<RegisteredNode> nodes() {
      return nodes;
    }

    String defaultName() {
      return defaultName;
    }

    int indexOfName(String name) {
      for (int i = 0; i < nodes.size(); i++) {
        if (nodes.get(i).name().equals(name)) {
          return i;
        }
      }
      return -1;
    }

    int indexOf(String nameOrId) {
      int i = indexOfName(nameOrId);
      if (i >= 0) {
        return i;
      }
      for (int j = 0; j < nodes.size(); j++) {
        if (nameOrId.equals(nodes.get(j).id())) {
          return j;
        }
      }
      return -1;
    }

    /** Replaces node {@code i}, or appends when {@code i < 0}, keeping its unknown fields. */
    void put(int i, RegisteredNode node) {
      if (i < 0) {
        raw.add(toJson(new JsonObject(), node));
        nodes.add(node);
      } else {
        raw.set(i, toJson(raw.get(i), node));
        nodes.set(i, node);
      }
      changed = true;
    }

    RegisteredNode remove(int i) {
      raw.remove(i);
      changed = true;
      return nodes.remove(i);
    }

    void setDefaultName(String name) {
      defaultName = name;
      changed = true;
    }

    boolean changed() {
      return changed;
    }

    /** Known keys first, in RFC 0001's order; unknown top-level keys after them, in file order. */
    byte[] toBytes() {
      JsonObject out = new JsonObject();
      out.addProperty("version", VERSION);
      if (defaultName != null) {
        out.addProperty("default", defaultName);
      }
      JsonArray array = new JsonArray();
      raw.forEach(array::add);
      out.add("nodes", array);
      for (Map.Entry<String, JsonElement> e : root.entrySet()) {
        if (!TOP_LEVEL_KEYS.contains(e.getKey())) {
          out.add(e.getKey(), e.getValue());
        }
      }
      return (Json.PRETTY.toJson(out) + "\n").getBytes(StandardCharsets.UTF_8);
    }
  }

  private interface Change<T> {
    T apply(Document doc);
  }

  private <T> T modify(Change<T> change) throws IOException {
    return FileLocks.withLock(
        lockFile,
        "registry " + file,
        LOCK_TIMEOUT,
        () -> {
          Document doc = read();
          T result = change.apply(doc);
          if (doc.changed()) {
            FileModes.writeAtomically(file, doc.toBytes(), false);
          }
          return result;
        });
  }

  private Document read() throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return new Document(new JsonObject(), new ArrayList<>(), new ArrayList<>(), null);
    } catch (CharacterCodingException e) {
      throw broken("is not UTF-8 text"); // its own message is only "Input length = 1"
    }
    JsonElement parsed;
    try {
      parsed = JsonParser.parseString(text);
    } catch (JsonParseException e) {
      throw broken("is not valid JSON (" + rootCause(e) + ")");
    }
    if (!parsed.isJsonObject()) {
      throw broken("is not a JSON object");
    }
    JsonObject root = parsed.getAsJsonObject();
    JsonElement version = root.get("version");
    if (version == null) {
      throw broken("has no \"version\" (expected " + VERSION + ")");
    }
    if (!version.isJsonPrimitive()
        || !version.getAsJsonPrimitive().isNumber()
        || version.getAsDouble() != VERSION) {
      throw broken(
          "has version "
              + version
              + ", but this hack reads only version "
              + VERSION
              + " (it may be from a newer hack)");
    }
    List<JsonObject> raw = new ArrayList<>();
    List<RegisteredNode> nodes = new ArrayList<>();
    JsonElement array = root.get("nodes");
    if (array != null && !array.isJsonNull()) {
      if (!array.isJsonArray()) {
        throw broken("has \"nodes\" that is not an array");
      }
      int index = 0;
      for (JsonElement element : array.getAsJsonArray()) {
        index++;
        if (!element.isJsonObject()) {
          throw broken("has node #" + index + " that is not an object");
        }
        try {
          RegisteredNode node = fromJson(element.getAsJsonObject());
          for (RegisteredNode other : nodes) {
            if (other.name().equals(node.name())) {
              throw new IllegalArgumentException("the name \"" + node.name() + "\" is used twice");
            }
          }
          nodes.add(node);
          raw.add(element.getAsJsonObject());
        } catch (RuntimeException e) {
          throw broken("has an invalid node #" + index + ": " + e.getMessage());
        }
      }
    }
    String def;
    try {
      def = string(root, "default");
    } catch (IllegalArgumentException e) {
      throw broken("has an invalid default: " + e.getMessage());
    }
    return new Document(root, raw, nodes, def);
  }

  private IOException broken(String what) {
    return new IOException(
        "node registry " + file + " " + what + "; fix or move the file (it was left unchanged)");
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  // ---- one node <-> JSON ----

  static RegisteredNode fromJson(JsonObject o) {
    RegisteredNode.Tailscale tailscale = null;
    JsonElement ts = o.get("tailscale");
    if (ts != null && !ts.isJsonNull()) {
      if (!ts.isJsonObject()) {
        throw new IllegalArgumentException("\"tailscale\" is not an object");
      }
      JsonObject t = ts.getAsJsonObject();
      tailscale = new RegisteredNode.Tailscale(string(t, "ip"), string(t, "hostname"));
    }
    Map<String, String> endpoints = new LinkedHashMap<>();
    JsonElement ep = o.get("endpoints");
    if (ep != null && !ep.isJsonNull()) {
      if (!ep.isJsonObject()) {
        throw new IllegalArgumentException("\"endpoints\" is not an object");
      }
      for (Map.Entry<String, JsonElement> e : ep.getAsJsonObject().entrySet()) {
        if (isString(e.getValue())) {
          endpoints.put(e.getKey(), e.getValue().getAsString());
        }
      }
    }
    String name = string(o, "name");
    if (name == null) {
      throw new IllegalArgumentException("it has no \"name\"");
    }
    return new RegisteredNode(
        string(o, "id"),
        name,
        strings(o, "labels"),
        strings(o, "capabilities"),
        tailscale,
        endpoints,
        instant(o, "last_seen"),
        string(o, "status"),
        string(o, "version"));
  }

  /** {@code base} (not modified) with the fields of {@code node} written over it. */
  static JsonObject toJson(JsonObject base, RegisteredNode node) {
    JsonObject o = base.deepCopy();
    set(o, "id", node.id());
    set(o, "name", node.name());
    o.add("labels", array(node.labels()));
    o.add("capabilities", array(node.capabilities()));
    if (node.tailscale() == null) {
      o.remove("tailscale");
    } else {
      JsonElement old = o.get("tailscale");
      JsonObject t = old != null && old.isJsonObject() ? old.getAsJsonObject() : new JsonObject();
      set(t, "ip", node.tailscale().ip());
      set(t, "hostname", node.tailscale().hostname());
      o.add("tailscale", t);
    }
    JsonElement old = o.get("endpoints");
    JsonObject ep = old != null && old.isJsonObject() ? old.getAsJsonObject() : new JsonObject();
    // string endpoints are all in the record; others (objects, numbers) are not ours to drop
    for (String kind : new ArrayList<>(ep.keySet())) {
      if (isString(ep.get(kind)) && !node.endpoints().containsKey(kind)) {
        ep.remove(kind);
      }
    }
    node.endpoints().forEach(ep::addProperty);
    o.add("endpoints", ep);
    set(o, "last_seen", node.lastSeen() == null ? null : node.lastSeen().toString());
    set(o, "status", node.status());
    set(o, "version", node.version());
    return o;
  }

  private static void set(JsonObject o, String key, String value) {
    if (value == null) {
      o.remove(key);
    } else {
      o.addProperty(key, value);
    }
  }

  private static JsonArray array(List<String> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

  private static boolean isString(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
  }

  private static String string(JsonObject o, String key) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!isString(e)) {
      throw new IllegalArgumentException("\"" + key + "\" is not a string: " + e);
    }
    return e.getAsString();
  }

  private static List<String> strings(JsonObject o, String key) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      return List.of();
    }
    if (!e.isJsonArray()) {
      throw new IllegalArgumentException("\"" + key + "\" is not an array of strings: " + e);
    }
    List<String> out = new ArrayList<>();
    for (JsonElement item : e.getAsJsonArray()) {
      if (!isString(item)) {
        throw new IllegalArgumentException("\"" + key + "\" is not an array of strings: " + e);
      }
      out.add(item.getAsString());
    }
    return out;
  }

  private static Instant instant(JsonObject o, String key) {
    String s = string(o, key);
    if (s == null) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(
            "\"" + key + "\" is not an ISO-8601 time such as 2026-01-13T21:00:00Z: " + s);
      }
    }
  }
}
