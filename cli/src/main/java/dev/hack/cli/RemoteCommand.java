package dev.hack.cli;

import com.google.gson.JsonObject;
import dev.hack.keys.AuditLog;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jline.utils.Signals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hack remote setup|qr|monitor}: reaching this node from a phone (docs/remote.md). */
@Command(
    name = "remote",
    description = "Reach this node from a phone: set up the gateway, print QR codes, watch access.",
    mixinStandardHelpOptions = true,
    subcommands = {RemoteSetup.class, RemoteCommand.Qr.class, RemoteCommand.Monitor.class})
final class RemoteCommand {
  private RemoteCommand() {}

  /**
   * Standard output as UTF-8 whatever the locale says: the QR code's half blocks would otherwise
   * come out as '?' under LANG=C, and every terminal a phone scans from speaks UTF-8.
   */
  static PrintStream utf8Out() {
    return new PrintStream(System.out, true, StandardCharsets.UTF_8);
  }

  @Command(
      name = "qr",
      description = {
        "Print a QR code for a phone to scan, then its payload as text:",
        "  the gateway: --gateway-url URL --token TOKEN [--project-id ID]",
        "  SSH:         --ssh --ssh-host HOST [--ssh-user USER] [--ssh-port PORT]",
        "Payload formats: docs/remote.md."
      },
      mixinStandardHelpOptions = true)
  static final class Qr implements Callable<Integer> {
    @Option(
        names = "--gateway-url",
        paramLabel = "URL",
        description = "the gateway's URL as the phone reaches it")
    String gatewayUrl;

    @Option(names = "--token", paramLabel = "TOKEN", description = "a gateway token (hk_...)")
    String token;

    @Option(names = "--project-id", paramLabel = "ID", description = "the project to open")
    String projectId;

    @Option(names = "--ssh", description = "an SSH payload (ssh://USER@HOST[:PORT]) instead")
    boolean ssh;

    @Option(names = "--ssh-host", paramLabel = "HOST", description = "e.g. laptop.tailnet.ts.net")
    String sshHost;

    @Option(
        names = "--ssh-user",
        paramLabel = "USER",
        description = "the user to log in as (default: yours, ${sys:user.name})")
    String sshUser;

    @Option(
        names = "--ssh-port",
        paramLabel = "PORT",
        description = "default: the SSH client's (22); a hack node listens on 2222")
    String sshPort;

    @Option(names = "--invert", description = "draw the code for a light terminal background")
    boolean invert;

    @Option(
        names = "--format",
        paramLabel = "link|json",
        defaultValue = "link",
        description =
            "gateway payload: link (URL/#token=..., opens the web terminal from a phone's camera;"
                + " the default) or json (for app clients)")
    String format;

    @Option(names = "--json", description = "{\"payload\": ...} instead of a QR code")
    boolean json;

    @Override
    public Integer call() {
      String payload = payload();
      PrintStream out = utf8Out();
      if (json) {
        out.println(Json.GSON.toJson(Map.of("payload", payload)));
      } else {
        out.print(QrCodes.render(payload, invert));
        out.println(payload);
      }
      out.flush();
      return 0;
    }

