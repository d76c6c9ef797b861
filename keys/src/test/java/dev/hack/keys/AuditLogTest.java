package dev.hack.keys;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's bounds: capped fields and lines, rate-limited refusals, rotation, locking. */
class AuditLogTest {
  @TempDir Path dir;

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private AuditLog log(AuditLog.Limits limits) {
    return new AuditLog(dir.resolve("audit.jsonl"), limits, now::get);
  }

  private List<String> lines() throws Exception {
    List<String> out = new ArrayList<>();
    for (Path p : AuditLog.files(dir.resolve("audit.jsonl"), 100)) {
      out.addAll(Files.readAllLines(p));
    }
    return out;
  }

  private static JsonObject json(String line) {
    return JsonParser.parseString(line).getAsJsonObject();
  }

  @Test
  void longFieldsAreCappedWithTheirLengthAndControlCharactersReplaced() throws Exception {
    AuditLog log = log(AuditLog.Limits.DEFAULT);
    String path = "/v1/" + "A".repeat(7896);
    log.entry("gateway", "request")
        .with("remote", "10.0.0.1:5")
        .with("method", "POST")
        .with("path", path)
        .with("status", 404)
        .with("error", "e\u001b[31mvil\u202e" + "x".repeat(5000))
        .with("detail", "\u00e9".repeat(3000))
        .write();
    String line = lines().get(0);
    assertThat(line.getBytes(StandardCharsets.UTF_8).length + 1).isLessThanOrEqualTo(1024);
    JsonObject o = json(line);
    assertThat(o.get("path").getAsString()).startsWith("/v1/AAAA").endsWith("…(7900 chars)");
    assertThat(o.get("error").getAsString()).startsWith("e?[31mvil?").endsWith("…(5010 chars)");
    assertThat(line).doesNotContain("\u001b").doesNotContain("\u202e");
    assertThat(o.get("door").getAsString()).isEqualTo("gateway");
    assertThat(o.get("status").getAsInt()).isEqualTo(404);
  }

  @Test
  void refusalsAreLimitedPerRemoteAndTheNextLineCountsWhatWasHeldBack() throws Exception {
    AuditLog log = log(AuditLog.Limits.DEFAULT);
    for (int i = 0; i < 500; i++) {
      log.entry("gateway", "auth_failure")
          .with("remote", "10.0.0.9:" + i)
          .with("status", 401)
          .write();
    }
    // another remote has its own allowance; a change is never held back by refusals
    assertThat(
            log.entry("gateway", "auth_failure")
                .with("remote", "10.0.0.7:1")
                .with("status", 401)
                .write())
        .isTrue();
    assertThat(
            log.entry("gateway", "request")
                .with("remote", "10.0.0.9:1")
                .with("status", 200)
                .write())
        .isTrue();
    assertThat(lines().stream().filter(l -> l.contains("10.0.0.9") && l.contains("401")))
        .hasSize((int) AuditLog.Limits.DEFAULT.perKeyBurst());

    now.addAndGet(1_000_000_000L); // a second later: 5 more, the first says how many were skipped
    for (int i = 0; i < 10; i++) {
      log.entry("gateway", "auth_failure").with("remote", "10.0.0.9:1").with("status", 401).write();
    }
    List<String> l = lines();
    assertThat(l.stream().filter(x -> x.contains("\"suppressed\":480"))).hasSize(1);
    assertThat(l.stream().filter(x -> x.contains("10.0.0.9") && x.contains("401"))).hasSize(25);
  }

  @Test
  void aTokenIsLimitedAcrossRemotesAndAllRefusalsTogetherAreCapped() throws Exception {
    AuditLog log = log(AuditLog.Limits.DEFAULT);
    for (int i = 0; i < 300; i++) {
      log.entry("gateway", "request")
          .with("token_id", "t1")
          .with("remote", "10.0.1." + i + ":1")
          .with("status", 404)
          .write();
    }
    assertThat(lines()).hasSize((int) AuditLog.Limits.DEFAULT.perKeyBurst());
    for (int i = 0; i < 5000; i++) {
      log.entry("gateway", "auth_failure")
          .with("remote", "10.2." + i / 250 + "." + i % 250 + ":1")
          .with("status", 401)
          .write();
    }
    assertThat(lines()).hasSize((int) AuditLog.Limits.DEFAULT.refusalBurst());
    assertThat(log.trackedKeys()).isLessThanOrEqualTo(AuditLog.Limits.DEFAULT.maxKeys());
  }

