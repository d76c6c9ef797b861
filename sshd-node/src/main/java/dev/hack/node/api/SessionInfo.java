package dev.hack.node.api;

import com.google.gson.annotations.SerializedName;
import java.util.List;

/**
 * A session as every client sees it ({@code ls --json}, the gateway, the TUI): the fields of
 * DESIGN.md, plus {@code managed} (false for the user's own tmux sessions that hack only lists).
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
    boolean managed) {

  public SessionInfo withNode(String node) {
    return new SessionInfo(
        id, type, status, command, cwd, project, pid, createdAt, updatedAt, exitCode, attached,
        cols, rows, node, managed);
  }
}
