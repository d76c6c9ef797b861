package dev.hack.node.api;

import com.google.gson.annotations.SerializedName;
import java.util.List;

/**
 * A session as every client sees it ({@code ls --json}, the gateway, the TUI): the fields of
 * DESIGN.md, plus {@code managed} (false for the user's own tmux sessions that hack only lists),
 * {@code log_error} (why its output is not being logged right now, e.g. a full disk; null when it
 * is) and {@code unlogged_bytes} (how much of its output was never logged, over its life); {@code
 * on_restore} (the command that replaces its program when the program is gone at a node's start,
 * e.g. after a reboot), {@code lost_reason} (why a {@code lost} session's program is gone: {@code
 * reboot}, {@code keeper}, {@code node}) and {@code restored_at} (when a node last brought it back
 * by its intent).
 */
public record SessionInfo(
    String id,
    String type,
    String status,
    List<String> command,
    String cwd,
    String project,
    Long pid,
    @SerializedName("created_at") String createdAt,
    @SerializedName("updated_at") String updatedAt,
    @SerializedName("exit_code") Integer exitCode,
    int attached,
    int cols,
    int rows,
    String node,
    boolean managed,
    @SerializedName("log_error") String logError,
    @SerializedName("unlogged_bytes") long unloggedBytes,
    @SerializedName("on_restore") String onRestore,
    @SerializedName("lost_reason") String lostReason,
    @SerializedName("restored_at") String restoredAt) {

  /** A session with its log's state and no restore intent or history. */
  public SessionInfo(
      String id,
      String type,
      String status,
      List<String> command,
      String cwd,
      String project,
      Long pid,
      String createdAt,
      String updatedAt,
      Integer exitCode,
      int attached,
      int cols,
      int rows,
      String node,
      boolean managed,
      String logError,
      long unloggedBytes) {
    this(
        id,
        type,
        status,
        command,
        cwd,
        project,
        pid,
        createdAt,
        updatedAt,
        exitCode,
        attached,
        cols,
        rows,
        node,
        managed,
        logError,
        unloggedBytes,
        null,
        null,
        null);
  }

  /** A session whose log is fine. */
  public SessionInfo(
      String id,
      String type,
      String status,
      List<String> command,
      String cwd,
      String project,
      Long pid,
      String createdAt,
      String updatedAt,
      Integer exitCode,
      int attached,
      int cols,
      int rows,
      String node,
      boolean managed) {
    this(
        id, type, status, command, cwd, project, pid, createdAt, updatedAt, exitCode, attached,
        cols, rows, node, managed, null, 0);
  }

  /** The status, or null when it is one this version does not know (from a newer node). */
  public SessionStatus state() {
    return SessionStatus.of(status);
  }

  public boolean isRunning() {
    return state() == SessionStatus.RUNNING;
  }

  public SessionInfo withNode(String node) {
    return new SessionInfo(
        id,
        type,
        status,
        command,
        cwd,
        project,
        pid,
        createdAt,
        updatedAt,
        exitCode,
        attached,
        cols,
        rows,
        node,
        managed,
        logError,
        unloggedBytes,
        onRestore,
        lostReason,
        restoredAt);
  }

  /**
   * The status as the tables show it: {@code exited(CODE)}, {@code lost(REASON)}, and flags after a
   * comma for what is unusual ({@code unmanaged}: the user's own tmux session; {@code not-logging}:
   * its output is not being written to its log).
   */
  public String statusText() {
    String s =
        state() == SessionStatus.EXITED && exitCode != null
            ? "exited(" + exitCode + ")"
            : state() == SessionStatus.LOST && lostReason != null
                ? "lost(" + lostReason + ")"
                : status;
    if (!managed) {
      s += ",unmanaged";
    }
    if (logError != null) {
      s += ",not-logging";
    }
    return s;
  }
}
