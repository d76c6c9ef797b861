package dev.hack.node.service;

import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobStatus;

/** What every door means by a job's verbs ({@code job cancel} over SSH, {@code POST …/cancel}). */
public final class Jobs {
  private Jobs() {}

  /** A job that had finished by itself before it could be cancelled (the gateway answers 409). */
  public static final class AlreadyFinished extends IllegalStateException {
    AlreadyFinished(String message) {
      super(message);
    }
  }

  /**
   * Cancels {@code job}. Cancelling one that is cancelled already is not an error.
   *
   * @throws AlreadyFinished when it completed or failed first
   */
  public static void cancel(Job job) {
    if (!job.cancel() && !JobStatus.CANCELLED.equals(job.meta().status())) {
      throw new AlreadyFinished(
          "job " + job.id() + " has already finished (" + job.meta().status() + ")");
    }
  }
}
