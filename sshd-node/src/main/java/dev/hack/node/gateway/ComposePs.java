package dev.hack.node.gateway;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/ps}: {@code docker compose -p NAME ps --format json}, as seed 001's PsItem rows.
 * Without Docker (or its compose plugin) it answers {@code 503 docker_unavailable} with what is
 * missing. The {@code docker} program is looked up on PATH, or taken from the system property
 * {@code hack.docker} (tests use a fake).
 */
final class ComposePs {
  private static final Pattern PROJECT = Pattern.compile("[a-z0-9][a-z0-9_-]{0,127}");

  /** The most of docker's own error line a message shows. */
  private static final int MAX_SHOWN = 200;

  Object ps(Call c) throws IOException, InterruptedException {
    String compose = c.query("compose_project");
    if (compose == null || compose.isEmpty()) {
      throw GatewayError.badRequest(
          "missing_field", "GET /v1/ps needs ?compose_project=NAME (a Compose project name)");
    }
    if (!PROJECT.matcher(compose).matches()) {
      throw GatewayError.badRequest(
          "invalid_request",
          "compose_project must be lowercase letters, digits, '-' or '_': " + compose);
    }
    String docker = docker();
    if (docker == null) {
      throw unavailable("docker is not installed on this node (not found on PATH)");
    }
    long timeout = Long.getLong("hack.docker.timeoutSeconds", 10);
    // Output goes to files, not pipes: one deadline covers the whole run with no reader threads,
    // and a docker that hangs (or leaves a child holding a pipe) cannot hang the request.
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hack-compose-ps");
    java.nio.file.Path outFile = dir.resolve("out");
    java.nio.file.Path errFile = dir.resolve("err");
    Process p;
    byte[] out;
    byte[] err;
    try {
      p =
          new ProcessBuilder(docker, "compose", "-p", compose, "ps", "--all", "--format", "json")
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectOutput(outFile.toFile())
              .redirectError(errFile.toFile())
              .start();
      if (!p.waitFor(timeout, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw unavailable("docker compose did not answer within " + timeout + " s");
      }
      out = java.nio.file.Files.readAllBytes(outFile);
      err = java.nio.file.Files.readAllBytes(errFile);
    } finally {
      java.nio.file.Files.deleteIfExists(outFile);
      java.nio.file.Files.deleteIfExists(errFile);
      java.nio.file.Files.deleteIfExists(dir);
    }
    if (p.exitValue() != 0) {
      throw unavailable(whyFailed(p.exitValue(), new String(err, StandardCharsets.UTF_8)));
    }
    List<Map<String, Object>> items = new ArrayList<>();
    for (JsonObject o : parse(new String(out, StandardCharsets.UTF_8))) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("Service", text(o, "Service"));
      item.put("Name", text(o, "Name"));
      item.put("Status", text(o, "Status"));
      item.put("Ports", o.has("Ports") ? text(o, "Ports") : publishers(o));
      items.add(item);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    String project = c.query("project");
    body.put("project", project == null || project.isEmpty() ? compose : project);
    String branch = c.query("branch");
    body.put("branch", branch == null || branch.isEmpty() ? null : branch);
    body.put("composeProject", compose);
    body.put("items", items);
    return body;
  }

  /**
   * One sentence saying what is missing, from what {@code docker compose} printed on stderr: never
   * docker's own usage text (a docker without its compose plugin prints a page of it), and for an
   * error hack does not know, only its first line.
   */
  static String whyFailed(int exit, String stderr) {
    if (stderr.contains("is not a docker command")
        || stderr.contains("unknown shorthand flag: 'p'")) {
      return "docker compose is not installed on this node: docker is, but not its compose plugin"
          + " (install docker-compose-plugin)";
    }
    if (stderr.contains("Cannot connect to the Docker daemon")) {
      return "docker is not running on this node: nothing answers on its socket (start the Docker"
          + " daemon)";
    }
    if (stderr.contains("permission denied") && stderr.contains("docker.sock")) {
      return "the node's user may not use docker: permission denied on the Docker socket (add the"
          + " user to the docker group)";
    }
    String first = stderr.strip().lines().findFirst().orElse("").replaceAll("\\p{Cntrl}", "?");
    if (first.length() > MAX_SHOWN) {
      first = first.substring(0, MAX_SHOWN) + "...";
    }
    return "docker compose failed (exit " + exit + ")" + (first.isEmpty() ? "" : ": " + first);
  }

  /** Compose prints a JSON array (older) or one object per line (newer). */
  static List<JsonObject> parse(String text) {
    List<JsonObject> out = new ArrayList<>();
    String t = text.strip();
    if (t.isEmpty()) {
      return out;
    }
    try {
      if (t.startsWith("[")) {
        for (JsonElement e : JsonParser.parseString(t).getAsJsonArray()) {
          out.add(e.getAsJsonObject());
        }
      } else {
        for (String line : t.split("\n")) {
          if (!line.isBlank()) {
            out.add(JsonParser.parseString(line).getAsJsonObject());
          }
        }
      }
    } catch (JsonParseException | IllegalStateException e) {
      throw unavailable("docker compose printed something that is not JSON: " + e.getMessage());
    }
    return out;
  }

  private static String publishers(JsonObject o) {
    JsonElement p = o.get("Publishers");
    if (p == null || !p.isJsonArray()) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    for (JsonElement e : p.getAsJsonArray()) {
      JsonObject x = e.getAsJsonObject();
      int published = x.has("PublishedPort") ? x.get("PublishedPort").getAsInt() : 0;
      String target = text(x, "TargetPort") + "/" + text(x, "Protocol");
      parts.add(published > 0 ? text(x, "URL") + ":" + published + "->" + target : target);
    }
    return String.join(", ", parts);
  }

  private static String text(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? "" : e.getAsString();
  }

  private static GatewayError unavailable(String message) {
    return new GatewayError(503, "docker_unavailable", message);
  }

  private static String docker() {
    String override = System.getProperty("hack.docker");
    if (override != null) {
      return Files.isExecutable(Path.of(override)) ? override : null;
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(":")) {
      Path d = Path.of(dir.isEmpty() ? "." : dir, "docker");
      if (Files.isExecutable(d)) {
        return d.toString();
      }
    }
    return null;
  }
}
