package dev.hack.node.jobs;

import static dev.hack.node.jobs.JobFixtures.awaitFinished;
import static dev.hack.node.jobs.JobFixtures.log;
import static dev.hack.node.jobs.JobFixtures.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hack.node.api.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Running jobs to the end: exit codes, output, events, files, subscribers, listing. */
class JobManagerTest {
  @TempDir Path home;
  @TempDir Path project;
  private JobManager jobs;

  @BeforeEach
  void open() throws Exception {
    jobs = new JobManager(home.resolve("jobs"));
  }

  @AfterEach
  void close() {
    jobs.close();
    for (Job job : jobs.list(null)) {
      assertThat(job.isFinished()).as("job %s finished", job.id()).isTrue();
    }
  }

  private JobSpec spec(List<String> command) {
    return new JobSpec("p1", command, project);
  }

  @Test
  void failingCommandRecordsItsExitCodeBothStreamsAndConsecutiveEvents() throws Exception {
    Job job = jobs.create(spec(sh("echo out; echo err >&2; exit 3")));

    JobMeta meta = awaitFinished(job);

    assertThat(meta.status()).isEqualTo(JobStatus.FAILED);
    assertThat(meta.exitCode()).isEqualTo(3);
    assertThat(meta.pid()).isPositive();
    assertThat(job.isFinished()).isTrue();
    assertThat(log(job)).contains("out\n").contains("err\n");
    List<JobEvent> events = job.eventsAfter(0);
    assertThat(events)
        .extracting(JobEvent::type)
        .containsExactly(JobEvent.CREATED, JobEvent.STARTED, JobEvent.FAILED);
    assertThat(events).extracting(JobEvent::seq).containsExactly(1L, 2L, 3L);
    assertThat(events.get(1).payload().get("pid").getAsLong()).isEqualTo(meta.pid());
    assertThat(events.get(2).payload().get("exitCode").getAsInt()).isEqualTo(3);
    assertThat(meta.lastEventSeq()).isEqualTo(3);
    assertThat(job.lastEventSeq()).isEqualTo(3);
    assertThat(meta.updatedAt()).isEqualTo(events.get(2).ts());
    assertThat(job.eventsAfter(2)).containsExactly(events.get(2));
    assertThat(job.eventsAfter(3)).isEmpty();
  }

