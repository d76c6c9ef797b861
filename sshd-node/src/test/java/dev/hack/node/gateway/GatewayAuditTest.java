package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.AuditLog;
import dev.hack.node.testing.Poll;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Floods of refused requests with huge paths (issue 10, item 3) leave a bounded record: capped
 * lines, a few per second, and counts of what was held back.
 */
class GatewayAuditTest {
  @TempDir Path dir;
  private GatewayFixture g;

  @BeforeEach
  void start() throws Exception {
    g = new GatewayFixture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    g.close();
  }

  private Path audit() {
    return g.node.home().gatewayDir().resolve("audit.jsonl");
  }

  private int send(Request.Builder b) throws Exception {
    try (Response r = g.http.newCall(b.build()).execute()) {
      return r.code();
    }
  }

  /** The most a flood of {@code seconds} may write: bursts, sustained rates, summaries. */
  private static long bound(double seconds) {
    AuditLog.Limits l = AuditLog.Limits.DEFAULT;
    double lines =
        l.refusalBurst()
            + l.refusalPerSecond() * seconds
            + l.actionBurst()
            + l.actionPerSecond() * seconds
            + (l.summaryLinesPerPeriod() + 1) * (1 + seconds / l.summaryEvery().toSeconds());
    return (long) (lines * l.maxLineBytes());
  }

  @Test
  void aFloodOfHugeUnauthenticatedPathsStaysSmallAndCountsWhatItHeldBack() throws Exception {
    String path = "/v1/" + "A".repeat(7896);
    long t0 = System.nanoTime();
    for (int i = 0; i < 2000; i++) {
      assertThat(send(new Request.Builder().url(g.url + path).get())).isEqualTo(401);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(Files.size(audit())).isLessThanOrEqualTo(bound(seconds));
    // the limit is per remote: once it refills, the next refusal says how many were held back
    Poll.until(
        Duration.ofSeconds(10),
        "a line with suppressed",
        () ->
            send(new Request.Builder().url(g.url + path).get()) == 401
                && Files.readAllLines(audit()).stream()
                    .anyMatch(l -> l.contains("\"suppressed\"")));
    List<String> lines = Files.readAllLines(audit());
    assertThat(lines.size()).isLessThan(200);
    long suppressed = 0;
    for (String line : lines) {
      assertThat(line.getBytes(StandardCharsets.UTF_8).length + 1)
          .isLessThanOrEqualTo(AuditLog.Limits.DEFAULT.maxLineBytes());
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.get("event").getAsString().equals("auth_failure")) {
        assertThat(o.get("path").getAsString()).endsWith("…(7900 chars)").hasSizeLessThan(300);
        assertThat(o.get("door").getAsString()).isEqualTo("gateway");
      }
      suppressed += o.has("suppressed") ? o.get("suppressed").getAsLong() : 0;
    }
    assertThat(suppressed).isGreaterThan(1000);
  }

  @Test
  void aTokenFloodingUnknownPathsIsLimitedToo() throws Exception {
    String path = "/v1/" + "B".repeat(7800);
    long t0 = System.nanoTime();
    for (int i = 0; i < 3000; i++) {
      int code =
          send(
              new Request.Builder()
                  .url(g.url + path)
                  .header("Authorization", "Bearer " + g.read)
                  .post(RequestBody.create("{}", GatewayFixture.JSON)));
      assertThat(code).isEqualTo(404);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(Files.size(audit())).isLessThanOrEqualTo(bound(seconds));
    Poll.until(
        Duration.ofSeconds(10),
        "a line with suppressed",
        () ->
            send(
                        new Request.Builder()
                            .url(g.url + path)
                            .header("Authorization", "Bearer " + g.read)
                            .post(RequestBody.create("{}", GatewayFixture.JSON)))
                    == 404
                && Files.readAllLines(audit()).stream()
                    .anyMatch(l -> l.contains("\"suppressed\"")));
    for (String line : Files.readAllLines(audit())) {
      assertThat(line.getBytes(StandardCharsets.UTF_8).length + 1).isLessThanOrEqualTo(1024);
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertThat(o.get("path").getAsString()).endsWith("…(7804 chars)");
      assertThat(o.get("token_id").getAsString()).isNotEmpty();
    }
    // a change by a write token still gets its line while the read token's refusals are held back
    for (int i = 0; i < 50; i++) {
      send(
          new Request.Builder()
              .url(g.url + path)
              .header("Authorization", "Bearer " + g.read)
              .post(RequestBody.create("{}", GatewayFixture.JSON)));
    }
    assertThat(
            send(
                new Request.Builder()
                    .url(g.url + g.projectPath() + "/jobs")
                    .header("Authorization", "Bearer " + g.write)
                    .post(RequestBody.create("{\"command\":[\"true\"]}", GatewayFixture.JSON))))
        .isEqualTo(200);
    // the line is written once the answer is on its way: wait for it
    Poll.until(
        Duration.ofSeconds(10),
        "the job's audit line",
        () -> Files.readAllLines(audit()).stream().anyMatch(l -> l.contains("/jobs\"")));
  }
}
