package dev.hack.node.mesh.tailscale;

import java.util.Locale;
import java.util.Objects;

/**
 * Whether Tailscale can be used on this machine right now, in RFC 0001's status semantics, with one
 * sentence for people saying why.
 *
 * <ul>
 *   <li>{@code running}: tailscaled answered and its backend is {@code Running}.
 *   <li>{@code blocked}: tailscaled is there but cannot be used: its socket refuses connections, it
 *       did not answer within the timeout, it answered with an error or with JSON we cannot read,
 *       or it is still starting.
 *   <li>{@code needs_config}: tailscaled answered but the machine is not on a tailnet yet: backend
 *       {@code NeedsLogin}, {@code NeedsMachineAuth} or {@code Stopped}.
 *   <li>{@code disabled}: there is no tailscaled here (no socket at the configured path).
 * </ul>
 *
 * @param status never null
 * @param message one sentence for people, never null or blank; never holds a token or a login URL
 */
public record TailscaleState(Status status, String message) {
  /** RFC 0001's status values that apply to Tailscale. */
  public enum Status {
    RUNNING,
    BLOCKED,
    NEEDS_CONFIG,
    DISABLED;

    /** The wire form: {@code running}, {@code blocked}, {@code needs_config}, {@code disabled}. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
      return wire();
    }
  }

  public TailscaleState {
    Objects.requireNonNull(status, "status");
    if (message == null || message.isBlank()) {
      throw new IllegalArgumentException("a " + status + " state needs a message");
    }
  }

  public static TailscaleState running(String message) {
    return new TailscaleState(Status.RUNNING, message);
  }

  public static TailscaleState blocked(String message) {
    return new TailscaleState(Status.BLOCKED, message);
  }

  public static TailscaleState needsConfig(String message) {
    return new TailscaleState(Status.NEEDS_CONFIG, message);
  }

  public static TailscaleState disabled(String message) {
    return new TailscaleState(Status.DISABLED, message);
  }

  public boolean isRunning() {
    return status == Status.RUNNING;
  }

  @Override
  public String toString() {
    return status.wire() + ": " + message;
  }
}
