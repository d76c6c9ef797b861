package dev.hack.node.jobs;

import com.google.gson.annotations.SerializedName;
import java.util.Locale;

/**
 * Where a job is in its life, as the gateway API names it ({@code JobMeta.status}, seed 001). On
 * the wire and in {@code meta.json} it is the lower-case name, which is also what {@link
 * #toString()} gives, so messages and logs read as before.
 */
public enum JobStatus {
  @SerializedName("queued")
  QUEUED,
  @SerializedName("starting")
  STARTING,
  @SerializedName("running")
  RUNNING,
  @SerializedName("completed")
  COMPLETED,
  @SerializedName("failed")
  FAILED,
  @SerializedName("cancelled")
  CANCELLED,
  /** In the API; this node never sets it. */
  @SerializedName("awaiting_input")
  AWAITING_INPUT;

  /** The name on the wire and on disk. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the job has ended: completed, failed or cancelled. */
  public boolean terminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  @Override
  public String toString() {
    return wire();
  }
}
