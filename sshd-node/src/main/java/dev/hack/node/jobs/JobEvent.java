package dev.hack.node.jobs;

import com.google.gson.JsonObject;
import java.util.Objects;

/**
 * One entry of a job's history ({@code JobEvent} in the gateway API; one line of {@code
 * events.jsonl}). A job's events are numbered 1, 2, 3, … with no gaps.
 *
 * <p>Types and payloads, in the order they happen: {@code job.created} {@code {}}; {@code
 * job.started} {@code {"pid":N}}; then exactly one of {@code job.completed} {@code {"exitCode":0}},
 * {@code job.failed} {@code {"exitCode":N}} or {@code {"reason":"…"}}, {@code job.cancelled} {@code
 * {"signal":"SIGTERM"|"SIGKILL"}} (the strongest signal that was sent; absent when the job was
 * cancelled before its program started).
 *
 * @param seq 1 for a job's first event, then one more for each
 * @param ts ISO-8601 ({@link java.time.Instant#toString()})
 * @param type e.g. {@code job.started}
 * @param payload never null (an empty object when there is nothing to say); a private copy of what
 *     was passed in. Treat it as read-only: it is shared between all readers of the event.
 */
public record JobEvent(long seq, String ts, String type, JsonObject payload) {
  public static final String CREATED = "job.created";
  public static final String STARTED = "job.started";
  public static final String COMPLETED = "job.completed";
  public static final String FAILED = "job.failed";
  public static final String CANCELLED = "job.cancelled";

  public JobEvent {
    if (seq < 1) {
      throw new IllegalArgumentException("job event seq must be at least 1: " + seq);
    }
    Objects.requireNonNull(ts, "ts");
    Objects.requireNonNull(type, "type");
    payload = payload == null ? new JsonObject() : payload.deepCopy();
  }

  /** Whether this event ends a job. */
  public boolean isFinal() {
    return COMPLETED.equals(type) || FAILED.equals(type) || CANCELLED.equals(type);
  }
}
