package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.Json;
import dev.hack.node.api.PtySize;
import dev.hack.node.jobs.JobSpec;
import dev.hack.node.supervisor.SessionSpec;
import dev.hack.node.supervisor.SessionType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Fuzzes the gateway's request bodies (docs/fuzzing.md): any bytes, read as the body of each POST
 * that takes one, give either the values the endpoint would act on or an error that {@link
 * ApiHandler} answers as a 4xx with seed 001's {@code {"error": code, "message": ...}}; never a
 * 500, never another exception. The endpoints' own field reads are mirrored here up to the point
 * where they start something (a job, a session, a token), which this test never does.
 */
class GatewayBodyFuzzTest {
  private static final Path ROOT = Path.of("/tmp/hack-fuzz-project");

  @DictionaryEntries({
    "\"command\":",
    "\"cwd\":",
    "\"env\":",
    "\"runner\":",
    "\"cols\":",
    "\"rows\":",
    "\"shell\":",
    "\"id\":",
    "\"type\":",
    "\"project\":",
    "\"scope\":",
    "\"ttl_seconds\":",
    "\"label\":",
    "null",
    "true",
    "[]",
    "{}",
    "1e999",
    "-0.5",
    "\\u0000"
  })
  @FuzzTest(maxDuration = "2m")
  void body(byte[] input) {
    for (int which = 0; which < 4; which++) {
      int status;
      String code;
      String message;
      try {
        JsonObject body = Call.parseBody(input, Gateway.MAX_BODY_BYTES);
        switch (which) {
          case 0 -> createJob(body);
          case 1 -> createShell(body);
          case 2 -> createSession(body);
          default -> createToken(body);
        }
        continue;
      } catch (GatewayError e) {
        status = e.status;
        code = e.code;
        message = e.getMessage();
      } catch (IllegalArgumentException e) {
        status = 400; // ApiHandler's mapping of the exceptions it answers
        code = "invalid_request";
        message = e.getMessage();
      } catch (NoSuchElementException e) {
        status = 404;
        code = "not_found";
        message = e.getMessage();
      } catch (IllegalStateException e) {
        status = 409;
        code = "conflict";
        message = e.getMessage();
      }
      assertThat(status).as("status of %s: %s", code, message).isBetween(400, 499);
      assertThat(code).matches("[a-z_]+");
      assertThat(message).isNotBlank();
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("error", code);
      error.put("message", message);
      JsonObject sent = JsonParser.parseString(Json.GSON.toJson(error)).getAsJsonObject();
      assertThat(sent.get("error").getAsString()).isEqualTo(code);
      assertThat(sent.get("message").getAsString()).isEqualTo(message);
    }
  }

  /** POST /control-plane/projects/:projectId/jobs */
  private static void createJob(JsonObject body) {
    List<String> command = Call.stringList(body, "command", true);
    if (command.isEmpty() || command.get(0).isEmpty()) {
      throw GatewayError.badRequest("invalid_request", "'command' must name a program to run");
    }
    String runner = Call.string(body, "runner", false);
    String cwd = Call.string(body, "cwd", false);
    Map<String, String> env = Call.stringMap(body, "env");
    new JobSpec("p1", "proj", runner == null ? "generic" : runner, command, cwd(cwd), env);
  }

  /** POST /control-plane/projects/:projectId/shells */
  private static void createShell(JsonObject body) {
    Integer cols = Call.integer(body, "cols", 1, 10_000);
    Integer rows = Call.integer(body, "rows", 1, 10_000);
    cwd(Call.string(body, "cwd", false));
    String shell = Call.string(body, "shell", false);
    if (shell != null) {
      Path.of(shell).isAbsolute();
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TERM", "xterm-256color");
    env.putAll(Call.stringMap(body, "env"));
    new PtySize(cols == null ? 80 : cols, rows == null ? 24 : rows);
  }

  /** POST /v1/sessions */
  private static void createSession(JsonObject body) {
    String id = Call.string(body, "id", false);
    String type = Call.string(body, "type", false);
    List<String> command = Call.stringList(body, "command", false);
    Endpoints.requireProgram(command);
    String project = Call.string(body, "project", false);
    String cwd = Call.string(body, "cwd", false);
    Integer cols = Call.integer(body, "cols", 1, 10_000);
    Integer rows = Call.integer(body, "rows", 1, 10_000);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TERM", "xterm-256color");
    env.putAll(Call.stringMap(body, "env"));
    SessionType t = SessionType.infer(type, command);
    new SessionSpec(
        id,
        t,
        command,
        cwd,
        project,
        env,
        null,
        new PtySize(cols == null ? 80 : cols, rows == null ? 24 : rows));
  }

  /** POST /v1/tokens */
  private static void createToken(JsonObject body) {
    String scope = Call.string(body, "scope", false);
    Integer ttl = Call.integer(body, "ttl_seconds", 1, Integer.MAX_VALUE);
    Call.string(body, "label", false);
    TokenStore.Scope.parse(scope == null ? "read" : scope);
    if (ttl != null) {
      Duration.ofSeconds(ttl);
    }
  }

  /** Where Endpoints.resolveCwd would look (it also checks the directory, which this skips). */
  private static Path cwd(String cwd) {
    return cwd == null ? ROOT : ROOT.resolve(cwd).normalize();
  }
}
