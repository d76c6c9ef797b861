package dev.hack.node.project;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.hack.keys.FileLocks;
import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The projects this user registered, in {@code HACK_HOME/registry/projects.json}: name, repo root,
 * owning node and whether the gateway may serve it. Each project gets a stable {@code project_id}
 * the first time it is registered; the gateway addresses projects by it. Unknown fields are kept on
 * rewrite. Reads are lock-free; writes are locked and atomic, so the CLI and a running node share
 * the file.
 */
public final class ProjectRegistry {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One registered project. */
  public record Project(
      String id, String name, Path root, String nodeId, boolean gatewayEnabled, JsonObject raw) {}

  private final Path file;

  public ProjectRegistry(Path file) {
    this.file = file;
  }

  public static ProjectRegistry open(HackHome home) {
    return new ProjectRegistry(home.root().resolve("registry").resolve("projects.json"));
  }

  public Path file() {
    return file;
  }

  /** Every registered project, in registration order. */
  public List<Project> list() throws IOException {
    List<Project> out = new ArrayList<>();
    for (JsonElement e : read().getAsJsonArray("projects")) {
      if (e.isJsonObject()) {
        Project p = parse(e.getAsJsonObject());
        if (p != null) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** The project with this id or name. */
  public Optional<Project> find(String idOrName) throws IOException {
    for (Project p : list()) {
      if (p.id().equals(idOrName)) {
        return Optional.of(p);
      }
    }
    return list().stream().filter(p -> p.name().equals(idOrName)).findFirst();
  }

  /**
   * Records the project named {@code name} at {@code root}, keeping its id and settings if it was
   * registered before (by name or by root).
   */
  public Project register(String name, Path root, String nodeId) throws IOException {
    return update(
        projects -> {
          JsonObject found = null;
          JsonArray kept = new JsonArray();
          for (JsonElement e : projects) {
            JsonObject o = e.getAsJsonObject();
            boolean same =
                name.equals(string(o, "name")) || root.toString().equals(string(o, "repo_root"));
            if (same && found == null) {
              found = o;
            } else if (!same) {
              kept.add(o);
            }
          }
          JsonObject p = found != null ? found : new JsonObject();
          if (string(p, "project_id") == null) {
            p.addProperty("project_id", newId());
          }
          p.addProperty("name", name);
          p.addProperty("repo_root", root.toString());
          p.add("node_id", nodeId == null ? null : new JsonPrimitive(nodeId));
          if (!p.has("gateway_enabled")) {
            p.addProperty("gateway_enabled", false);
          }
          kept.add(p);
          return kept;
        },
        name);
  }

  /** Lets the gateway serve the project (or stops it). */
  public Project setGatewayEnabled(String idOrName, boolean enabled) throws IOException {
    return update(
        projects -> {
          for (JsonElement e : projects) {
            JsonObject o = e.getAsJsonObject();
            if (idOrName.equals(string(o, "project_id")) || idOrName.equals(string(o, "name"))) {
              o.addProperty("gateway_enabled", enabled);
              return projects;
            }
          }
          throw new IllegalArgumentException(
              "no project named " + idOrName + "; register it with: hack project add DIR");
        },
        idOrName);
  }

  private Project update(UnaryOperator<JsonArray> change, String key) throws IOException {
    FileModes.ensurePrivateDir(file.getParent().getParent());
    Files.createDirectories(file.getParent());
    return FileLocks.withLock(
        file.resolveSibling(file.getFileName() + ".lock"),
        file.toString(),
        Duration.ofSeconds(10),
        () -> {
          JsonObject root = read();
          root.addProperty("version", 1);
          JsonArray projects = change.apply(root.getAsJsonArray("projects"));
          root.add("projects", projects);
          FileModes.writeAtomically(
              file, (Json.PRETTY.toJson(root) + "\n").getBytes(StandardCharsets.UTF_8), false);
          for (JsonElement e : projects) {
            Project p = parse(e.getAsJsonObject());
            if (p != null && (p.id().equals(key) || p.name().equals(key))) {
              return p;
            }
          }
          throw new IllegalStateException("project " + key + " vanished while saving");
        });
  }

  private JsonObject read() throws IOException {
    if (!Files.exists(file)) {
      JsonObject empty = new JsonObject();
      empty.addProperty("version", 1);
      empty.add("projects", new JsonArray());
      return empty;
    }
    try {
      JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw new IOException(file + " is not a JSON object; fix or remove it");
      }
      JsonObject o = e.getAsJsonObject();
      if (!o.has("projects") || !o.get("projects").isJsonArray()) {
        o.add("projects", new JsonArray());
      }
      return o;
    } catch (JsonParseException e) {
      throw new IOException(file + " is not valid JSON (" + e.getMessage() + "); fix or remove it");
    }
  }

  private static Project parse(JsonObject o) {
    String name = string(o, "name");
    String root = string(o, "repo_root");
    if (name == null || root == null) {
      return null;
    }
    String id = string(o, "project_id");
    JsonElement g = o.get("gateway_enabled");
    boolean enabled = g != null && g.isJsonPrimitive() && g.getAsBoolean();
    return new Project(
        id == null ? name : id, name, Path.of(root), string(o, "node_id"), enabled, o);
  }

  private static String string(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  private static String newId() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return "p_" + HexFormat.of().formatHex(b);
  }
}
