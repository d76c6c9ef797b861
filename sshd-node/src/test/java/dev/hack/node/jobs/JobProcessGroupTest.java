package dev.hack.node.jobs;

import static dev.hack.node.jobs.JobFixtures.awaitFinished;
import static dev.hack.node.jobs.JobFixtures.awaitGone;
import static dev.hack.node.jobs.JobFixtures.awaitLog;
import static dev.hack.node.jobs.JobFixtures.isGone;
import static dev.hack.node.jobs.JobFixtures.pidAfter;
import static dev.hack.node.jobs.JobFixtures.sh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.supervisor.Signals;
import dev.hack.node.testing.Poll;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cancelling, and programs that start others: one process group per job. */
class JobProcessGroupTest {
  @TempDir Path home;
  @TempDir Path project;
  private JobManager jobs;
  private final List<Long> pids = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    jobs = new JobManager(home.resolve("jobs"));
  }

  @AfterEach
  void noProcessLeftBehind() throws Exception {
    jobs.close();
    List<Long> alive = new ArrayList<>();
    for (long pid : pids) {
      if (!isGone(pid)) {
        alive.add(pid);
        Signals.kill(pid, Signals.SIGKILL);
      }
    }
    assertThat(alive).as("processes the test left running").isEmpty();
  }

  private Job run(String script) throws Exception {
    return jobs.create(new JobSpec("p", sh(script), project));
  }

  @Test
  void programLeadsItsOwnSessionAndProcessGroup() throws Exception {
    Job job = run("echo \"sh $$\"; exec sleep 100");
    long pid = pidAfter(awaitLog(job, "sh "), "sh");
    pids.add(pid);

    List<String> stat = JobFixtures.stat(pid);

    assertThat(pid).isEqualTo(job.meta().pid());
    assertThat(stat.get(2)).as("process group").isEqualTo(Long.toString(pid));
    assertThat(stat.get(3)).as("session").isEqualTo(Long.toString(pid));
    assertThat(job.cancel()).isTrue();
    assertThat(awaitFinished(job).status()).isEqualTo(JobStatus.CANCELLED);
  }

  @Test
  void cancelKillsTheProgramAndEverythingItStarted() throws Exception {
    Job job = run("sleep 100 & echo \"bg $!\"; echo \"sh $$\"; sleep 100; wait");
    String log = awaitLog(job, "sh ");
    long shell = pidAfter(log, "sh");
    long background = pidAfter(log, "bg");
    pids.add(shell);
    pids.add(background);
    // the foreground sleep, found from the shell's children
    long foreground =
        Poll.until(
            JobFixtures.TIMEOUT,
            "the foreground sleep",
            () ->
                ProcessHandle.of(shell).stream()
                    .flatMap(ProcessHandle::children)
                    .map(ProcessHandle::pid)
                    .filter(p -> p != background)
                    .findFirst()
                    .orElse(null));
    pids.add(foreground);

    assertThat(job.cancel()).isTrue();
    JobMeta meta = awaitFinished(job);

    assertThat(meta.status()).isEqualTo(JobStatus.CANCELLED);
    JobEvent last = job.eventsAfter(0).get(2);
    assertThat(last.type()).isEqualTo(JobEvent.CANCELLED);
    assertThat(last.payload().get("signal").getAsString()).isEqualTo("SIGTERM");
    assertThat(job.eventsAfter(0))
        .extracting(JobEvent::type)
        .containsExactly(JobEvent.CREATED, JobEvent.STARTED, JobEvent.CANCELLED);
    awaitGone(shell);
    awaitGone(background);
    awaitGone(foreground);
    assertThat(job.cancel()).as("cancel after the end").isFalse();
  }

  @Test
  void cancelEscalatesToSigkillWhenSigtermIsIgnored() throws Exception {
    Job job = run("trap '' TERM; echo \"sh $$\"; sleep 100; echo survived");
    long shell = pidAfter(awaitLog(job, "sh "), "sh");
    pids.add(shell);

    assertThat(job.cancel()).isTrue();
    assertThat(job.cancel()).as("a second cancel while the first is under way").isTrue();
    JobMeta meta = awaitFinished(job);

    assertThat(meta.status()).isEqualTo(JobStatus.CANCELLED);
    assertThat(meta.exitCode()).isEqualTo(128 + Signals.SIGKILL);
    assertThat(job.eventsAfter(2).get(0).payload().get("signal").getAsString())
        .isEqualTo("SIGKILL");
    assertThat(JobFixtures.log(job)).doesNotContain("survived");
    awaitGone(shell);
  }

  @Test
  void jobEndsWhenABackgroundProcessKeepsItsOutputOpen() throws Exception {
    // The shell outlives its output by a moment so that the job's reader is waiting on the pipe
    // when it exits (the JDK closes an exited child's pipe itself when nobody is reading it).
    Job job = run("sleep 100 & echo \"bg $!\"; echo done; sleep 0.5");

    JobMeta meta = awaitFinished(job);
    long background = pidAfter(JobFixtures.log(job), "bg");
    pids.add(background);

    assertThat(meta.status()).isEqualTo(JobStatus.COMPLETED);
    assertThat(JobFixtures.log(job)).endsWith("done\n");
    assertThat(job.readLog(job.logEnd(), new byte[1], 0, 1)).isEqualTo(-1);
    // not cancelled: what the program left running is its own business
    assertThat(isGone(background)).isFalse();
    Signals.kill(background, Signals.SIGKILL);
    awaitGone(background);
  }

  @Test
  void cancelRightAfterCreateEndsTheJobCancelled() throws Exception {
    // Usually the program has not started yet; either way the job ends cancelled.
    Job job = run("echo \"sh $$\"; sleep 100");
    assertThat(job.cancel()).isTrue();

    JobMeta meta = awaitFinished(job);

    assertThat(meta.status()).isEqualTo(JobStatus.CANCELLED);
    List<JobEvent> events = job.eventsAfter(0);
    assertThat(events.get(events.size() - 1).type()).isEqualTo(JobEvent.CANCELLED);
    if (meta.pid() != null) {
      pids.add(meta.pid());
      awaitGone(meta.pid());
    }
  }
}
