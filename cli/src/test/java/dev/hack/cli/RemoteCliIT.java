package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.AuditLog;
import dev.hack.keys.HackHome;
import dev.hack.node.mesh.tailscale.FakeLocalApi;
import dev.hack.node.mesh.tailscale.LocalApiFixtures;
import dev.hack.node.testing.TmuxTerminal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hack gateway enable|setup} and {@code hack remote setup|qr|monitor} as a user runs them:
 * the packaged jar in its own process, a temporary HACK_HOME, and a project directory as the
 * working directory.
 */
class RemoteCliIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  final List<Process> processes = new ArrayList<>();
  final List<TmuxTerminal> terminals = new ArrayList<>();

  record Run(int exit, String out, String err) {}

  @AfterEach
  void stop() throws Exception {
    for (TmuxTerminal t : terminals) {
      t.close();
    }
    for (Process p : processes) {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
      p.destroyForcibly();
    }
    CliNodes.endKeeper(home());
  }

  private Path home() {
    return dir.resolve("home");
  }

  private Path project() throws Exception {
    return Files.createDirectories(dir.resolve("work/myapp"));
  }

  private List<String> argv(String... args) {
    return CliNodes.hackArgv(args);
  }

  private ProcessBuilder hack(String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(argv(args)).directory(project().toFile());
    pb.environment().put("HACK_HOME", home().toString());
    return pb;
  }

  private Run run(ProcessBuilder pb) throws Exception {
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err);
  }

  private Run run(String... args) throws Exception {
    return run(hack(args));
  }

  private static JsonObject json(Path file) throws Exception {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  private static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void setupWithWritesEnablesTheProjectAndStoresOnlyTheTokensHash() throws Exception {
    Run r = run("gateway", "setup", "--allow-writes", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonObject out = JsonParser.parseString(r.out()).getAsJsonObject();
    assertThat(out.keySet())
        .containsExactly(
            "project_id",
            "gateway_url",
            "token_id",
            "token",
            "scope",
            "expires_at",
            "allow_writes",
            "qr_payload",
            "via");
    String token = out.get("token").getAsString();
    String id = out.get("token_id").getAsString();
    String projectId = out.get("project_id").getAsString();
    assertThat(token).startsWith("hk_" + id + "_");
    assertThat(out.get("scope").getAsString()).isEqualTo("write");
    assertThat(out.get("allow_writes").getAsBoolean()).isTrue();
    assertThat(out.get("gateway_url").getAsString()).isEqualTo("http://127.0.0.1:7788");
    Instant expires = Instant.parse(out.get("expires_at").getAsString());
    assertThat(expires)
        .isBetween(
            Instant.now().plus(Duration.ofDays(29)), Instant.now().plus(Duration.ofDays(31)));
    // a link a phone's camera opens: the web terminal, with the token in the fragment
    assertThat(out.get("qr_payload").getAsString())
        .isEqualTo("http://127.0.0.1:7788/#token=" + token);

    // tokens.json: the hash of the secret, never the secret
    Path tokens = home().resolve("daemon/gateway/tokens.json");
    String tokensText = Files.readString(tokens);
    // the secret is what follows hk_ID_, and may itself hold '_' (base64url): a secret whose tail
    // after its own last '_' was "oo" once matched "scope" in the audit line
    String secret = token.substring(("hk_" + id + "_").length());
    assertThat(tokensText).doesNotContain(token).doesNotContain(secret);
    JsonObject stored = null;
    for (JsonElement t : json(tokens).getAsJsonArray("tokens")) {
      if (t.getAsJsonObject().get("id").getAsString().equals(id)) {
        stored = t.getAsJsonObject();
      }
    }
    assertThat(stored).isNotNull();
    assertThat(stored.get("scope").getAsString()).isEqualTo("write");
    assertThat(stored.get("hash").getAsString())
        .isEqualTo(sha256(token.substring(("hk_" + id + "_").length())));

    // the project, registered with its intent file created as `hack project add` makes it
    assertThat(json(project().resolve(".hack/project.json")).get("name").getAsString())
        .isEqualTo("myapp");
    JsonArray projects = json(home().resolve("registry/projects.json")).getAsJsonArray("projects");
    assertThat(projects).hasSize(1);
    JsonObject p = projects.get(0).getAsJsonObject();
    assertThat(p.get("project_id").getAsString()).isEqualTo(projectId);
    assertThat(p.get("gateway_enabled").getAsBoolean()).isTrue();
    assertThat(p.get("repo_root").getAsString()).isEqualTo(project().toString());

    assertThat(
            json(home().resolve("config.json"))
                .getAsJsonObject("controlPlane")
                .getAsJsonObject("gateway")
                .get("allowWrites")
                .getAsBoolean())
        .isTrue();

    // the audit log names the token, never its secret
    String audit = Files.readString(home().resolve("daemon/gateway/audit.jsonl"));
    assertThat(audit).doesNotContain(secret);
    JsonObject created =
        JsonParser.parseString(audit.lines().findFirst().orElseThrow()).getAsJsonObject();
    assertThat(created.get("event").getAsString()).isEqualTo("token_create");
    assertThat(created.get("token_id").getAsString()).isEqualTo(id);
    assertThat(created.get("detail").getAsString())
        .startsWith("scope write, label \"remote setup\", expires 20")
        .endsWith(", by the CLI");

    Run monitor = run("remote", "monitor", "--once");
    assertThat(monitor.exit()).as(monitor.err()).isZero();
    assertThat(monitor.out())
        .containsPattern("token_create +" + id + " +scope write, label \"remote setup\"")
        .contains("open streams: 0 (no node running)")
        .doesNotContain(token);
    Run raw = run("remote", "monitor", "--once", "--json");
    assertThat(raw.out().strip()).isEqualTo(audit.strip());

    // a second run, read-only, through `hack x`: read token without expiry, writes turned off
    Run ro = run("x", "gateway", "setup", "--read-only", "--no-qr");
    assertThat(ro.exit()).as(ro.err()).isZero();
    assertThat(ro.out())
        .contains("gateway enabled for project myapp (" + projectId + ")")
        .contains("read-only")
        .containsPattern("token [0-9a-f]{12} \\(read\\)")
        .containsPattern("\n  hk_[0-9a-f]{12}_\\S+\n")
        .contains("ssh -L 7788:127.0.0.1:7788")
        .contains("tailscale serve --bg --tcp 7788 tcp://127.0.0.1:7788")
        .contains("hack node serve")
        .doesNotContain("█");
    assertThat(Files.readString(home().resolve("config.json"))).contains("\"allowWrites\": false");
    assertThat(json(home().resolve("registry/projects.json")).getAsJsonArray("projects"))
        .hasSize(1);
  }

  @Test
  void enableAndDisableByDirectoryOrNameTakeEffectInTheRegistry() throws Exception {
    Run en = run("gateway", "enable");
    assertThat(en.exit()).as(en.err()).isZero();
    assertThat(en.out())
        .contains("created " + project().resolve(".hack/project.json"))
        .contains("gateway enabled for project myapp")
        .contains("no restart needed")
        .contains("controlPlane.gateway.allowWrites true");
    Run off = run("x", "gateway", "enable", "--project", "myapp", "--disable", "--json");
    assertThat(off.exit()).as(off.err()).isZero();
    assertThat(
            JsonParser.parseString(off.out())
                .getAsJsonObject()
                .get("gateway_enabled")
                .getAsBoolean())
        .isFalse();
    Path other = Files.createDirectories(dir.resolve("work/other"));
    Run byDir = run("gateway", "enable", "--project", other.toString());
    assertThat(byDir.exit()).as(byDir.err()).isZero();
    JsonArray projects = json(home().resolve("registry/projects.json")).getAsJsonArray("projects");
    assertThat(projects).hasSize(2);
    for (JsonElement e : projects) {
      JsonObject p = e.getAsJsonObject();
      assertThat(p.get("gateway_enabled").getAsBoolean())
          .as(p.toString())
          .isEqualTo(p.get("name").getAsString().equals("other"));
    }
    Run missing = run("gateway", "enable", "--project", "nope");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err().strip())
        .isEqualTo("hack: no project named nope and no such directory; see: hack project list");
  }

  @Test
  void qrCodesDecodeToTheirPayloadsEvenUnderTheCLocale() throws Exception {
    ProcessBuilder pb =
        hack(
            "remote",
            "qr",
            "--gateway-url",
            "https://gateway.example.com/",
            "--token",
            "hk_0123456789ab_secret",
            "--project-id",
            "p_1",
            "--format",
            "json");
    pb.environment().remove("LANG");
    pb.environment().put("LC_ALL", "C");
    Run r = run(pb);
    assertThat(r.exit()).as(r.err()).isZero();
    String expected =
        "{\"type\":\"hack-gateway\",\"version\":1,\"url\":\"https://gateway.example.com\","
            + "\"token\":\"hk_0123456789ab_secret\",\"project_id\":\"p_1\"}";
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(lines.size() - 1)).isEqualTo(expected);
    String code = String.join("\n", lines.subList(0, lines.size() - 1));
    assertThat(QrCodesTest.decode(code, false)).isEqualTo(expected);

    Run ssh =
        run(
            "remote",
            "qr",
            "--ssh",
            "--ssh-host",
            "mac-mini.tailnet.ts.net",
            "--ssh-user",
            "me",
            "--ssh-port",
            "2222");
    assertThat(ssh.exit()).as(ssh.err()).isZero();
    List<String> sshLines = ssh.out().lines().toList();
    assertThat(sshLines.get(sshLines.size() - 1))
        .isEqualTo("ssh://me@mac-mini.tailnet.ts.net:2222");
    assertThat(
            QrCodesTest.decode(String.join("\n", sshLines.subList(0, sshLines.size() - 1)), false))
        .isEqualTo("ssh://me@mac-mini.tailnet.ts.net:2222");

    Run json = run("remote", "qr", "--ssh", "--ssh-host", "mac-mini", "--ssh-user", "me", "--json");
    assertThat(json.out().strip()).isEqualTo("{\"payload\":\"ssh://me@mac-mini\"}");
  }

  @Test
  void badArgumentsExitTwoWithOneSentence() throws Exception {
    Map<List<String>, String> cases =
        Map.of(
            List.of("remote", "qr", "--gateway-url", "https://gw.example.com"),
            "missing --token",
            List.of("remote", "qr", "--gateway-url", "gw.example.com", "--token", "hk_1_x"),
            "has no scheme; write it as https://gw.example.com",
            List.of("remote", "qr"),
            "say what to encode",
            List.of("remote", "qr", "--ssh"),
            "missing --ssh-host",
            List.of("remote", "qr", "--ssh-host", "h", "--token", "hk_1_x"),
            "not both",
            List.of("remote", "setup", "--ttl", "soon"),
            "soon",
            List.of("remote", "setup", "--gateway-url", "example.com"),
            "has no scheme",
            List.of("remote", "monitor", "--lines", "-1"),
            "--lines");
    cases = new java.util.HashMap<>(cases);
    cases.put(
        List.of("remote", "setup", "--via", "cloudflare"),
        "--via cloudflare needs the tunnel's address");
    cases.put(List.of("remote", "setup", "--ssh-host", "h"), "go with --via ssh");
    for (Map.Entry<List<String>, String> c : cases.entrySet()) {
      Run r = run(c.getKey().toArray(String[]::new));
      assertThat(r.exit()).as(c.getKey() + ": " + r.err()).isEqualTo(2);
      assertThat(r.err().strip())
          .as(c.getKey().toString())
          .startsWith("hack: ")
          .contains(c.getValue())
          .doesNotContain("\n");
    }
    // nothing was changed by the refused setups
    assertThat(home().resolve("daemon/gateway/tokens.json")).doesNotExist();
    assertThat(project().resolve(".hack")).doesNotExist();
    Run pigeon = run("remote", "setup", "--via", "carrier-pigeon");
    assertThat(pigeon.exit()).isEqualTo(2);
    assertThat(pigeon.err()).contains("expected one of [tailscale, ssh, cloudflare, local]");
    Run both = run("remote", "setup", "--allow-writes", "--read-only");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("mutually exclusive");
    for (String[] help :
        List.of(
            new String[] {"remote", "--help"},
            new String[] {"remote", "setup", "--help"},
            new String[] {"remote", "qr", "--help"},
            new String[] {"remote", "monitor", "--help"},
            new String[] {"gateway", "enable", "--help"},
            new String[] {"gateway", "setup", "--help"},
            new String[] {"x", "gateway", "setup", "--help"})) {
      Run h = run(help);
      assertThat(h.exit()).as(String.join(" ", help)).isZero();
      assertThat(h.out()).startsWith("Usage: hack ");
    }
  }

  @Test
  void setupViaTailscaleSshOrCloudflareSaysHowThePhoneGetsThere() throws Exception {
    Path sockDir = Files.createTempDirectory(Path.of("/tmp"), "ts");
    Path socket = sockDir.resolve("tailscaled.sock");
    // Tailscale down: one sentence, exit 1, and nothing was enabled or created
    ProcessBuilder down = hack("remote", "setup", "--via", "tailscale", "--json");
    down.environment().put("HACK_TAILSCALE_SOCKET", socket.toString());
    Run refused = run(down);
    assertThat(refused.exit()).as(refused.err()).isEqualTo(1);
    assertThat(refused.err().strip())
        .startsWith("hack: tailscale is disabled")
        .doesNotContain("\n");
    assertThat(home().resolve("daemon/gateway/tokens.json")).doesNotExist();
    assertThat(project().resolve(".hack")).doesNotExist();

    try (FakeLocalApi ts = FakeLocalApi.onUnixSocket(socket)) {
      ts.status(LocalApiFixtures.STATUS_RUNNING);
      ProcessBuilder up = hack("remote", "setup", "--via", "tailscale", "--json");
      up.environment().put("HACK_TAILSCALE_SOCKET", socket.toString());
      Run r = run(up);
      assertThat(r.exit()).as(r.err()).isZero();
      JsonObject out = JsonParser.parseString(r.out()).getAsJsonObject();
      assertThat(out.get("via").getAsString()).isEqualTo("tailscale");
      // the phone on the tailnet gets this machine's MagicDNS name, at the gateway's port
      assertThat(out.get("gateway_url").getAsString())
          .isEqualTo("http://mac-mini.tail1234.ts.net:7788");
      assertThat(out.get("qr_payload").getAsString())
          .startsWith("http://mac-mini.tail1234.ts.net:7788/");

      ProcessBuilder text = hack("remote", "setup", "--via", "tailscale", "--no-qr");
      text.environment().put("HACK_TAILSCALE_SOCKET", socket.toString());
      assertThat(run(text).out()).contains("tailscale serve --bg --tcp 7788 tcp://127.0.0.1:7788");
    }

    Run ssh =
        run(
            "remote",
            "setup",
            "--via",
            "ssh",
            "--ssh-host",
            "box.example",
            "--ssh-user",
            "me",
            "--no-qr");
    assertThat(ssh.exit()).as(ssh.err()).isZero();
    assertThat(ssh.out())
        .contains("ssh -N -L 7788:127.0.0.1:7788 me@box.example")
        .contains("gateway: http://127.0.0.1:7788");

    Run cf =
        run(
            "remote",
            "setup",
            "--via",
            "cloudflare",
            "--gateway-url",
            "https://gw.example.com",
            "--no-qr");
    assertThat(cf.exit()).as(cf.err()).isZero();
    assertThat(cf.out())
        .contains("cloudflared tunnel route dns hack gw.example.com")
        .contains("cloudflared tunnel run --url http://127.0.0.1:7788 hack");
  }

  @Test
  void setupUsesTheRunningNodesGatewayAndMonitorFollowsLiveUntilCtrlC() throws Exception {
    ProcessBuilder serve =
        hack("node", "serve", "--ssh-port", "0", "--gateway-port", "0", "--name", "n1");
    serve.redirectError(dir.resolve("node.err").toFile());
    Process node = serve.start();
    processes.add(node);
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
    assertThat(lines.readLine()).startsWith("ssh listening on ");
    String gateway = lines.readLine();
    assertThat(gateway).startsWith("gateway listening on http://127.0.0.1:");
    String url = gateway.substring("gateway listening on ".length());

    // the monitor starts before there is any log, in a real terminal
    TmuxTerminal term =
        TmuxTerminal.start(
            120,
            30,
            List.of(
                "bash",
                "-c",
                "cd "
                    + project()
                    + " && HACK_HOME="
                    + home()
                    + " "
                    + String.join(" ", argv("remote", "monitor"))
                    + "; echo exit=$?"));
    terminals.add(term);
    term.waitFor("nothing logged yet", WAIT);
    term.waitFor("open streams: 0", WAIT);

    Run setup = run("remote", "setup", "--json");
    assertThat(setup.exit()).as(setup.err()).isZero();
    JsonObject out = JsonParser.parseString(setup.out()).getAsJsonObject();
    assertThat(out.get("gateway_url").getAsString()).isEqualTo(url);
    assertThat(out.get("scope").getAsString()).isEqualTo("read");
    assertThat(out.get("expires_at").isJsonNull()).isTrue();
    assertThat(out.get("allow_writes").getAsBoolean()).isFalse();
    String id = out.get("token_id").getAsString();
    term.waitFor("token_create  " + id, WAIT);

    AuditLog audit = AuditLog.open(HackHome.at(home()));
    audit
        .entry("stream_open")
        .with("token_id", id)
        .with("stream_id", "s1")
        .with("path", "/v1/sessions/a/stream")
        .write();
    audit
        .entry("stream_open")
        .with("token_id", id)
        .with("stream_id", "s2")
        .with("remote", "100.64.0.9")
        .write();
    term.waitFor("open streams: 2", WAIT);
    audit.entry("stream_close").with("token_id", id).with("stream_id", "s1").write();
    term.waitFor("open streams: 1", WAIT);
    assertThat(term.screen())
        .contains("stream_open   " + id + "  /v1/sessions/a/stream  stream s1");

    // a real shell stream through the node: the monitor sees it open and close
    assertThat(run("config", "set", "--global", "controlPlane.gateway.allowWrites", "true").exit())
        .isZero();
    String write =
        JsonParser.parseString(run("gateway", "token-create", "--scope", "write", "--json").out())
            .getAsJsonObject()
            .get("token")
            .getAsString();
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> created =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/v1/sessions"))
                .header("Authorization", "Bearer " + write)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"id\":\"watched\"}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    java.net.http.WebSocket ws =
        http.newWebSocketBuilder()
            .header("Authorization", "Bearer " + write)
            .buildAsync(
                java.net.URI.create(
                    url.replaceFirst("^http", "ws") + "/v1/sessions/watched/stream"),
                new java.net.http.WebSocket.Listener() {})
            .get(10, TimeUnit.SECONDS);
    term.waitFor("open streams: 2", WAIT);
    term.waitFor("/v1/sessions/watched/stream", WAIT);
    ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
    term.waitFor("open streams: 1", WAIT);

    term.keys("C-c");
    String screen = term.waitFor("exit=0", WAIT);
    assertThat(screen).contains("open streams: 1");
  }
}
