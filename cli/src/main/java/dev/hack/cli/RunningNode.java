package dev.hack.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Optional;

/**
 * The node serving from this {@code HACK_HOME}, as {@code daemon/node.json} describes it, when its
 * process is still alive (a node killed with SIGKILL leaves the file behind).
 *
 * @param gatewayUrl null when the node runs without a gateway
 * @param startedAt null when the file does not say
 */
record RunningNode(long pid, String gatewayUrl, Instant startedAt) {
  /** The default gateway address of {@code hack node serve}. */
  static final String DEFAULT_GATEWAY_URL = "http://127.0.0.1:7788";

  /** The running node, if there is one; an unreadable node.json counts as none. */
  static Optional<RunningNode> find(HackHome home) {
    try {
      if (!Files.isRegularFile(home.nodeFile())) {
        return Optional.empty();
      }
      JsonElement e =
          JsonParser.parseString(Files.readString(home.nodeFile(), StandardCharsets.UTF_8));
      if (!e.isJsonObject() || !e.getAsJsonObject().has("pid")) {
        return Optional.empty();
      }
      JsonObject o = e.getAsJsonObject();
      long pid = o.get("pid").getAsLong();
      if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        return Optional.empty();
      }
      String url = null;
      if (o.has("gateway") && o.get("gateway").isJsonObject()) {
        JsonElement u = o.getAsJsonObject("gateway").get("url");
        url = u == null || u.isJsonNull() ? null : u.getAsString();
      }
      Instant started = null;
      if (o.has("started_at") && !o.get("started_at").isJsonNull()) {
        started = Instant.parse(o.get("started_at").getAsString());
      }
      return Optional.of(new RunningNode(pid, url, started));
    } catch (IOException | RuntimeException e) {
      // hand-edited or from another version (bad JSON, a pid that is not a number, a bad time):
      // the callers fall back to "no node running", which they say
      return Optional.empty();
    }
  }
}
