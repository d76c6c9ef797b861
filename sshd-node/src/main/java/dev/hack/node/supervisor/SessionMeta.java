package dev.hack.node.supervisor;

import com.google.gson.annotations.SerializedName;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code daemon/sessions/<id>/meta.json}: what survives a node restart. The last five fields are
 * what a node needs when the program is gone at its start (a reboot): {@code on_restore} (the
 * command to run instead), {@code lost_reason}, {@code restored_at}, the {@code boot_id} of the
 * machine the program was started on, and {@code last_cwd} (where a shell was last seen).
 */
record SessionMeta(
    String id,
    String type,
    SessionStatus status,
    List<String> command,
    String cwd,
    String project,
    Long pid,
    @SerializedName("created_at") String createdAt,
    @SerializedName("updated_at") String updatedAt,
    @SerializedName("exit_code") Integer exitCode,
    int cols,
    int rows,
    String restart,
    @SerializedName("tmux_name") String tmuxName,
    @SerializedName("on_restore") String onRestore,
    @SerializedName("lost_reason") String lostReason,
    @SerializedName("restored_at") String restoredAt,
    @SerializedName("boot_id") String bootId,
    @SerializedName("last_cwd") String lastCwd) {

  /** A record with no restore intent or history (a tmux session's). */
  SessionMeta(
      String id,
      String type,
      SessionStatus status,
      List<String> command,
      String cwd,
      String project,
      Long pid,
      String createdAt,
      String updatedAt,
      Integer exitCode,
      int cols,
      int rows,
      String restart,
      String tmuxName) {
    this(
        id, type, status, command, cwd, project, pid, createdAt, updatedAt, exitCode, cols, rows,
        restart, tmuxName, null, null, null, null, null);
  }

  static final String FILE = "meta.json";

  void write(Path dir) throws IOException {
    dev.hack.keys.FileModes.writeAtomically(
        dir.resolve(FILE), Json.PRETTY.toJson(this).getBytes(StandardCharsets.UTF_8), false);
  }

  static SessionMeta read(Path dir) throws IOException {
    String text = Files.readString(dir.resolve(FILE), StandardCharsets.UTF_8);
    SessionMeta meta = Json.GSON.fromJson(text, SessionMeta.class);
    if (meta == null || meta.id() == null || meta.type() == null || meta.status() == null) {
      throw new IOException(dir.resolve(FILE) + " is not a session record");
    }
    return meta;
  }
}
