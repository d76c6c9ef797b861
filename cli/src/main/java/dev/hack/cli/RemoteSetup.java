package dev.hack.cli;

import com.google.gson.JsonPrimitive;
import dev.hack.keys.HackHome;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.Json;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.project.ProjectRegistry;
import java.io.Console;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hack remote setup}, also {@code hack gateway setup}: seed 001's "quick start" in one
 * command. Enables the gateway for the project, settles {@code allowWrites}, creates a token
 * (recorded in the audit log), prints it once with a QR code of the gateway payload, and says how
 * to reach the gateway from a phone.
 */
@Command(
    name = "setup",
    description = {
      "Get a phone or another machine onto this node's gateway: enable the gateway for the"
          + " current project, allow writes if asked, create a token and print it with a QR code.",
      "Without --allow-writes or --read-only it asks in a terminal, and is read-only otherwise."
    },
    mixinStandardHelpOptions = true)
final class RemoteSetup implements Callable<Integer> {
  /** How long a write token lasts unless --ttl says otherwise: seed 001's "short-lived". */
  static final Duration WRITE_TTL = Duration.ofDays(30);

  @Option(
      names = "--project",
      paramLabel = "NAME|DIR",
      description = "a registered project's name or id, or a directory (default: here)")
  String project;

  @ArgGroup(exclusive = true)
  Writes writes;

  static final class Writes {
    @Option(
        names = "--allow-writes",
        description = "allow jobs and shells: sets allowWrites and creates a write token")
    boolean allow;

    @Option(names = "--read-only", description = "turn allowWrites off and create a read token")
    boolean readOnly;
  }

  @Option(
      names = "--ttl",
      paramLabel = "DURATION",
      description =
          "how long the token lasts, e.g. 12h, 7d (default: 30d for write, none for read)")
  String ttl;

  @Option(
      names = "--label",
      paramLabel = "LABEL",
      defaultValue = "remote setup",
      description = "what the token is for (default: ${DEFAULT-VALUE})")
  String label;

  @Option(
      names = "--gateway-url",
      paramLabel = "URL",
      description =
          "the URL clients use, if not the running node's own (else "
              + RunningNode.DEFAULT_GATEWAY_URL
              + ")")
  String gatewayUrl;

  /** How the phone reaches the gateway: seed 001's "Choose Cloudflare/Tailscale/SSH". */
  enum Via {
    tailscale,
    ssh,
    cloudflare,
    local
  }

  @Option(
      names = "--via",
      paramLabel = "WAY",
      description = {
        "how the phone reaches the gateway: ${COMPLETION-CANDIDATES}.",
        "tailscale puts this machine's MagicDNS name in the QR code; ssh prints the ssh -L"
            + " command; cloudflare needs --gateway-url https://HOST. Asked in a terminal,"
            + " else local."
      })
  Via via;

  @Option(
      names = "--ssh-host",
      paramLabel = "HOST",
      description = "with --via ssh: the host the phone connects to (default: THIS-HOST)")
  String sshHost;

  @Option(
      names = "--ssh-user",
      paramLabel = "USER",
      description = "with --via ssh: the user to log in as")
  String sshUser;

  @Option(names = "--no-qr", description = "do not print the QR code")
  boolean noQr;

  @Option(names = "--invert", description = "draw the QR code for a light terminal background")
  boolean invert;

  @Option(
      names = "--json",
      description =
          "JSON for scripts: project_id, gateway_url, token_id, token, scope, expires_at,"
              + " allow_writes, qr_payload, via")
  boolean json;

