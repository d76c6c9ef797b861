package dev.hack.node.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.hack.node.api.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The value types: wire names, validation, ids. */
class JobRecordsTest {
  @TempDir Path dir;

  @Test
  void metaUsesTheGatewayFieldNamesAndKeepsNullFields() {
    JobMeta meta =
        new JobMeta(
            "j_1",
            JobStatus.QUEUED,
            "generic",
            List.of("echo", "hi"),
            "p",
            null,
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00Z",
            1,
            "/tmp",
            null,
            null);

    JsonObject json = Json.GSON.toJsonTree(meta).getAsJsonObject();

    assertThat(json.keySet())
        .containsExactly(
            "jobId",
            "status",
            "runner",
            "command",
            "projectId",
            "projectName",
            "createdAt",
            "updatedAt",
            "lastEventSeq",
            "cwd",
            "pid",
            "exitCode");
    assertThat(json.get("projectName").isJsonNull()).isTrue();
    assertThat(Json.GSON.fromJson(Json.GSON.toJson(meta), JobMeta.class)).isEqualTo(meta);
  }

  @Test
  void eventsRoundTripWithTheirPayload() {
    JsonObject payload = new JsonObject();
    payload.addProperty("exitCode", 3);
    JobEvent event = new JobEvent(3, "2024-05-01T10:00:00Z", JobEvent.FAILED, payload);
    payload.addProperty("exitCode", 4); // the event keeps its own copy

    String line = Json.GSON.toJson(event);

    assertThat(line)
        .isEqualTo(
            "{\"seq\":3,\"ts\":\"2024-05-01T10:00:00Z\",\"type\":\"job.failed\","
                + "\"payload\":{\"exitCode\":3}}");
    assertThat(Json.GSON.fromJson(line, JobEvent.class)).isEqualTo(event);
    assertThat(new JobEvent(1, "t", JobEvent.CREATED, null).payload().size()).isZero();
    assertThat(event.isFinal()).isTrue();
  }

  @Test
  void badValuesAreRejectedWithTheValueInTheMessage() {
    assertThatThrownBy(() -> new JobEvent(0, "t", "x", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0");
    assertThatThrownBy(
            () -> new JobMeta("j", null, null, null, null, null, "t", "t", 0, null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("status"); // a status this version does not know reads as null
    assertThatThrownBy(() -> new JobSpec("p", List.of(), dir))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new JobSpec("p", List.of(""), dir))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new JobSpec("p", List.of("true"), Path.of("relative")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("relative");
    assertThatThrownBy(() -> new JobSpec("p", List.of("true"), dir.resolve("missing")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> new JobSpec("p", null, null, List.of("true"), dir, Map.of("A=B", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("A=B");
    List<String> withNull = new ArrayList<>(List.of("echo"));
    withNull.add(null);
    assertThatThrownBy(() -> new JobSpec("p", withNull, dir))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void specDefaultsTheRunnerAndNeverShowsEnvironmentValues() {
    JobSpec spec =
        new JobSpec("p", "P", " ", List.of("true"), dir, Map.of("TOKEN", "s3cret-value"));

    assertThat(spec.runner()).isEqualTo("generic");
    assertThat(spec.toString()).contains("TOKEN").doesNotContain("s3cret-value");
    assertThat(new JobSpec("p", List.of("true"), dir).env()).isEmpty();
  }

  @Test
  void idsAreUrlSafeUniqueAndInCreationOrder() {
    Set<String> seen = new HashSet<>();
    String previous = "";
    for (int i = 0; i < 10_000; i++) {
      String id = JobIds.next();
      assertThat(id).matches("j_[0-9a-z]{13}");
      assertThat(seen.add(id)).isTrue();
      assertThat(id.substring(0, 11)).isGreaterThan(previous);
      previous = id.substring(0, 11);
    }
  }
}