  @Test
  void successfulCommandCompletes() throws Exception {
    Job job = jobs.create(spec(sh("printf hello")));

    JobMeta meta = awaitFinished(job);

    assertThat(meta.status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(meta.exitCode()).isZero();
    assertThat(meta.runner()).isEqualTo("generic");
    assertThat(meta.command()).containsExactly("sh", "-c", "printf hello");
    assertThat(meta.projectId()).isEqualTo("p1");
    assertThat(meta.cwd()).isEqualTo(project.toString());
    assertThat(log(job)).isEqualTo("hello");
    JobEvent last = job.eventsAfter(0).get(2);
    assertThat(last.type()).isEqualTo(JobEvent.COMPLETED);
    assertThat(last.payload().get("exitCode").getAsInt()).isZero();
  }

  @Test
  void programRunsInItsDirectoryWithTheNodeEnvironmentPlusOverrides() throws Exception {
    JobSpec spec =
        new JobSpec(
            "p1",
            "Project One",
            "generic",
            sh(
                "printf '%s|%s|' \"$HACK_JOB_TEST\" \"$(pwd)\"; test -n \"$PATH\" && printf path;"
                    + " read x || printf eof"),
            project,
            Map.of("HACK_JOB_TEST", "from the spec"));

    Job job = jobs.create(spec);

    assertThat(awaitFinished(job).status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(log(job)).isEqualTo("from the spec|" + project.toRealPath() + "|patheof");
    assertThat(job.meta().runner()).isEqualTo("generic");
    assertThat(job.meta().projectName()).isEqualTo("Project One");
    assertThat(Files.readString(home.resolve("jobs").resolve(job.id()).resolve("meta.json")))
        .doesNotContain("from the spec");
  }

  @Test
  void unknownProgramFailsWithAReasonNamingIt() throws Exception {
    Job job = jobs.create(spec(List.of("hack-no-such-program-xyz", "arg")));

    JobMeta meta = awaitFinished(job);

    assertThat(meta.status()).isEqualTo(JobStatus.FAILED);
    assertThat(meta.pid()).isNull();
    assertThat(meta.exitCode()).isNull();
    List<JobEvent> events = job.eventsAfter(0);
    assertThat(events)
        .extracting(JobEvent::type)
        .containsExactly(JobEvent.CREATED, JobEvent.FAILED);
    String reason = events.get(1).payload().get("reason").getAsString();
    assertThat(reason).contains("hack-no-such-program-xyz");
    assertThat(log(job)).isEqualTo("hack: " + reason + "\n");
  }

  @Test
  void programThatIsNotExecutableFailsWithAReason() throws Exception {
    Files.writeString(project.resolve("script.sh"), "echo hi\n");

    Job job = jobs.create(spec(List.of("./script.sh")));

    assertThat(awaitFinished(job).status()).isEqualTo(JobStatus.FAILED);
    assertThat(job.eventsAfter(1).get(0).payload().get("reason").getAsString())
        .contains("./script.sh")
        .contains("Permission denied (the file is not executable)");
  }

  @Test
  void vanishedWorkingDirectoryFailsWithAReason() throws Exception {
    Path gone = Files.createDirectory(project.resolve("gone"));
    JobSpec spec = new JobSpec("p1", sh("true"), gone);
    Files.delete(gone);

    Job job = jobs.create(spec);

    assertThat(awaitFinished(job).status()).isEqualTo(JobStatus.FAILED);
    assertThat(job.eventsAfter(0).get(1).payload().get("reason").getAsString())
        .contains(gone.toString());
    assertThat(log(job)).contains(gone.toString());
  }

  @Test
  void subscribersHearOfOutputAndEventsUntilTheyUnsubscribe() throws Exception {
    Job job = jobs.create(spec(sh("echo one; echo two")));
    List<String> seen = new ArrayList<>();
    AtomicInteger afterUnsubscribe = new AtomicInteger();
    Runnable unsubscribe =
        job.subscribe(
            () -> {
              synchronized (seen) {
                seen.add(job.logEnd() + "/" + job.lastEventSeq());
              }
            });
    Runnable other = job.subscribe(afterUnsubscribe::incrementAndGet);
    other.run();
    other.run(); // idempotent
    // the job already runs: a notification may have come in before the unsubscribe, never after
    int heardBefore = afterUnsubscribe.get();

    JobMeta meta = awaitFinished(job);
    unsubscribe.run();

    synchronized (seen) {
      assertThat(seen).isNotEmpty();
      // the last notification came after the final event, with the whole log in place
      assertThat(seen.get(seen.size() - 1)).isEqualTo("8/" + meta.lastEventSeq());
    }
    assertThat(afterUnsubscribe).hasValue(heardBefore);
  }

  @Test
  void aSubscriberThatThrowsDoesNotStopTheJob() throws Exception {
    Job job = jobs.create(spec(sh("echo hi")));
    job.subscribe(
        () -> {
          throw new IllegalStateException("a broken client");
        });

    assertThat(awaitFinished(job).status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(log(job)).isEqualTo("hi\n");
  }

  @Test
  void readLogFromTheMiddleReturnsExactlyTheRest() throws Exception {
    Job job = jobs.create(spec(sh("printf abcdefghij")));
    awaitFinished(job);
    byte[] buf = new byte[100];

    int n = job.readLog(4, buf, 10, 90);

    assertThat(n).isEqualTo(6);
    assertThat(new String(buf, 10, n, StandardCharsets.US_ASCII)).isEqualTo("efghij");
    assertThat(job.readLog(8, buf, 0, 1)).isEqualTo(1);
    assertThat(buf[0]).isEqualTo((byte) 'i');
    assertThat(job.readLog(3, buf, 0, 0)).isZero();
    assertThat(job.logEnd()).isEqualTo(10);
    assertThat(job.readLog(10, buf, 0, 100)).isEqualTo(-1);
    assertThatThrownBy(() -> job.readLog(11, buf, 0, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("11");
    assertThatThrownBy(() -> job.readLog(-1, buf, 0, 100))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> job.readLog(0, buf, 95, 10))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void readLogReturnsZeroAtTheEndWhileTheJobRuns() throws Exception {
    Job job = jobs.create(spec(sh("echo ready; sleep 100")));
    JobFixtures.awaitLog(job, "ready\n");
    byte[] buf = new byte[16];

    assertThat(job.readLog(job.logEnd(), buf, 0, buf.length)).isZero();
    assertThat(job.meta().status()).isEqualTo(JobStatus.RUNNING);
    assertThat(job.isFinished()).isFalse();
    job.cancel();
    awaitFinished(job);
    assertThat(job.readLog(job.logEnd(), buf, 0, buf.length)).isEqualTo(-1);
  }

  @Test
  void largeOutputArrivesWholeAndInOrder() throws Exception {
    Job job = jobs.create(spec(List.of("seq", "1", "100000")));

    awaitFinished(job);

    StringBuilder expected = new StringBuilder();
    for (int i = 1; i <= 100000; i++) {
      expected.append(i).append('\n');
    }
    assertThat(job.logEnd()).isEqualTo(expected.length());
    assertThat(log(job)).isEqualTo(expected.toString());
  }

  @Test
  void concurrentReadersEachGetTheWholeLogByTheTimeTheySeeTheFinalEvent() throws Exception {
    Job job = jobs.create(spec(List.of("seq", "1", "200000")));
    StringBuilder expected = new StringBuilder();
    for (int i = 1; i <= 200000; i++) {
      expected.append(i).append('\n');
    }
    List<Thread> readers = new ArrayList<>();
    List<String> results = Collections.synchronizedList(new ArrayList<>());
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    for (int r = 0; r < 8; r++) {
      Thread t = new Thread(() -> follow(job, results, errors), "test-reader-" + r);
      t.start();
      readers.add(t);
    }

    awaitFinished(job);
    for (Thread t : readers) {
      t.join(JobFixtures.TIMEOUT.toMillis());
      assertThat(t.isAlive()).isFalse();
    }

    assertThat(errors).isEmpty();
    assertThat(results).hasSize(8).allMatch(expected.toString()::equals);
  }

  /**
   * Streams a job like a gateway client: wakes on each change, sends new log bytes, then new
   * events; once the final event has been seen, the log must be complete.
   */
  private static void follow(Job job, List<String> results, List<Throwable> errors) {
    Semaphore changed = new Semaphore(0);
    Runnable unsubscribe = job.subscribe(changed::release);
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      long pos = 0;
      long seq = 0;
      boolean sawFinal = false;
      while (true) {
        int n;
        while ((n = job.readLog(pos, buf, 0, buf.length)) > 0) {
          out.write(buf, 0, n);
          pos += n;
        }
        if (sawFinal) {
          if (n != -1) {
            throw new AssertionError("the final event came before the end of the log, at " + pos);
          }
          break;
        }
        for (JobEvent e : job.eventsAfter(seq)) {
          if (e.seq() != seq + 1) {
            throw new AssertionError("event " + e.seq() + " after " + seq);
          }
          seq = e.seq();
          sawFinal |= e.isFinal();
        }
        if (!sawFinal) {
          changed.tryAcquire(100, TimeUnit.MILLISECONDS);
        }
      }
      results.add(out.toString(StandardCharsets.UTF_8));
    } catch (Throwable t) {
      errors.add(t);
    } finally {
      unsubscribe.run();
    }
  }

  @Test
  void listFiltersByProjectOldestFirst() throws Exception {
    Job a1 = jobs.create(new JobSpec("a", sh("true"), project));
    Job b = jobs.create(new JobSpec("b", sh("true"), project));
    Job a2 = jobs.create(new JobSpec("a", sh("true"), project));
    Job none = jobs.create(new JobSpec(null, sh("true"), project));

    assertThat(jobs.list("a")).containsExactly(a1, a2);
    assertThat(jobs.list("b")).containsExactly(b);
    assertThat(jobs.list("c")).isEmpty();
    assertThat(jobs.list(null)).containsExactly(a1, b, a2, none);
    assertThat(jobs.get(b.id())).containsSame(b);
    assertThat(jobs.get("j_nope")).isEmpty();
    for (Job job : jobs.list(null)) {
      awaitFinished(job);
    }
  }

  @Test
  void filesAreOwnerOnlyAndRecordWhatTheJobReports() throws Exception {
    Job job = jobs.create(spec(sh("echo hi")));
    JobMeta meta = awaitFinished(job);
    Path dir = home.resolve("jobs").resolve(job.id());

    assertThat(perms(home.resolve("jobs"))).isEqualTo("rwx------");
    assertThat(perms(dir)).isEqualTo("rwx------");
    assertThat(perms(dir.resolve("meta.json"))).isEqualTo("rw-------");
    assertThat(perms(dir.resolve("events.jsonl"))).isEqualTo("rw-------");
    assertThat(perms(dir.resolve("output.log"))).isEqualTo("rw-------");
    assertThat(Json.GSON.fromJson(Files.readString(dir.resolve("meta.json")), JobMeta.class))
        .isEqualTo(meta);
    List<String> lines = Files.readAllLines(dir.resolve("events.jsonl"));
    assertThat(lines).hasSize(3);
    for (int i = 0; i < lines.size(); i++) {
      assertThat(Json.GSON.fromJson(lines.get(i), JobEvent.class))
          .isEqualTo(job.eventsAfter(0).get(i));
    }
    assertThat(Files.readString(dir.resolve("output.log"))).isEqualTo("hi\n");
  }

  @Test
  void finishedCompletesAfterTheFinalEventIsVisible() throws Exception {
    Job job = jobs.create(spec(sh("echo hi")));
    List<String> seenAtCompletion = new ArrayList<>();

    job.finished()
        .thenAccept(
            meta -> {
              synchronized (seenAtCompletion) {
                seenAtCompletion.add(job.eventsAfter(0).get(2).type() + " " + job.logEnd());
              }
            })
        .get(JobFixtures.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);

    synchronized (seenAtCompletion) {
      assertThat(seenAtCompletion).containsExactly(JobEvent.COMPLETED + " 3");
    }
    assertThat(job.cancel()).isFalse();
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