  @Override
  public Integer call() throws Exception {
    HackHome home = HackHome.fromEnvironment();
    // every argument is checked before anything changes on disk
    Duration d = ttl == null ? null : NodeCommand.Durations.parse(ttl);
    if (d != null && (d.isZero() || d.isNegative())) {
      throw new IllegalArgumentException("--ttl must be longer than 0, not " + ttl);
    }
    Optional<RunningNode> node = RunningNode.find(home);
    String local =
        RemotePayloads.gatewayUrl(
            node.map(RunningNode::gatewayUrl).orElse(RunningNode.DEFAULT_GATEWAY_URL));
    Via way = via != null ? via : json ? Via.local : askVia();
    if (way == Via.cloudflare && gatewayUrl == null) {
      throw new IllegalArgumentException(
          "--via cloudflare needs the tunnel's address: --gateway-url https://gateway.example.com");
    }
    if (way != Via.ssh && (sshHost != null || sshUser != null)) {
      throw new IllegalArgumentException("--ssh-host and --ssh-user go with --via ssh");
    }
    String url;
    if (gatewayUrl != null) {
      url = RemotePayloads.gatewayUrl(gatewayUrl);
    } else if (way == Via.tailscale) {
      url = tailnetUrl(local);
    } else {
      url = local;
    }

    GatewayCommand.Enabled enabled = GatewayCommand.enable(home, project, true);
    ProjectRegistry.Project p = enabled.project();

    ConfigFile config = new ConfigFile(home.config());
    Boolean decided = writes == null ? ask() : Boolean.valueOf(writes.allow);
    boolean allow;
    String writesNote;
    if (decided != null) {
      config.set(GatewayCommand.ALLOW_WRITES, new JsonPrimitive(decided));
      allow = decided;
      writesNote =
          allow
              ? "writes allowed: " + GatewayCommand.ALLOW_WRITES + " = true"
              : "read-only: " + GatewayCommand.ALLOW_WRITES + " = false";
    } else if (config.get(GatewayCommand.ALLOW_WRITES).isEmpty()) {
      config.set(GatewayCommand.ALLOW_WRITES, new JsonPrimitive(false));
      allow = false;
      writesNote =
          "read-only (pass --allow-writes to allow jobs and shells): "
              + GatewayCommand.ALLOW_WRITES
              + " = false";
    } else {
      // not asked and not told: leave a choice made earlier alone, but create only a read token
      allow = config.getBoolean(GatewayCommand.ALLOW_WRITES, false);
      writesNote =
          allow
              ? "read token only; writes stay allowed from before (turn them off with --read-only)"
              : "read-only: " + GatewayCommand.ALLOW_WRITES + " = false";
    }
    boolean writeToken = decided != null && decided;

    TokenStore.Scope scope = writeToken ? TokenStore.Scope.WRITE : TokenStore.Scope.READ;
    Duration life = d != null ? d : writeToken ? WRITE_TTL : null;
    TokenStore.Created token = TokenStore.open(home).create(scope, life, label);
    GatewayCommand.auditCreate(home, token, label);
    String payload = RemotePayloads.webLink(url, token.token());

    PrintStream out = RemoteCommand.utf8Out();
    if (json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("project_id", p.id());
      fields.put("gateway_url", url);
      fields.put("token_id", token.id());
      fields.put("token", token.token());
      fields.put("scope", token.scope());
      fields.put("expires_at", token.expiresAt());
      fields.put("allow_writes", allow);
      fields.put("qr_payload", payload);
      fields.put("via", way.name());
      out.println(Json.GSON.toJson(fields));
      return 0;
    }

    if (enabled.createdIntent() != null) {
      out.println("created " + enabled.createdIntent());
    }
    out.println("gateway enabled for project " + p.name() + " (" + p.id() + "); no restart needed");
    out.println(writesNote);
    out.println(
        "token "
            + token.id()
            + " ("
            + token.scope()
            + (token.expiresAt() == null ? "" : ", expires " + token.expiresAt())
            + "); its secret is shown only this once:");
    out.println();
    out.println("  " + token.token());
    out.println();
    if (!noQr) {
      out.print(QrCodes.render(payload, invert));
      out.println(payload);
      out.println();
    }
    out.println("gateway: " + url);
    if (gatewayUrl == null && node.isEmpty()) {
      out.println("  no node is running from " + home + "; start one with: hack node serve");
    } else if (gatewayUrl == null && node.get().gatewayUrl() == null) {
      out.println("  the running node has no gateway; restart it without --gateway-port -1");
    }
    switch (way) {
      case tailscale -> printTailscaleHelp(out, local, url);
      case ssh -> printSshHelp(out, local);
      case cloudflare -> printCloudflareHelp(out, local, url);
      case local -> printExposeHelp(out, url, p.id());
    }
    return 0;
  }

  /**
   * {@code http://MAGICDNS-NAME:PORT}: this machine on the tailnet, at the gateway's port. Asks the
   * local tailscaled; fails (changing nothing) when Tailscale is not up.
   */
  private static String tailnetUrl(String local) throws java.io.IOException {
    dev.hack.node.mesh.tailscale.TailscaleStatus status;
    try (var ts = dev.hack.node.mesh.tailscale.LocalApiClient.fromEnvironment()) {
      status = ts.status();
    }
    if (status.state().status() != dev.hack.node.mesh.tailscale.TailscaleState.Status.RUNNING) {
      throw new IllegalStateException(
          "tailscale is "
              + status.state().status().wire()
              + ": "
              + status.state().message()
              + "; start it (tailscale up) or choose --via ssh|cloudflare|local");
    }
    var self =
        status
            .selfNode()
            .orElseThrow(
                () -> new IllegalStateException("tailscale reports no address for this machine"));
    String host = self.dnsName() != null ? self.dnsName() : self.ipv4().orElse(null);
    if (host == null) {
      throw new IllegalStateException("tailscale reports no name or address for this machine");
    }
    return "http://" + host + ":" + port(local);
  }

