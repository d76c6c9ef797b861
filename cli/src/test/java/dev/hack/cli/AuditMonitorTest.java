package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditMonitorTest {
  @TempDir Path dir;

  private static JsonObject entry(String json) {
    return AuditMonitor.parse(json).orElseThrow();
  }

  private void append(Path f, String text) throws Exception {
    Files.writeString(
        f,
        text,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.WRITE,
        StandardOpenOption.APPEND);
  }

  @Test
  void tailWaitsForTheFileAndHoldsBackAHalfWrittenLine() throws Exception {
    Path f = dir.resolve("gateway/audit.jsonl");
    AuditMonitor.Tail tail = new AuditMonitor.Tail(f);
    assertThat(tail.poll()).isEmpty();
    Files.createDirectories(f.getParent());
    append(f, "{\"event\":\"a\"}\n{\"event\":");
    assertThat(tail.poll()).containsExactly("{\"event\":\"a\"}");
    assertThat(tail.poll()).isEmpty();
    append(f, "\"b→\"}\n");
    assertThat(tail.poll()).containsExactly("{\"event\":\"b→\"}");
  }

  @Test
  void tailFollowsTheLogAcrossItsRotationsWithoutLosingALine() throws Exception {
    Path f = dir.resolve("audit.jsonl");
    dev.hack.keys.AuditLog log =
        new dev.hack.keys.AuditLog(
            f,
            dev.hack.keys.AuditLog.Limits.DEFAULT.withRotation(2048, 3).unlimited(),
            System::nanoTime);
    try (AuditMonitor.Tail tail = new AuditMonitor.Tail(f)) {
      java.util.List<String> seen = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        log.entry("cli", "test_line").with("detail", "n" + i).write();
        if (i % 60 == 0) { // many lines, and more than one rotation, between two polls
          seen.addAll(tail.poll());
        }
      }
      seen.addAll(tail.poll());
      assertThat(dev.hack.keys.AuditLog.files(f, 10)).hasSize(4); // rotated, 3 kept
      assertThat(seen).hasSize(200);
      for (int i = 0; i < 200; i++) {
        assertThat(entry(seen.get(i)).get("detail").getAsString()).isEqualTo("n" + i);
      }
    }
  }

  @Test
  void tailStartsOverWhenTheFileIsTruncatedOrReplaced() throws Exception {
    Path f = dir.resolve("audit.jsonl");
    append(f, "one\ntwo\n");
    AuditMonitor.Tail tail = new AuditMonitor.Tail(f);
    assertThat(tail.poll()).containsExactly("one", "two");
    Files.writeString(f, "3\n");
    assertThat(tail.poll()).containsExactly("3");
    Path other = dir.resolve("new");
    Files.writeString(other, "fresh log, longer than before\n");
    Files.move(other, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(tail.poll()).containsExactly("fresh log, longer than before");
    Files.delete(f);
    assertThat(tail.poll()).isEmpty();
    append(f, "again\n");
    assertThat(tail.poll()).containsExactly("again");
  }

  @Test
  void streamsCountOpensWithoutClosesSinceTheNodeStarted() {
    AuditMonitor.Streams s = new AuditMonitor.Streams();
    s.accept(
        entry("{\"ts\":\"2026-01-01T00:00:00Z\",\"event\":\"stream_open\",\"stream_id\":\"old\"}"));
    s.accept(
        entry("{\"ts\":\"2026-01-02T00:00:00Z\",\"event\":\"stream_open\",\"stream_id\":\"s1\"}"));
    s.accept(
        entry("{\"ts\":\"2026-01-02T00:00:01Z\",\"event\":\"stream_open\",\"stream_id\":\"s2\"}"));
    s.accept(
        entry("{\"ts\":\"2026-01-02T00:00:01Z\",\"event\":\"stream_open\",\"stream_id\":\"s2\"}"));
    s.accept(entry("{\"ts\":\"2026-01-02T00:00:02Z\",\"event\":\"request\",\"stream_id\":\"s9\"}"));
    s.accept(entry("{\"ts\":\"2026-01-02T00:00:03Z\",\"event\":\"stream_open\"}"));
    assertThat(s.count(null)).isEqualTo(3);
    assertThat(s.count(Instant.parse("2026-01-02T00:00:00Z"))).isEqualTo(2);
    s.accept(
        entry("{\"ts\":\"2026-01-02T00:00:04Z\",\"event\":\"stream_close\",\"stream_id\":\"s1\"}"));
    s.accept(
        entry("{\"ts\":\"2026-01-02T00:00:05Z\",\"event\":\"stream_close\",\"stream_id\":\"s7\"}"));
    assertThat(s.count(Instant.parse("2026-01-02T00:00:00Z"))).isEqualTo(1);
  }

  @Test
  void formatShowsTimeEventTokenRequestAndRemote() {
    String line =
        AuditMonitor.format(
            entry(
                "{\"ts\":\"2026-03-04T05:06:07.891Z\",\"event\":\"request\","
                    + "\"token_id\":\"3f9a1c2b4d5e\",\"remote\":\"100.64.0.3:5123\","
                    + "\"method\":\"POST\",\"path\":\"/control-plane/projects/p_1/jobs\","
                    + "\"status\":201}"),
            ZoneOffset.UTC);
    assertThat(line)
        .isEqualTo(
            "03-04 05:06:07  request       3f9a1c2b4d5e  POST /control-plane/projects/p_1/jobs"
                + " → 201  from 100.64.0.3:5123");
  }

  @Test
  void formatShowsDetailsErrorsAndStreamsAndNeutralisesControlCharacters() {
    assertThat(
            AuditMonitor.format(
                entry(
                    "{\"ts\":\"2026-03-04T05:06:07Z\",\"event\":\"token_create\","
                        + "\"token_id\":\"ab\",\"detail\":{\"scope\":\"write\",\"label\":null}}"),
                ZoneOffset.UTC))
        .isEqualTo("03-04 05:06:07  token_create  ab            scope=write");
    assertThat(
            AuditMonitor.format(
                entry(
                    "{\"ts\":\"bad\",\"event\":\"auth_failure\",\"method\":\"GET\","
                        + "\"path\":\"/v1/ps\",\"status\":401,\"error\":\"unauthorized\","
                        + "\"remote\":\"\\u001b[2J10.0.0.1\"}"),
                ZoneOffset.UTC))
        .isEqualTo(
            "??-?? ??:??:??  auth_failure  -             GET /v1/ps → 401  unauthorized"
                + "  from ?[2J10.0.0.1");
    assertThat(
            AuditMonitor.format(
                entry(
                    "{\"ts\":\"2026-03-04T05:06:07Z\",\"event\":\"stream_open\","
                        + "\"token_id\":\"ab\",\"path\":\"/v1/sessions/x/stream\","
                        + "\"stream_id\":\"st-1\",\"detail\":\"shell\"}"),
                ZoneOffset.UTC))
        .isEqualTo(
            "03-04 05:06:07  stream_open   ab            /v1/sessions/x/stream  stream st-1  shell");
  }

  @Test
  void onlyJsonObjectsAreEntries() {
    assertThat(AuditMonitor.parse("not json {")).isEmpty();
    assertThat(AuditMonitor.parse("[1]")).isEmpty();
    assertThat(AuditMonitor.parse("{\"event\":\"x\"}")).isPresent();
  }
}
