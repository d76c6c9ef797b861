package dev.hack.node.api;

import com.google.gson.annotations.SerializedName;
import java.util.Locale;

/**
 * Where a session is in its life (docs/sessions.md, "States"). On the wire and on disk it is the
 * lower-case name; {@link SessionInfo#status()} stays a string, so a client can list a node that
 * knows a state this one does not.
 */
public enum SessionStatus {
  /** Its program runs (or waits to be restarted by its restart policy). */
  @SerializedName("running")
  RUNNING,
  /** Its program ended; {@code exit_code} says how. */
  @SerializedName("exited")
  EXITED,
  /** Its program ended with the node that ran it; its log is kept and {@code restart} runs it. */
  @SerializedName("lost")
  LOST;

  /** The name on the wire and in {@code meta.json}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The status with this wire name, or null for one this version does not know. */
  public static SessionStatus of(String wire) {
    for (SessionStatus s : values()) {
      if (s.wire().equals(wire)) {
        return s;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return wire();
  }
}
