package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.TokenStore;
import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.gateway.GatewayFixture.Ws;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.testing.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authorization is not only checked when a stream starts: revoking its token (as the CLI does, by
 * editing tokens.json, or over HTTP), removing it from the file, its expiry, and writes turned off
 * end the streams it covers with 1008 and a reason, and the close is audited.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayRevocationTest {
  private static final Duration T = Duration.ofSeconds(20);

  /** The gateway checks every 250 ms; this leaves room for a loaded machine, not for a timer. */
  private static final Duration ENDS_WITHIN = Duration.ofSeconds(5);

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

  private String createShell() throws Exception {
    Reply r =
        g.post(
            g.projectPath() + "/shells",
            g.write,
            "{\"shell\":\"/bin/sh\",\"env\":{\"PS1\":\"$ \"}}");
    assertThat(r.code()).as(r.body()).isEqualTo(200);
    return r.json().getAsJsonObject("shell").get("shellId").getAsString();
  }

  /** A shell stream opened with {@code token}, attached and typing. */
  private Ws attachedShell(String shellId, String token) throws Exception {
    Ws ws = g.wsOpen(g.projectPath() + "/shells/" + shellId + "/stream", token);
    ws.send(Map.of("type", "hello", "cols", 80, "rows", 24));
    ws.nextOfType("ready", T);
    ws.send(Map.of("type", "input", "data", "echo alive-$((20+22))\n"));
    ws.outputUntil("alive-42", T);
    return ws;
  }

  private String jobSleeping() throws Exception {
    Reply r =
        g.post(g.projectPath() + "/jobs", g.write, "{\"command\":[\"sh\",\"-c\",\"sleep 300\"]}");
    assertThat(r.code()).as(r.body()).isEqualTo(200);
    return r.json().getAsJsonObject("job").get("jobId").getAsString();
  }

  private Ws jobStream(String jobId, String token) throws Exception {
    Ws ws = g.wsOpen(g.projectPath() + "/jobs/" + jobId + "/stream", token);
    ws.send(Map.of("type", "hello", "logsFrom", 0, "eventsFrom", 0));
    ws.nextOfType("ready", T);
    return ws;
  }

  private static void assertEndedBecause(Ws ws, String reason) throws Exception {
    assertThat(ws.closed.get(ENDS_WITHIN.toMillis(), TimeUnit.MILLISECONDS))
        .as("close code")
        .isEqualTo(1008);
    assertThat(ws.closeReason.get(1, TimeUnit.SECONDS)).isEqualTo(reason);
  }

  private void assertAuditedClose(String tokenId, String reason) throws Exception {
    Poll.until(
        T,
        "a stream_close line for token " + tokenId + " naming '" + reason + "'",
        () ->
            g.auditLines().stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject())
                .anyMatch(
                    o ->
                        o.get("event").getAsString().equals("stream_close")
                            && o.has("token_id")
                            && o.get("token_id").getAsString().equals(tokenId)
                            && o.get("detail").getAsString().endsWith(": " + reason)));
  }

  @Test
  void revokingATokenInTheFileEndsItsShellStream() throws Exception {
    String shell = createShell();
    TokenStore.Created phone = g.tokens.create(TokenStore.Scope.WRITE, null, "lost phone");
    try (Ws ws = attachedShell(shell, phone.token())) {
      g.tokens.revoke(phone.id()); // what hack gateway token-revoke does: it edits the file

      assertEndedBecause(ws, "token revoked");
      assertThat(ws.socket.send("{\"type\":\"input\",\"data\":\"echo typed-after\\n\"}"))
          .as("the stream takes no more input")
          .isFalse();
    }
    assertAuditedClose(phone.id(), "token revoked");
    // and it cannot come back
    Ws again = g.ws(g.projectPath() + "/shells/" + shell + "/stream", phone.token(), Map.of());
    again.closed.get(10, TimeUnit.SECONDS);
    assertThat(again.failure.code()).isEqualTo(401);
    // the shell itself was only detached from: another client still uses it
    try (Ws other = attachedShell(shell, g.write)) {
      String seen = g.get("/v1/sessions/" + shell + "/logs?from=0", g.read).body();
      assertThat(seen).doesNotContain("typed-after");
      assertThat(other.closed).isNotDone();
    }
  }

  @Test
  void revokingOverHttpEndsSessionAndJobStreams() throws Exception {
    String shell = createShell();
    String job = jobSleeping();
    TokenStore.Created t = g.tokens.create(TokenStore.Scope.WRITE, null, "revoked over http");
    try (Ws session = g.wsOpen("/v1/sessions/" + shell + "/stream", t.token());
        Ws jobWs = jobStream(job, t.token())) {
      session.send(Map.of("type", "hello", "cols", 80, "rows", 24));
      session.nextOfType("ready", T);

      Reply revoked = g.post("/v1/tokens/" + t.id() + "/revoke", g.admin, "");
      assertThat(revoked.code()).as(revoked.body()).isEqualTo(200);

      assertEndedBecause(session, "token revoked");
      assertEndedBecause(jobWs, "token revoked");
    } finally {
      g.post(g.projectPath() + "/jobs/" + job + "/cancel", g.write, "");
    }
    assertAuditedClose(t.id(), "token revoked");
  }

  @Test
  void aTokenRemovedFromTheFileCountsAsRevoked() throws Exception {
    String shell = createShell();
    TokenStore.Created t = g.tokens.create(TokenStore.Scope.WRITE, null, "deleted by hand");
    try (Ws ws = attachedShell(shell, t.token())) {
      removeFromTokenFile(t.id());
      assertEndedBecause(ws, "token revoked");
    }
    assertAuditedClose(t.id(), "token revoked");
  }

  @Test
  void aTokenReachingItsExpiryEndsItsStreams() throws Exception {
    String shell = createShell();
    String job = jobSleeping();
    TokenStore.Created t = g.tokens.create(TokenStore.Scope.WRITE, Duration.ofSeconds(3), "short");
    try (Ws ws = attachedShell(shell, t.token());
        Ws jobWs = jobStream(job, t.token())) {
      assertThat(ws.closed).as("open while the token is valid").isNotDone();
      // the token expires about 3 s after it was made; the streams end shortly after
      assertThat(ws.closed.get(3000 + ENDS_WITHIN.toMillis(), TimeUnit.MILLISECONDS))
          .isEqualTo(1008);
      assertThat(ws.closeReason.get(1, TimeUnit.SECONDS)).isEqualTo("token expired");
      assertEndedBecause(jobWs, "token expired");
    } finally {
      g.post(g.projectPath() + "/jobs/" + job + "/cancel", g.write, "");
    }
    assertAuditedClose(t.id(), "token expired");
  }

  @Test
  void writesTurnedOffEndWritingStreamsOnly() throws Exception {
    long savedBeat = JobSocket.heartbeatMillis;
    JobSocket.heartbeatMillis = 200;
    String shell = createShell();
    String job = jobSleeping();
    TokenStore.Created t = g.tokens.create(TokenStore.Scope.WRITE, null, "writes off");
    try (Ws ws = attachedShell(shell, t.token());
        Ws jobWs = jobStream(job, t.token())) {
      g.allowWrites(false); // what hack config set does: it edits config.json

      assertEndedBecause(ws, "writes turned off on this node");
      // the job's log stream only reads: it carries on
      jobWs.messages.clear();
      jobWs.nextOfType("heartbeat", T);
      jobWs.nextOfType("heartbeat", T);
      assertThat(jobWs.closed).isNotDone();
    } finally {
      g.allowWrites(true);
      JobSocket.heartbeatMillis = savedBeat;
      g.post(g.projectPath() + "/jobs/" + job + "/cancel", g.write, "");
    }
    assertAuditedClose(t.id(), "writes turned off on this node");
  }

  @Test
  void disablingTheProjectEndsItsStreams() throws Exception {
    String shell = createShell();
    String job = jobSleeping();
    TokenStore.Created t = g.tokens.create(TokenStore.Scope.WRITE, null, "project off");
    ProjectRegistry registry = ProjectRegistry.open(g.node.home());
    try (Ws ws = attachedShell(shell, t.token());
        Ws jobWs = jobStream(job, t.token())) {
      registry.setGatewayEnabled("proj", false); // what hack gateway disable does
      assertEndedBecause(ws, "project disabled for the gateway");
      assertEndedBecause(jobWs, "project disabled for the gateway");
    } finally {
      registry.setGatewayEnabled("proj", true);
      g.post(g.projectPath() + "/jobs/" + job + "/cancel", g.write, "");
    }
  }

  @Test
  void aTokenHasAtMostSixteenStreams() throws Exception {
    String job = jobSleeping();
    TokenStore.Created t = g.tokens.create(TokenStore.Scope.READ, null, "many tabs");
    List<Ws> open = new ArrayList<>();
    try {
      for (int i = 0; i < Gateway.MAX_STREAMS_PER_TOKEN; i++) {
        open.add(g.wsOpen(g.projectPath() + "/jobs/" + job + "/stream", t.token()));
      }
      Ws refused = g.ws(g.projectPath() + "/jobs/" + job + "/stream", t.token(), Map.of());
      refused.closed.get(10, TimeUnit.SECONDS);
      assertThat(refused.failure.code()).isEqualTo(429);
      assertThat(refused.failureError).isEqualTo("too_many_streams");
      // another token is not held up by this one
      try (Ws other = g.wsOpen(g.projectPath() + "/jobs/" + job + "/stream", g.read)) {
        assertThat(other.opened).isDone();
      }
      // closing one gives its place back
      open.remove(0).socket.close(1000, null);
      Ws later =
          Poll.until(
              T,
              "a stream in the freed place",
              () -> {
                Ws w = g.ws(g.projectPath() + "/jobs/" + job + "/stream", t.token(), Map.of());
                try {
                  w.opened.get(10, TimeUnit.SECONDS);
                  return w;
                } catch (java.util.concurrent.ExecutionException e) {
                  return null;
                }
              });
      open.add(later);
      assertThat(later.opened).isDone();
    } finally {
      open.forEach(Ws::close);
      g.post(g.projectPath() + "/jobs/" + job + "/cancel", g.write, "");
    }
    assertThat(g.auditLines())
        .anyMatch(l -> l.contains("\"status\":429") && l.contains("too_many_streams"));
  }

  /** Deletes a token's record the way a person editing the file would (an atomic replace). */
  private void removeFromTokenFile(String id) throws Exception {
    Path file = g.tokens.file();
    JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    JsonArray kept = new JsonArray();
    for (JsonElement e : root.getAsJsonArray("tokens")) {
      if (!e.getAsJsonObject().get("id").getAsString().equals(id)) {
        kept.add(e);
      }
    }
    root.add("tokens", kept);
    Path tmp = file.resolveSibling("tokens.json.edit");
    Files.writeString(tmp, root.toString());
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
