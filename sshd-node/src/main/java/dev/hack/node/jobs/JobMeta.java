package dev.hack.node.jobs;

import java.util.List;
import java.util.Objects;

/**
 * A job's metadata, as the gateway serves it ({@code JobMeta} in the gateway API) and as {@code
 * jobs/<jobId>/meta.json} stores it. Field names are the wire names. An immutable snapshot.
 *
 * @param jobId the job's id
 * @param status where the job is in its life
 * @param runner the runner name ({@code generic} unless the client chose another)
 * @param command argv
 * @param projectId the project, or null
 * @param projectName the project's display name, or null
 * @param createdAt ISO-8601 ({@link java.time.Instant#toString()})
 * @param updatedAt ISO-8601, the time of the last change (every event changes it)
 * @param lastEventSeq the {@code seq} of the job's last event, 0 before the first
 * @param cwd the absolute working directory
 * @param pid the program's process id once it started, else null
 * @param exitCode the program's exit status once it exited (128 + N when killed by signal N), else
 *     null
 */
public record JobMeta(
    String jobId,
    JobStatus status,
    String runner,
    List<String> command,
    String projectId,
    String projectName,
    String createdAt,
    String updatedAt,
    long lastEventSeq,
    String cwd,
    Long pid,
    Integer exitCode) {

  public JobMeta {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (status == null) {
      throw new IllegalArgumentException("unknown or missing job status");
    }
    if (lastEventSeq < 0) {
      throw new IllegalArgumentException("negative lastEventSeq " + lastEventSeq);
    }
    command = command == null ? null : List.copyOf(command);
  }

  /** Whether the job has ended: completed, failed or cancelled. */
  public boolean isTerminal() {
    return status.terminal();
  }

  JobMeta with(JobStatus status, String updatedAt, long lastEventSeq, Long pid, Integer exitCode) {
    return new JobMeta(
        jobId,
        status,
        runner,
        command,
        projectId,
        projectName,
        createdAt,
        updatedAt,
        lastEventSeq,
        cwd,
        pid,
        exitCode);
  }
}
