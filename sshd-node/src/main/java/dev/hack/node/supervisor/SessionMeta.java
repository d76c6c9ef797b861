package dev.hack.node.supervisor;

import com.google.gson.annotations.SerializedName;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code daemon/sessions/<id>/meta.json}: what survives a node restart. */
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
    @SerializedName("tmux_name") String tmuxName) {

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
