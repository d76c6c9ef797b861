package dev.hack.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import dev.hack.node.platform.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The node serving from this {@code HACK_HOME}, as {@code daemon/node.json} describes it, when its
 * process is still alive (a node killed with SIGKILL leaves the file behind).
 *
 * @param id null when the file does not say
 * @param name null when the file does not say
 * @param version null when the file does not say
 * @param sshHost null when the file does not say
 * @param sshPort 0 when the file does not say
 * @param gatewayUrl null when the node runs without a gateway
 * @param startedAt null when the file does not say
 */
record RunningNode(
    long pid,
    String id,
    String name,
    String version,
    String sshHost,
    int sshPort,
    String gatewayUrl,
    Instant startedAt) {
  /** The default gateway address of {@code hack node serve}. */
  static final String DEFAULT_GATEWAY_URL = "http://127.0.0.1:7788";

  /**
   * How much earlier than the node's own {@code started_at} its process may have started: the JVM
   * starts before the node does, and the kernel's start time of a process is read to the second.
   */
  private static final Duration START_SLACK = Duration.ofSeconds(2);

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
      if (!Platform.current().isRunning(pid)) {
        return Optional.empty();
      }
      String url = null;
      if (o.has("gateway") && o.get("gateway").isJsonObject()) {
        url = string(o.getAsJsonObject("gateway"), "url");
      }
      String sshHost = null;
      int sshPort = 0;
      if (o.has("ssh") && o.get("ssh").isJsonObject()) {
        JsonObject ssh = o.getAsJsonObject("ssh");
        sshHost = string(ssh, "host");
        sshPort = ssh.has("port") ? ssh.get("port").getAsInt() : 0;
      }
      String started = string(o, "started_at");
      return Optional.of(
          new RunningNode(
              pid,
              string(o, "id"),
              string(o, "name"),
              string(o, "version"),
              sshHost,
              sshPort,
              url,
              started == null ? null : Instant.parse(started)));
    } catch (IOException | RuntimeException e) {
      // hand-edited or from another version (bad JSON, a pid that is not a number, a bad time):
      // the callers fall back to "no node running", which they say
      return Optional.empty();
    }
  }

  private static String string(JsonObject o, String key) {
    JsonElement v = o.get(key);
    return v == null || v.isJsonNull() ? null : v.getAsString();
  }

  /**
   * Why the process {@link #pid} is not this node, or empty when, as far as the system tells, it
   * is: a process of this user (any user's, for root), started no later than the node says it
   * started, running {@code node serve}. A node killed with SIGKILL leaves its node.json behind,
   * and its pid may be reused by any program; this check is what keeps {@code hack daemon stop}
   * from signalling that program. What the system does not tell (another user's process on some
   * systems) is not held against it.
   */
  Optional<String> notThisNode() {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !Platform.current().isRunning(pid)) {
      return Optional.of("process " + pid + " has ended");
    }
    ProcessHandle.Info info = handle.get().info();
    String me = System.getProperty("user.name");
    // root (installing a system unit for a user) may find that user's node
    if (info.user().isPresent()
        && me != null
        && !me.equals("root")
        && !info.user().get().equals(me)) {
      return Optional.of("process " + pid + " belongs to " + info.user().get() + ", not " + me);
    }
    if (startedAt != null
        && info.startInstant().isPresent()
        && info.startInstant().get().isAfter(startedAt.plus(START_SLACK))) {
      return Optional.of(
          "process "
              + pid
              + " started at "
              + info.startInstant().get()
              + ", after the node did ("
              + startedAt
              + "): its pid was reused");
    }
    Optional<String[]> args = info.arguments();
    if (args.isPresent() && !servesANode(List.of(args.get()))) {
      return Optional.of(
          "process "
              + pid
              + " is not a hack node ("
              + info.commandLine().orElse(info.command().orElse("?"))
              + ")");
    }
    return Optional.empty();
  }

  /** Whether a command line runs {@code hack node serve}: the words {@code node serve} in it. */
  static boolean servesANode(List<String> args) {
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals("node") && args.get(i + 1).equals("serve")) {
        return true;
      }
    }
    return false;
  }
}
