package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.hack.keys.TokenStore;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.testing.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Seed 001's security model through a real HTTP client: every code of its error table. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayAuthTest {
  @TempDir static Path dir;
  GatewayFixture g;

  @BeforeAll
  void start() throws Exception {
    g = new GatewayFixture(dir);
  }

  @AfterAll
  void stop() throws Exception {
    g.close();
  }

  /** A token that has just expired: made to last a millisecond, and waited out. */
  private TokenStore.Created expired(TokenStore.Scope scope, String label) throws Exception {
    TokenStore.Created t = g.tokens.create(scope, Duration.ofMillis(1), label);
    Poll.until(
        Duration.ofSeconds(5), "expiry", () -> Instant.now().isAfter(Instant.parse(t.expiresAt())));
    return t;
  }

  @Test
  void statusNeedsAToken() throws Exception {
    Reply none = g.get("/v1/status", null);
    assertThat(none.code()).isEqualTo(401);
    assertThat(none.error()).isEqualTo("missing_token");
    assertThat(none.json().get("message").getAsString()).contains("Authorization: Bearer");

    Reply ok = g.get("/v1/status", g.read);
    assertThat(ok.code()).isEqualTo(200);
    JsonObject s = ok.json();
    assertThat(s.get("status").getAsString()).isEqualTo("ok");
    assertThat(s.keySet()).contains("version", "pid", "started_at", "uptime_ms");
  }

  @Test
  void badExpiredAndRevokedTokensAreInvalid() throws Exception {
    assertThat(g.get("/v1/status", "hk_nope_nope").error()).isEqualTo("invalid_token");
    assertThat(g.get("/v1/status", "not-even-a-token").error()).isEqualTo("invalid_token");
    String forged = g.read.substring(0, g.read.length() - 2) + "xx";
    assertThat(g.get("/v1/status", forged).error()).isEqualTo("invalid_token");

    TokenStore.Created shortLived = expired(TokenStore.Scope.READ, "expires");
    Reply expired = g.get("/v1/status", shortLived.token());
    assertThat(expired.code()).isEqualTo(401);
    assertThat(expired.error()).isEqualTo("invalid_token");

    TokenStore.Created revoked = g.tokens.create(TokenStore.Scope.READ, null, "revoked");
    assertThat(g.get("/v1/status", revoked.token()).code()).isEqualTo(200);
    g.tokens.revoke(revoked.id());
    assertThat(g.get("/v1/status", revoked.token()).error()).isEqualTo("invalid_token");

    // the Authorization header must be a Bearer
    Reply basic =
        g.send(
            new Request.Builder()
                .url(g.url + "/v1/status")
                .header("Authorization", "Basic Zm9vOmJhcg=="),
            null);
    assertThat(basic.error()).isEqualTo("invalid_token");
  }

  @Test
  void xHackTokenHeaderWorksAndQueryTokenOnlyOnWebSockets() throws Exception {
    Reply header =
        g.send(
            new Request.Builder().url(g.url + "/v1/status").header("x-hack-token", g.read), null);
    assertThat(header.code()).isEqualTo(200);

    Reply query = g.get("/v1/status?token=" + g.read, null);
    assertThat(query.code()).isEqualTo(401);
    assertThat(query.error()).isEqualTo("missing_token");
    assertThat(query.json().get("message").getAsString()).contains("WebSocket");

    // an Upgrade header on a plain route does not turn ?token= on
    int jobsBefore = jobCount();
    for (Request.Builder b :
        List.of(
            new Request.Builder().url(g.url + "/v1/status?token=" + g.read),
            new Request.Builder()
                .url(g.url + g.projectPath() + "/jobs?token=" + g.write)
                .post(
                    RequestBody.create(
                        "{\"command\":[\"true\"]}", MediaType.get("application/json"))))) {
      Reply sneaky = g.send(b.header("Upgrade", "websocket").header("Connection", "Upgrade"), null);
      assertThat(sneaky.code()).isEqualTo(401);
      assertThat(sneaky.error()).isEqualTo("missing_token");
    }
    assertThat(jobCount()).isEqualTo(jobsBefore);
  }

  private int jobCount() throws Exception {
    return g.get(g.projectPath() + "/jobs", g.read).json().getAsJsonArray("jobs").size();
  }

  @Test
  void scopesAndAllowWrites() throws Exception {
    String jobs = g.projectPath() + "/jobs";
    String body = "{\"command\":[\"true\"]}";
    Reply readPost = g.post(jobs, g.read, body);
    assertThat(readPost.code()).isEqualTo(403);
    assertThat(readPost.error()).isEqualTo("write_scope_required");

    assertThat(g.post(jobs, g.write, body).code()).isEqualTo(200);
    assertThat(g.get(jobs, g.read).code()).isEqualTo(200);

    g.allowWrites(false);
    try {
      Reply off = g.post(jobs, g.write, body);
      assertThat(off.code()).isEqualTo(403);
      assertThat(off.error()).isEqualTo("writes_disabled");
      assertThat(off.json().get("message").getAsString()).contains("allowWrites");
      assertThat(g.post(jobs, g.admin, body).error()).isEqualTo("writes_disabled");
      assertThat(g.get(jobs, g.read).code()).isEqualTo(200); // reads still work
    } finally {
      g.allowWrites(true);
    }

    // token management over HTTP needs admin
    assertThat(g.get("/v1/tokens", g.write).code()).isEqualTo(403);
    Reply list = g.get("/v1/tokens", g.admin);
    assertThat(list.code()).isEqualTo(200);
    assertThat(list.body()).doesNotContain("hash").doesNotContain(g.read.substring(16));
    Reply created = g.post("/v1/tokens", g.admin, "{\"scope\":\"read\",\"label\":\"phone\"}");
    assertThat(created.code()).isEqualTo(200);
    String newToken = created.json().get("token").getAsString();
    assertThat(g.get("/v1/status", newToken).code()).isEqualTo(200);
    String id = created.json().get("id").getAsString();
    assertThat(g.post("/v1/tokens/" + id + "/revoke", g.admin, "").code()).isEqualTo(200);
    assertThat(g.get("/v1/status", newToken).error()).isEqualTo("invalid_token");
    assertThat(g.post("/v1/tokens/nope/revoke", g.admin, "").code()).isEqualTo(404);
  }

  @Test
  void unknownPathsProjectsAndDisabledProjects() throws Exception {
    Reply unknown = g.get("/v1/nothing-here", g.read);
    assertThat(unknown.code()).isEqualTo(404);
    assertThat(unknown.error()).isEqualTo("not_found");
    // unauthenticated callers learn nothing about which paths exist
    assertThat(g.get("/v1/nothing-here", null).code()).isEqualTo(401);

    assertThat(g.get("/control-plane/projects/p_nope/jobs", g.read).error()).isEqualTo("not_found");

    Path other = Files.createDirectories(dir.resolve("other"));
    ProjectRegistry.Project off =
        ProjectRegistry.open(g.node.home()).register("other", other, null);
    Reply disabled = g.get("/control-plane/projects/" + off.id() + "/jobs", g.read);
    assertThat(disabled.code()).isEqualTo(403);
    assertThat(disabled.error()).isEqualTo("project_disabled");
    // nor can a session be started in it through /v1/sessions
    Reply session = g.post("/v1/sessions", g.write, "{\"id\":\"sneaky\",\"project\":\"other\"}");
    assertThat(session.code()).isEqualTo(403);
    assertThat(session.error()).isEqualTo("project_disabled");
    assertThat(g.get("/v1/sessions", g.read).body()).doesNotContain("sneaky");

    Reply wrongMethod = g.send(new Request.Builder().url(g.url + "/v1/status").delete(), g.admin);
    assertThat(wrongMethod.code()).isEqualTo(405);
    assertThat(wrongMethod.headers().get("Allow")).isEqualTo("GET");
  }

  @Test
  void streamsNeedAnUpgradeAndTheRightScope() throws Exception {
    Reply shell = g.post(g.projectPath() + "/shells", g.write, "{}");
    String id = shell.json().getAsJsonObject("shell").get("shellId").getAsString();
    String stream = g.projectPath() + "/shells/" + id + "/stream";

    Reply plain = g.get(stream, g.write);
    assertThat(plain.code()).isEqualTo(426);
    assertThat(plain.error()).isEqualTo("upgrade_required");

    GatewayFixture.Ws readOnly = g.ws(stream, g.read, Map.of());
    readOnly.closed.get(10, TimeUnit.SECONDS);
    assertThat(readOnly.failure.code()).isEqualTo(403);
    assertThat(readOnly.failureError).isEqualTo("write_scope_required");

    // the handshake checks tokens as every request does
    TokenStore.Created revoked = g.tokens.create(TokenStore.Scope.WRITE, null, "ws-revoked");
    g.tokens.revoke(revoked.id());
    TokenStore.Created expiring = expired(TokenStore.Scope.WRITE, "ws-expired");
    for (String dead : List.of(revoked.token(), expiring.token())) {
      GatewayFixture.Ws refused = g.ws(stream + "?token=" + dead, null, Map.of());
      refused.closed.get(10, TimeUnit.SECONDS);
      assertThat(refused.failure.code()).isEqualTo(401);
      assertThat(refused.failureError).isEqualTo("invalid_token");
    }

    // with writes off, shells are not opened either
    g.allowWrites(false);
    try {
      GatewayFixture.Ws off = g.ws(stream, g.write, Map.of());
      off.closed.get(10, TimeUnit.SECONDS);
      assertThat(off.failure.code()).isEqualTo(403);
      assertThat(off.failureError).isEqualTo("writes_disabled");
    } finally {
      g.allowWrites(true);
    }

    // browsers cannot set headers: ?token= works on the upgrade
    GatewayFixture.Ws byQuery = g.ws(stream + "?token=" + g.write, null, Map.of());
    byQuery.opened.get(10, TimeUnit.SECONDS);
    assertThat(byQuery.nextOfType("ready", Duration.ofSeconds(10)).get("shellId").getAsString())
        .isEqualTo(id);
    byQuery.close();

    // cross-site WebSocket hijacking: a page on another origin may not open a stream
    GatewayFixture.Ws foreign = g.ws(stream, g.write, Map.of("Origin", "https://evil.example"));
    foreign.closed.get(10, TimeUnit.SECONDS);
    assertThat(foreign.failure.code()).isEqualTo(403);
    assertThat(foreign.failureError).isEqualTo("origin_not_allowed");
    String host = g.url.replaceFirst("^http://", "");
    GatewayFixture.Ws same = g.ws(stream, g.write, Map.of("Origin", "http://" + host));
    same.opened.get(10, TimeUnit.SECONDS);
    same.close();

    // an origin named in controlPlane.gateway.allowedOrigins is let in, and only that one
    ConfigFile config = new ConfigFile(g.node.home().config());
    JsonArray origins = new JsonArray();
    origins.add("https://phone.example");
    config.set("controlPlane.gateway.allowedOrigins", origins);
    try {
      GatewayFixture.Ws allowed = g.ws(stream, g.write, Map.of("Origin", "https://phone.example"));
      allowed.opened.get(10, TimeUnit.SECONDS);
      allowed.close();
      GatewayFixture.Ws still = g.ws(stream, g.write, Map.of("Origin", "https://evil.example"));
      still.closed.get(10, TimeUnit.SECONDS);
      assertThat(still.failure.code()).isEqualTo(403);
    } finally {
      config.set("controlPlane.gateway.allowedOrigins", new JsonArray());
    }

    g.post("/v1/sessions/" + id + "/stop", g.write, "");
  }

  @Test
  void malformedAndOversizedBodies() throws Exception {
    String jobs = g.projectPath() + "/jobs";
    Reply bad = g.post(jobs, g.write, "{\"command\": [\"echo\",");
    assertThat(bad.code()).isEqualTo(400);
    assertThat(bad.error()).isEqualTo("invalid_json");

    Reply notObject = g.post(jobs, g.write, "[1,2]");
    assertThat(notObject.error()).isEqualTo("invalid_json");

    Reply missing = g.post(jobs, g.write, "{\"cwd\":\".\"}");
    assertThat(missing.code()).isEqualTo(400);
    assertThat(missing.error()).isEqualTo("missing_field");
    assertThat(missing.json().get("message").getAsString()).contains("command");

    Reply wrongType = g.post(jobs, g.write, "{\"command\":\"echo hi\"}");
    assertThat(wrongType.error()).isEqualTo("invalid_request");

    String huge = "{\"command\":[\"echo\",\"" + "x".repeat(Gateway.MAX_BODY_BYTES) + "\"]}";
    Reply tooBig = g.post(jobs, g.write, huge);
    assertThat(tooBig.code()).isEqualTo(413);
    assertThat(tooBig.error()).isEqualTo("payload_too_large");

    // nothing was created by any of them
    assertThat(g.get(jobs, g.read).json().getAsJsonArray("jobs").toString()).doesNotContain("xxxx");
  }

  @Test
  void cwdMustStayInsideTheProject() throws Exception {
    String jobs = g.projectPath() + "/jobs";
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(g.projectRoot.resolve("escape"), outside);
    for (String cwd :
        new String[] {"..", "../outside", "/etc", "sub/../../outside", "escape", "missing"}) {
      Reply r = g.post(jobs, g.write, "{\"command\":[\"pwd\"],\"cwd\":\"" + cwd + "\"}");
      assertThat(r.code()).as(cwd).isEqualTo(400);
      assertThat(r.error()).as(cwd).isEqualTo("invalid_cwd");
    }
    Reply ok = g.post(jobs, g.write, "{\"command\":[\"pwd\"],\"cwd\":\"sub\"}");
    assertThat(ok.code()).isEqualTo(200);
    Reply shell = g.post(g.projectPath() + "/shells", g.write, "{\"cwd\":\"escape\"}");
    assertThat(shell.error()).isEqualTo("invalid_cwd");
  }

  @Test
  void auditRecordsWritesAndFailuresButNeverSecrets() throws Exception {
    g.post(g.projectPath() + "/jobs", g.write, "{\"command\":[\"true\"]}");
    // refusals from one remote are rate-limited, and this class's other tests had many: ask again
    // until one gets through
    Poll.until(
        Duration.ofSeconds(5),
        "audit lines",
        () ->
            g.get("/v1/status", "hk_bad_token").code() == 401
                && g.auditLines().stream().anyMatch(l -> l.contains("\"auth_failure\""))
                && g.auditLines().stream().anyMatch(l -> l.contains("\"POST\"")));
    // a real shell stream and token management over HTTP leave their lines too
    Reply shell = g.post(g.projectPath() + "/shells", g.write, "{}");
    String id = shell.json().getAsJsonObject("shell").get("shellId").getAsString();
    try (GatewayFixture.Ws ws = g.wsOpen(g.projectPath() + "/shells/" + id + "/stream", g.write)) {
      ws.send(Map.of("type", "hello", "cols", 80, "rows", 24));
      ws.nextOfType("ready", Duration.ofSeconds(10));
    }
    String tokenId =
        g.post("/v1/tokens", g.admin, "{\"scope\":\"read\"}").json().get("id").getAsString();
    g.post("/v1/tokens/" + tokenId + "/revoke", g.admin, "");
    Poll.until(
        Duration.ofSeconds(5),
        "stream and token lines",
        () ->
            g.auditLines().stream().anyMatch(l -> l.contains("\"stream_open\"") && l.contains(id))
                && g.auditLines().stream()
                    .anyMatch(l -> l.contains("\"stream_close\"") && l.contains(id))
                && g.auditLines().stream()
                    .anyMatch(l -> l.contains("/v1/tokens/" + tokenId + "/revoke")));
    for (String line : g.auditLines()) {
      JsonObject o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      if (o.get("event").getAsString().equals("suppressed")) {
        continue; // a summary of held-back refusals: no request of its own
      }
      assertThat(o.keySet()).as(line).contains("ts", "remote", "method", "path", "status");
    }
    g.post("/v1/sessions/" + id + "/stop", g.write, "");

    String all = String.join("\n", g.auditLines());
    for (String secret : new String[] {g.read, g.write, g.admin, "hk_bad_token"}) {
      assertThat(all).doesNotContain(secret);
    }
    assertThat(all).contains("\"remote\":\"127.0.0.1:");
    assertThat(Files.getPosixFilePermissions(g.node.home().gatewayDir().resolve("audit.jsonl")))
        .hasSize(2); // owner read + write only
  }
}
