package dev.hack.cli;

import com.google.gson.JsonObject;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import dev.hack.node.client.NodeClient;
import dev.hack.node.supervisor.KeeperControl;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hack daemon status}: the node of this {@code HACK_HOME}, and what runs it. */
@Command(
    name = "status",
    description = {
      "Show the node running from this HACK_HOME: pid, version, uptime, ports, sessions, and"
          + " what runs it.",
      "Exit 0 when it runs, 3 when it does not, 1 when it runs but does not answer."
    },
    mixinStandardHelpOptions = true)
final class DaemonStatus implements Callable<Integer> {
  @Option(names = "--json", description = "JSON for scripts")
  boolean json;

  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  @Override
  public Integer call() throws Exception {
    HackHome home = HackHome.fromEnvironment();
    ServiceManager m = ServiceManager.forHome(home);
    Optional<RunningNode> r = DaemonControl.running(home);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("running", r.isPresent());
    o.put("home", home.root().toString());
    o.put("log", NodeLaunch.log(home).toString());
    Map<String, Object> service = new LinkedHashMap<>();
    service.put("manager", m.kind());
    service.put("description", m.describe());
    service.put("unit_file", m.unitFile().map(Path::toString).orElse(null));
    service.put("state", m.state().orElse(null));
    o.put("service", service);
    int exit;
    String error = null;
    JsonObject st = null;
    if (r.isEmpty()) {
      exit = DaemonCommand.NOT_RUNNING;
    } else {
      RunningNode n = r.get();
      o.put("pid", n.pid());
      o.put("id", n.id());
      o.put("name", n.name());
      o.put("version", n.version());
      o.put("started_at", n.startedAt() == null ? null : n.startedAt().toString());
      o.put(
          "uptime_ms",
          n.startedAt() == null ? null : Duration.between(n.startedAt(), Instant.now()).toMillis());
      Map<String, Object> ssh = new LinkedHashMap<>();
      ssh.put("host", n.sshHost());
      ssh.put("port", n.sshPort());
      o.put("ssh", ssh);
      Map<String, Object> gw = new LinkedHashMap<>();
      gw.put("url", n.gatewayUrl());
      o.put("gateway", n.gatewayUrl() == null ? null : gw);
      try {
        st = askStatus(home);
        o.put("sessions", st.get("sessions").getAsInt());
        o.put("sessions_running", st.get("sessions_running").getAsInt());
        o.put("status", st.get("status").getAsString());
        exit = 0;
      } catch (IOException | RuntimeException e) {
        error = "it does not answer over SSH: " + Main.describe(e);
        o.put("sessions", null);
        o.put("sessions_running", null);
        o.put("status", "not answering");
        o.put("error", error);
        exit = 1;
      }
    }
    Optional<KeeperControl.Info> keeper = KeeperControl.info(home.keeperSocket());
    Map<String, Object> k = null;
    if (keeper.isPresent()) {
      k = new LinkedHashMap<>();
      k.put("pid", keeper.get().pid());
      k.put("protocol", keeper.get().version());
      k.put("sessions", keeper.get().sessions());
      k.put("sessions_running", keeper.get().running());
    }
    o.put("keeper", k);
    if (json) {
      System.out.println(Json.GSON.toJson(o));
      return exit;
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    if (r.isEmpty()) {
      out.println("no node is running from " + home + DaemonControl.staleNote(home));
    } else {
      RunningNode n = r.get();
      out.println(
          "node "
              + n.name()
              + " ("
              + n.id()
              + ") is "
              + (error == null ? "running" : "running, but " + error));
      row(out, "pid", String.valueOf(n.pid()));
      row(out, "version", String.valueOf(n.version()));
      if (n.startedAt() != null) {
        row(
            out,
            "uptime",
            uptime(Duration.between(n.startedAt(), Instant.now()))
                + ", since "
                + WHEN.format(n.startedAt()));
      }
      row(out, "ssh", n.sshHost() + ":" + n.sshPort());
      row(out, "gateway", n.gatewayUrl() == null ? "off" : n.gatewayUrl());
      if (st != null) {
        row(
            out,
            "sessions",
            st.get("sessions").getAsInt()
                + ", "
                + st.get("sessions_running").getAsInt()
                + " running");
      }
    }
    row(
        out,
        "keeper",
        keeper
            .map(
                i ->
                    "pid "
                        + i.pid()
                        + ", holds "
                        + i.running()
                        + " running program"
                        + (i.running() == 1 ? "" : "s")
                        + (r.isEmpty() && i.running() > 0
                            ? " (hack daemon start takes them back; stop --end-sessions ends"
                                + " them)"
                            : ""))
            .orElse("none"));
    row(out, "home", home.toString());
    row(out, "log", NodeLaunch.log(home).toString());
    row(out, "runs under", m.describe() + m.state().map(s -> " (" + s + ")").orElse(""));
    return exit;
  }

  private static void row(PrintStream out, String name, String value) {
    out.printf("  %-11s %s%n", name, value);
  }

  /** {@code 3d 4h}, {@code 2h 14m}, {@code 5m 3s}, {@code 12s}. */
  static String uptime(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s >= 86400) {
      return s / 86400 + "d " + s % 86400 / 3600 + "h";
    }
    if (s >= 3600) {
      return s / 3600 + "h " + s % 3600 / 60 + "m";
    }
    if (s >= 60) {
      return s / 60 + "m " + s % 60 + "s";
    }
    return s + "s";
  }

  /** The node's {@code status --json}, over SSH as every hack command asks it. */
  private static JsonObject askStatus(HackHome home) throws IOException {
    Nodes nodes = new Nodes(home);
    Nodes.Ref ref = nodes.local().orElseThrow(() -> new IOException("its node.json is gone"));
    try (NodeClient c = nodes.connect(ref)) {
      return NodeAdmin.status(c);
    }
  }
}
