package dev.hack.node.jobs;

import static dev.hack.node.jobs.JobFixtures.awaitFinished;
import static dev.hack.node.jobs.JobFixtures.awaitGone;
import static dev.hack.node.jobs.JobFixtures.awaitLog;
import static dev.hack.node.jobs.JobFixtures.pidAfter;
import static dev.hack.node.jobs.JobFixtures.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.hack.node.api.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node finds on disk when it starts, and what it leaves when it stops. */
class JobRecoveryTest {
  @TempDir Path home;
  @TempDir Path project;

  private Path jobsDir() {
    return home.resolve("jobs");
  }

  /** Writes the files of a job that a node was running when it died. */
  private Path writeRunningJob(String id, boolean tornLastLine) throws Exception {
    Path dir = Files.createDirectories(jobsDir().resolve(id));
    JobMeta meta =
        new JobMeta(
            id,
            JobStatus.RUNNING,
            "generic",
            List.of("sleep", "100"),
            "p",
            "P",
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:01Z",
            2,
            project.toString(),
            4242L,
            null);
    Files.writeString(dir.resolve("meta.json"), Json.PRETTY.toJson(meta));
    JsonObject pid = new JsonObject();
    pid.addProperty("pid", 4242);
    String events =
        Json.GSON.toJson(new JobEvent(1, "2024-05-01T10:00:00Z", JobEvent.CREATED, null))
            + "\n"
            + Json.GSON.toJson(new JobEvent(2, "2024-05-01T10:00:01Z", JobEvent.STARTED, pid))
            + "\n"
            + (tornLastLine ? "{\"seq\":3,\"ts\":\"2024-05-" : "");
    Files.writeString(dir.resolve("events.jsonl"), events);
    Files.writeString(dir.resolve("output.log"), "partial output\n");
    return dir;
  }

  @Test
  void aJobRunningWhenTheNodeDiedIsRecordedAsFailed() throws Exception {
    Path dir = writeRunningJob("j_dead", false);

    try (JobManager jobs = new JobManager(jobsDir())) {
      Job job = jobs.get("j_dead").orElseThrow();

      JobMeta meta = job.meta();
      assertThat(meta.status()).isEqualTo(JobStatus.FAILED);
      assertThat(meta.lastEventSeq()).isEqualTo(3);
      assertThat(meta.pid()).isEqualTo(4242L);
      assertThat(job.isFinished()).isTrue();
      assertThat(job.finished().getNow(null)).isEqualTo(meta);
      assertThat(job.cancel()).isFalse();
      List<JobEvent> events = job.eventsAfter(0);
      assertThat(events).extracting(JobEvent::seq).containsExactly(1L, 2L, 3L);
      assertThat(events.get(2).type()).isEqualTo(JobEvent.FAILED);
      assertThat(events.get(2).payload().get("reason").getAsString())
          .isEqualTo("the node stopped while the job was running");
      assertThat(JobFixtures.log(job)).isEqualTo("partial output\n");
      assertThat(job.readLog(job.logEnd(), new byte[4], 0, 4)).isEqualTo(-1);
    }
    JobMeta onDisk = Json.GSON.fromJson(Files.readString(dir.resolve("meta.json")), JobMeta.class);
    assertThat(onDisk.status()).isEqualTo(JobStatus.FAILED);
    assertThat(onDisk.lastEventSeq()).isEqualTo(3);
    List<String> lines = Files.readAllLines(dir.resolve("events.jsonl"));
    assertThat(lines).hasSize(3);
    assertThat(
            Json.GSON.fromJson(lines.get(2), JobEvent.class).payload().get("reason").getAsString())
        .isEqualTo("the node stopped while the job was running");

    // a second restart changes nothing
    try (JobManager again = new JobManager(jobsDir())) {
      assertThat(again.get("j_dead").orElseThrow().eventsAfter(0)).hasSize(3);
    }
    assertThat(Files.readAllLines(dir.resolve("events.jsonl"))).hasSize(3);
  }

  @Test
  void aHalfWrittenEventLineIsSkippedAndTheFailureGetsItsOwnLine() throws Exception {
    Path dir = writeRunningJob("j_torn", true);

    try (JobManager jobs = new JobManager(jobsDir())) {
      Job job = jobs.get("j_torn").orElseThrow();
      assertThat(job.eventsAfter(0)).extracting(JobEvent::seq).containsExactly(1L, 2L, 3L);
    }
    try (JobManager jobs = new JobManager(jobsDir())) {
      Job job = jobs.get("j_torn").orElseThrow();
      assertThat(job.eventsAfter(0))
          .extracting(JobEvent::type)
          .containsExactly(JobEvent.CREATED, JobEvent.STARTED, JobEvent.FAILED);
    }
    assertThat(Files.readString(dir.resolve("events.jsonl"))).endsWith("}\n");
  }