  private static int port(String url) {
    URI u = URI.create(url);
    return u.getPort() > 0 ? u.getPort() : u.getScheme().equals("https") ? 443 : 80;
  }

  private static void printTailscaleHelp(PrintStream out, String local, String url) {
    int port = port(local);
    out.println();
    out.println(
        "Publish the gateway on your tailnet (once; it stays until tailscale serve reset):");
    out.println("  tailscale serve --bg --tcp " + port + " tcp://127.0.0.1:" + port);
    out.println("Then scan the QR code with a phone on the same tailnet: " + url);
  }

  private void printSshHelp(PrintStream out, String local) {
    int port = port(local);
    String target =
        (sshUser == null ? "" : sshUser + "@") + (sshHost == null ? "THIS-HOST" : sshHost);
    out.println();
    out.println(
        "On the phone, forward the gateway's port over SSH (Blink, Termius: port forwarding):");
    out.println("  ssh -N -L " + port + ":127.0.0.1:" + port + " " + target);
    out.println("Then open the gateway link on the phone: it points at that forward.");
    if (sshHost != null) {
      out.println(
          "For an SSH client's own QR code: hack remote qr --ssh --ssh-host "
              + sshHost
              + (sshUser == null ? "" : " --ssh-user " + sshUser));
    }
  }

  private static void printCloudflareHelp(PrintStream out, String local, String url) {
    String host = URI.create(url).getHost();
    out.println();
    out.println("Serve the gateway through a Cloudflare Tunnel (cloudflared, once):");
    out.println("  cloudflared tunnel create hack");
    out.println("  cloudflared tunnel route dns hack " + host);
    out.println("  cloudflared tunnel run --url " + local + " hack");
    out.println(
        "Put Cloudflare Access in front of " + host + " too: the token is the only other lock.");
  }

  /** The exposure question, in a terminal only; local when there is nobody to ask. */
  private static Via askVia() {
    Console console = System.console();
    if (console == null) {
      return Via.local;
    }
    while (true) {
      String answer =
          console.readLine(
              "How will the phone reach this gateway? [t]ailscale, [s]sh tunnel,"
                  + " [c]loudflare tunnel, [l]ocal only (default l) ");
      if (answer == null) {
        return Via.local;
      }
      String a = answer.strip().toLowerCase(Locale.ROOT);
      for (Via v : Via.values()) {
        if (a.equals(v.name()) || a.equals(v.name().substring(0, 1))) {
          return v;
        }
      }
      if (a.isEmpty()) {
        return Via.local;
      }
      console.printf("please answer t, s, c or l%n");
    }
  }

  /** The yes/no question, in a terminal only; null when there is nobody to ask. */
  private Boolean ask() {
    Console console = System.console();
    if (console == null) {
      return null;
    }
    while (true) {
      String answer =
          console.readLine(
              "Allow remote clients to run jobs and open shells on this node (write access)?"
                  + " [y/N] ");
      if (answer == null) {
        return null; // end of input: the safe default
      }
      String a = answer.strip().toLowerCase(Locale.ROOT);
      if (a.isEmpty() || a.equals("n") || a.equals("no")) {
        return false;
      }
      if (a.equals("y") || a.equals("yes")) {
        return true;
      }
      console.printf("please answer y or n%n");
    }
  }

  private static void printExposeHelp(PrintStream out, String url, String projectId) {
    URI u = URI.create(url);
    String host = u.getHost();
    if (host.equals("0.0.0.0") || host.equals("[::]")) {
      out.println();
      out.println("The gateway listens on every address of this machine; a phone needs its name:");
      out.println(
          "  hack remote qr --gateway-url http://THIS-HOST:"
              + u.getPort()
              + " --token TOKEN --project-id "
              + projectId);
      return;
    }
    boolean local = host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]");
    if (!local) {
      return;
    }
    int port = u.getPort() > 0 ? u.getPort() : u.getScheme().equals("https") ? 443 : 80;
    String fwd = port + ":127.0.0.1:" + port;
    out.println();
    out.println("The gateway listens on this machine only. To reach it from a phone:");
    out.println(
        "  SSH:       ssh -L " + fwd + " THIS-HOST   (then use http://127.0.0.1:" + port + ")");
    out.println(
        "  Tailscale: tailscale serve --bg --tcp "
            + port
            + " tcp://127.0.0.1:"
            + port
            + "   (then use http://MACHINE.TAILNET.ts.net:"
            + port
            + ")");
    out.println("Then print a QR code with the URL the phone will use:");
    out.println("  hack remote qr --gateway-url URL --token TOKEN --project-id " + projectId);
  }
}