  @Test
  void aQuietRemoteWithHeldBackLinesGetsASummaryLine() throws Exception {
    AuditLog log = log(AuditLog.Limits.DEFAULT);
    for (int i = 0; i < 5000; i++) { // many remotes: the ones forgotten are still counted
      log.entry("ssh", "login_refused")
          .with("remote", "10.3." + i / 250 + "." + i % 250 + ":1")
          .refused()
          .write();
    }
    for (int i = 0; i < 50; i++) { // held back by the cap on all refusals together
      log.entry("ssh", "login_refused").with("remote", "10.0.0.3:22").refused().write();
    }
    now.addAndGet(Duration.ofSeconds(11).toNanos());
    log.summarize();
    List<JsonObject> summaries =
        lines().stream()
            .map(AuditLogTest::json)
            .filter(o -> o.get("event").getAsString().equals("suppressed"))
            .toList();
    assertThat(summaries)
        .hasSizeLessThanOrEqualTo(AuditLog.Limits.DEFAULT.summaryLinesPerPeriod() + 1);
    long total = summaries.stream().mapToLong(o -> o.get("suppressed").getAsLong()).sum();
    long written = lines().stream().filter(x -> x.contains("login_refused")).count();
    assertThat(total + written).isEqualTo(5050);
    assertThat(summaries.get(0).get("remote").getAsString()).isEqualTo("10.0.0.3");
    assertThat(summaries.get(0).get("suppressed").getAsLong()).isEqualTo(50);
  }

  @Test
  void rotationKeepsTheNewestFilesEachUnderTheSize() throws Exception {
    AuditLog log = log(AuditLog.Limits.DEFAULT.withRotation(4096, 3).unlimited());
    for (int i = 0; i < 300; i++) {
      log.entry("cli", "test_line").with("detail", "line " + i).write();
    }
    Path f = dir.resolve("audit.jsonl");
    assertThat(AuditLog.files(f, 10))
        .containsExactly(AuditLog.rotated(f, 3), AuditLog.rotated(f, 2), AuditLog.rotated(f, 1), f);
    for (Path p : AuditLog.files(f, 10)) {
      assertThat(Files.size(p)).isLessThanOrEqualTo(4096);
    }
    List<String> l = lines();
    assertThat(l.get(l.size() - 1)).contains("line 299");
    for (int i = 1; i < l.size(); i++) { // in order, none missing within what is kept
      int a = Integer.parseInt(json(l.get(i - 1)).get("detail").getAsString().substring(5));
      int b = Integer.parseInt(json(l.get(i)).get("detail").getAsString().substring(5));
      assertThat(b).isEqualTo(a + 1);
    }
  }

  @Test
  void twoProcessesAppendingAndRotatingLoseAndMangleNothing() throws Exception {
    Path f = dir.resolve("audit.jsonl");
    int n = 1500;
    Process other =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                AuditAppender.class.getName(),
                f.toString(),
                "16384",
                "100",
                String.valueOf(n),
                "child")
            .redirectErrorStream(true)
            .start();
    AuditLog mine =
        new AuditLog(
            f, AuditLog.Limits.DEFAULT.withRotation(16384, 100).unlimited(), System::nanoTime);
    for (int i = 0; i < n; i++) {
      mine.entry("cli", "test_line").with("detail", "parent " + i).write();
    }
    assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(other.exitValue()).as(new String(other.getInputStream().readAllBytes())).isZero();
    Set<String> seen = new HashSet<>();
    for (Path p : AuditLog.files(f, 100)) {
      assertThat(Files.size(p)).isLessThanOrEqualTo(16384);
      for (String line : Files.readAllLines(p)) {
        seen.add(json(line).get("detail").getAsString());
      }
    }
    assertThat(seen).hasSize(2 * n);
  }
}