    String payload() {
      boolean sshWanted = ssh || sshHost != null;
      if (sshWanted && (gatewayUrl != null || token != null || projectId != null)) {
        throw new IllegalArgumentException(
            "a QR code holds either the gateway (--gateway-url, --token) or SSH (--ssh), not both");
      }
      if (sshWanted) {
        Integer port = null;
        if (sshPort != null) {
          try {
            port = Integer.valueOf(sshPort.strip());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "--ssh-port must be a number, not '" + sshPort + "'");
          }
        }
        String user = sshUser != null ? sshUser : System.getProperty("user.name");
        return RemotePayloads.ssh(user, sshHost, port);
      }
      if (sshUser != null || sshPort != null) {
        throw new IllegalArgumentException(
            "--ssh-user and --ssh-port go with --ssh --ssh-host HOST");
      }
      if (gatewayUrl == null && token == null) {
        throw new IllegalArgumentException(
            "say what to encode: --gateway-url URL --token TOKEN, or --ssh --ssh-host HOST");
      }
      if ("json".equals(format)) {
        return RemotePayloads.gateway(gatewayUrl, token, projectId);
      }
      if (!"link".equals(format)) {
        throw new IllegalArgumentException("--format is link or json, not '" + format + "'");
      }
      return RemotePayloads.webLink(gatewayUrl, token);
    }
  }

  @Command(
      name = "monitor",
      description = {
        "Follow the gateway's audit log (requests, auth failures, tokens, streams) as it grows,"
            + " with a count of the WebSocket streams open now. Ctrl-C stops it."
      },
      mixinStandardHelpOptions = true)
  static final class Monitor implements Callable<Integer> {
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration NODE_RECHECK = Duration.ofSeconds(2);

    @Option(names = "--once", description = "print what is logged so far and exit")
    boolean once;

    @Option(names = "--json", description = "the log's JSON lines as they are")
    boolean json;

    @Option(
        names = {"-n", "--lines"},
        paramLabel = "N",
        description = "how many earlier entries to show first (default: all with --once, else 20)")
    Integer lines;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final AuditMonitor.Streams streams = new AuditMonitor.Streams();
    private final ZoneId zone = ZoneId.systemDefault();
    private PrintStream out;
    private boolean console;
    private Optional<RunningNode> node = Optional.empty();
    private String lastStatus;

    @Override
    public Integer call() throws Exception {
      if (lines != null && lines < 0) {
        throw new IllegalArgumentException("--lines must be 0 or more, not " + lines);
      }
      HackHome home = HackHome.fromEnvironment();
      out = utf8Out();
      console = System.console() != null && !json;
      AuditMonitor.Tail tail = new AuditMonitor.Tail(AuditLog.open(home).file());
      node = RunningNode.find(home);

      List<String> backlog = tail.poll();
      int show = lines != null ? lines : once ? Integer.MAX_VALUE : 20;
      List<String> shown = new ArrayList<>();
      for (String line : backlog) {
        AuditMonitor.parse(line).ifPresent(streams::accept);
      }
      for (int i = Math.max(0, backlog.size() - show); i < backlog.size(); i++) {
        shown.add(backlog.get(i));
      }
      if (once) {
        shown.forEach(this::print);
        if (!json) {
          if (backlog.isEmpty()) {
            out.println("no gateway activity logged yet (" + tail.file() + ")");
          }
          out.println(status());
        }
        out.flush();
        tail.close();
        return 0;
      }

      Object previous = Signals.register("INT", stop::countDown);
      try {
        if (!json && backlog.isEmpty()) {
          out.println("watching " + tail.file() + " (nothing logged yet); Ctrl-C stops");
        }
        shown.forEach(this::print);
        showStatus();
        long nextNodeCheck = System.nanoTime() + NODE_RECHECK.toNanos();
        while (!stop.await(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
          for (String line : tail.poll()) {
            AuditMonitor.parse(line).ifPresent(streams::accept);
            print(line);
          }
          if (System.nanoTime() - nextNodeCheck > 0) {
            node = RunningNode.find(home);
            nextNodeCheck = System.nanoTime() + NODE_RECHECK.toNanos();
          }
          showStatus();
        }
      } finally {
        tail.close();
        if (previous != null) {
          Signals.unregister("INT", previous);
        }
        if (console && lastStatus != null) {
          out.print("\r\033[K" + lastStatus + "\n"); // leave the last status on screen
        }
        out.flush();
      }
      return 0;
    }

    private void print(String line) {
      if (json) {
        if (AuditMonitor.parse(line).isPresent()) {
          out.println(line);
        }
        return;
      }
      Optional<JsonObject> e = AuditMonitor.parse(line);
      String text =
          e.isPresent()
              ? AuditMonitor.format(e.get(), zone)
              : "(not an audit entry: "
                  + line.substring(0, Math.min(60, line.length())).replaceAll("\\p{Cntrl}", "?")
                  + ")";
      if (console && lastStatus != null) {
        out.print("\r\033[K");
        lastStatus = null; // printed over: show it again below
      }
      out.println(text);
    }

    private String status() {
      if (node.isEmpty()) {
        return "open streams: 0 (no node running)";
      }
      return "open streams: " + streams.count(node.get().startedAt());
    }

    /** In a terminal, a status line kept under the entries; elsewhere, a line when it changes. */
    private void showStatus() {
      if (json) {
        return;
      }
      String s = status();
      if (console) {
        if (!s.equals(lastStatus)) {
          out.print("\r\033[K" + s + "  (Ctrl-C stops)");
          out.flush();
          lastStatus = s;
        }
      } else if (!s.equals(lastStatus)) {
        out.println(s);
        lastStatus = s;
      }
    }
  }
}