  @Test
  void aFinalEventWithoutTheMetaUpdateIsTakenFromTheEvents() throws Exception {
    Path dir = writeRunningJob("j_late", false);
    JsonObject exit = new JsonObject();
    exit.addProperty("exitCode", 0);
    Files.writeString(
        dir.resolve("events.jsonl"),
        Json.GSON.toJson(new JobEvent(3, "2024-05-01T10:00:09Z", JobEvent.COMPLETED, exit)) + "\n",
        StandardOpenOption.APPEND);

    try (JobManager jobs = new JobManager(jobsDir())) {
      Job job = jobs.get("j_late").orElseThrow();
      assertThat(job.meta().status()).isEqualTo(JobStatus.COMPLETED);
      assertThat(job.meta().updatedAt()).isEqualTo("2024-05-01T10:00:09Z");
      assertThat(job.eventsAfter(0)).hasSize(3);
    }
  }

  @Test
  void finishedJobsSurviveARestartAndNewJobsGetNewIds() throws Exception {
    String id;
    JobMeta before;
    try (JobManager jobs = new JobManager(jobsDir())) {
      Job job = jobs.create(new JobSpec("p", sh("echo kept"), project));
      before = awaitFinished(job);
      id = job.id();
    }

    try (JobManager jobs = new JobManager(jobsDir())) {
      Job job = jobs.get(id).orElseThrow();
      assertThat(job.meta()).isEqualTo(before);
      assertThat(JobFixtures.log(job)).isEqualTo("kept\n");
      assertThat(job.eventsAfter(0)).hasSize(3);
      Job next = jobs.create(new JobSpec("p", sh("true"), project));
      assertThat(next.id()).isNotEqualTo(id);
      assertThat(jobs.list("p")).containsExactly(job, next);
      awaitFinished(next);
    }
  }

  @Test
  void unreadableJobDirectoriesAreSkipped() throws Exception {
    Files.createDirectories(jobsDir().resolve("j_bad"));
    Files.writeString(jobsDir().resolve("j_bad").resolve("meta.json"), "{not json");
    Files.createDirectories(jobsDir().resolve("j_odd"));
    Files.writeString(jobsDir().resolve("j_odd").resolve("meta.json"), "{\"jobId\":\"j_odd\"}");
    Files.createDirectories(jobsDir().resolve("empty"));
    Path ok = writeRunningJob("j_ok", false);
    Path copy = Files.createDirectories(jobsDir().resolve("j_copy"));
    Files.copy(ok.resolve("meta.json"), copy.resolve("meta.json"));

    try (JobManager jobs = new JobManager(jobsDir())) {
      assertThat(jobs.list(null)).extracting(Job::id).containsExactly("j_ok");
    }
  }

  @Test
  void closeEndsRunningJobsAsFailedBecauseTheNodeShutDown() throws Exception {
    JobManager jobs = new JobManager(jobsDir());
    Job job = jobs.create(new JobSpec("p", sh("echo \"sh $$\"; sleep 100"), project));
    long shell = pidAfter(awaitLog(job, "sh "), "sh");
    Job stubborn =
        jobs.create(new JobSpec("p", sh("trap '' TERM; echo \"sh $$\"; sleep 100"), project));
    long stubbornShell = pidAfter(awaitLog(stubborn, "sh "), "sh");

    jobs.close();

    for (Job j : List.of(job, stubborn)) {
      assertThat(j.isFinished()).isTrue();
      assertThat(j.meta().status()).isEqualTo(JobStatus.FAILED);
      JobEvent last = j.eventsAfter(0).get(2);
      assertThat(last.type()).isEqualTo(JobEvent.FAILED);
      assertThat(last.payload().get("reason").getAsString()).isEqualTo("the node shut down");
    }
    awaitGone(shell);
    awaitGone(stubbornShell);
    assertThatThrownBy(() -> jobs.create(new JobSpec("p", sh("true"), project)))
        .isInstanceOf(IllegalStateException.class);
    jobs.close(); // idempotent
    try (JobManager again = new JobManager(jobsDir())) {
      assertThat(again.get(job.id()).orElseThrow().meta()).isEqualTo(job.meta());
    }
    assertThat(
            new String(
                    Files.readAllBytes(jobsDir().resolve(job.id()).resolve("events.jsonl")),
                    StandardCharsets.UTF_8)
                .lines()
                .count())
        .isEqualTo(3);
  }
}
