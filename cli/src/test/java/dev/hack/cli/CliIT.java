package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.keys.KeyFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged {@code hack} jar, run as a user runs it: a separate process with HACK_HOME set. */
class CliIT {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  private ProcessBuilder hack(String... args) {
    ProcessBuilder pb = new ProcessBuilder(CliNodes.hackArgv(args));
    pb.environment().put("HACK_HOME", dir.resolve("home").toString());
    pb.environment().put("JAVA_TOOL_OPTIONS", "-Dpty4j.tmpdir=" + dir.resolve("pty4j"));
    return pb;
  }

  private Run run(String... args) throws Exception {
    return run(hack(args));
  }

  /** Runs {@code args} with HACK_HOME set to {@code home}. */
  private Run runAt(Path home, String... args) throws Exception {
    ProcessBuilder pb = hack(args);
    pb.environment().put("HACK_HOME", home.toString());
    pb.environment().put("HACK_NO_DAEMON", "1");
    return run(pb);
  }

  private static Run run(ProcessBuilder pb) throws Exception {
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err.replaceAll("(?m)^Picked up JAVA_TOOL_OPTIONS.*\n", ""));
  }

  @Test
  void helpIsEverywhereAndUsageErrorsExitTwo() throws Exception {
    Run help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("node").contains("keys");
    assertThat(run("node", "serve", "--help").out()).contains("--ssh-port").contains("--bind");
    assertThat(run("keys", "authorize", "--help").exit()).isZero();
    Run bad = run("frobnicate");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("frobnicate");
    assertThat(run("--version").out()).startsWith("hack ");
    // an argument is never read as a file (picocli's @file expansion is off): the node's fast
    // path runs these same command lines for local clients
    Path secret = dir.resolve("secret.txt");
    Files.writeString(secret, "canary-one canary-two\n");
    for (String[] args :
        new String[][] {
          {"keys", "show", "@" + secret}, {"session", "list", "@" + secret}, {"@" + secret}
        }) {
      Run at = run(args);
      assertThat(at.exit()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(at.out() + at.err()).as(String.join(" ", args)).doesNotContain("canary");
    }
  }

  @Test
  void anUnusableHomeIsNamedWithWhatIsWrongAndTheFixNotJustItsPath() throws Exception {
    Path missing = dir.resolve("missing");
    Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), missing);
    String dangles =
        "hack: HACK_HOME "
            + dangling
            + " is a symlink to "
            + missing
            + ", which does not exist; create "
            + missing
            + " or point HACK_HOME elsewhere\n";
    Path file = Files.writeString(dir.resolve("file"), "not a directory\n");
    String isFile =
        "hack: HACK_HOME "
            + file
            + " is a file, not a directory; move the file away or point HACK_HOME elsewhere\n";
    String underFile =
        "hack: HACK_HOME "
            + file.resolve("home")
            + " cannot be created: "
            + file
            + " is a file, not a directory; point HACK_HOME elsewhere\n";
    Map<Path, String> homes =
        Map.of(dangling, dangles, file, isFile, file.resolve("home"), underFile);
    for (Map.Entry<Path, String> h : homes.entrySet()) {
      for (String[] args :
          List.of(
              new String[] {"node", "serve", "--ssh-port", "0", "--gateway-port", "-1"},
              new String[] {"keys", "show"},
              new String[] {"session", "list"},
              new String[] {"node", "list"},
              new String[] {"audit"})) {
        Run r = runAt(h.getKey(), args);
        assertThat(r.exit()).as(h.getKey() + " " + List.of(args)).isEqualTo(1);
        assertThat(r.err()).as(h.getKey() + " " + List.of(args)).isEqualTo(h.getValue());
      }
      // help, the version and completion scripts work whatever the home is
      assertThat(runAt(h.getKey(), "--version").exit()).isZero();
      assertThat(runAt(h.getKey(), "session", "list", "--help").exit()).isZero();
      assertThat(runAt(h.getKey(), "completion", "bash").exit()).isZero();
    }
    assertThat(missing).doesNotExist(); // nothing was created through the link
  }

  @Test
  void aHomeThatIsNotYoursToWriteIsNamedWithTheFix() throws Exception {
    // root may write anywhere: this case only shows as another user
    org.junit.jupiter.api.Assumptions.assumeFalse(
        "root".equals(System.getProperty("user.name")), "root can write every directory");
    Path home = Files.createDirectory(dir.resolve("locked"));
    Files.setPosixFilePermissions(
        home, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
    try {
      Run r = runAt(home, "keys", "show");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err())
          .startsWith("hack: HACK_HOME " + home + " is not readable and writable by you (")
          .contains("chmod u+rwx " + home);
    } finally {
      Files.setPosixFilePermissions(
          home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void keysAuthorizeThenShow() throws Exception {
    Path key = dir.resolve("id_ed25519");
    KeyFiles.loadOrCreate(key, "me@laptop");
    Run empty = run("keys", "show");
    assertThat(empty.out()).contains("none yet").contains("hack keys authorize");

    Run priv = run("keys", "authorize", key.toString());
    assertThat(priv.exit()).isEqualTo(2);
    assertThat(priv.err().strip()).contains("private key").contains(".pub").doesNotContain("\n");

    Run ok = run("keys", "authorize", key + ".pub");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("authorized 1 key");
    assertThat(run("keys", "authorize", key + ".pub").out()).contains("already authorized");

    Run json = run("keys", "show", "--json");
    assertThat(json.out()).contains("\"comment\":\"me@laptop\"").contains("SHA256:");

    String fingerprint = KeyFiles.fingerprint(KeyFiles.load(key).getPublic());
    Run revoked = run("keys", "revoke", fingerprint);
    assertThat(revoked.exit()).as(revoked.err()).isZero();
    assertThat(revoked.out()).contains("revoked 1 key");
    assertThat(run("keys", "show").out()).doesNotContain(fingerprint);
    assertThat(run("keys", "revoke", fingerprint).out())
        .contains("not authorized; nothing changed");
    assertThat(run("keys", "authorize", key + ".pub").exit()).isZero();
    assertThat(run("keys", "revoke", key + ".pub").out()).contains("revoked 1 key");
    assertThat(run("keys", "revoke", "nosuch.pub").exit()).isEqualTo(2);
    assertThat(run("audit", "--json").out()).contains("\"key_revoke\"").contains(fingerprint);
  }

  @Test
  void nodeServePrintsItsEndpointsServesSshAndStopsCleanly() throws Exception {
    Path key = dir.resolve("id_ed25519");
    KeyFiles.loadOrCreate(key, "me");
    assertThat(run("keys", "authorize", key + ".pub").exit()).isZero();
    // the gateway listens where config says (127.0.0.2 is loopback too on Linux)
    assertThat(run("config", "set", "--global", "controlPlane.gateway.bind", "127.0.0.2").exit())
        .isZero();
    assertThat(run("config", "set", "--global", "controlPlane.gateway.allowWrites", "true").exit())
        .isZero();
    Process node =
        hack("node", "serve", "--ssh-port", "0", "--gateway-port", "0", "--name", "it")
            .redirectError(dir.resolve("node.err").toFile())
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
      String ssh = out.readLine();
      String gateway = out.readLine();
      assertThat(ssh).matches("ssh listening on 127\\.0\\.0\\.1:\\d+");
      assertThat(gateway).matches("gateway listening on http://127\\.0\\.0\\.2:\\d+");
      Path nodeJson = dir.resolve("home/daemon/node.json");
      assertThat(Files.readString(nodeJson)).contains("\"name\": \"it\"");

      URI statusUri =
          URI.create(gateway.substring("gateway listening on ".length()) + "/v1/status");
      HttpResponse<String> refused =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(statusUri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.body()).contains("\"missing_token\"");
      Run created = run("gateway", "token-create", "--json");
      String token =
          com.google.gson.JsonParser.parseString(created.out())
              .getAsJsonObject()
              .get("token")
              .getAsString();
      HttpResponse<String> status =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(statusUri)
                      .header("Authorization", "Bearer " + token)
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(status.statusCode()).isEqualTo(200);
      assertThat(status.body()).contains("\"status\":\"ok\"").contains("uptime_ms");

      String port = ssh.substring(ssh.lastIndexOf(':') + 1);
      Process client =
          new ProcessBuilder(
                  dev.hack.node.testing.TestNode.sshArgv(
                      key, Integer.parseInt(port), "127.0.0.1", "status"))
              .start();
      String text = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(client.waitFor()).isZero();
      assertThat(text).contains("node      it (node-");

      // a phone attached over the gateway when the node is stopped is told it is going away
      String writeToken =
          com.google.gson.JsonParser.parseString(
                  run("gateway", "token-create", "--scope", "write", "--json").out())
              .getAsJsonObject()
              .get("token")
              .getAsString();
      String base = gateway.substring("gateway listening on ".length());
      HttpResponse<String> session =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(base + "/v1/sessions"))
                      .header("Authorization", "Bearer " + writeToken)
                      .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"phone\"}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(session.statusCode()).as(session.body()).isEqualTo(200);
      java.util.concurrent.CompletableFuture<Integer> closeCode =
          new java.util.concurrent.CompletableFuture<>();
      java.net.http.WebSocket ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .header("Authorization", "Bearer " + writeToken)
              .buildAsync(
                  URI.create(base.replaceFirst("^http", "ws") + "/v1/sessions/phone/stream"),
                  new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onClose(
                        java.net.http.WebSocket w, int code, String reason) {
                      closeCode.complete(code);
                      return null;
                    }

                    @Override
                    public void onError(java.net.http.WebSocket w, Throwable error) {
                      closeCode.completeExceptionally(error);
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      ws.sendText("{\"type\":\"hello\",\"cols\":80,\"rows\":24}", true);

      node.destroy(); // SIGTERM, as Ctrl-C or a service manager would
      assertThat(closeCode.get(20, TimeUnit.SECONDS)).isEqualTo(1001); // going away
      assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(nodeJson).doesNotExist();
    } finally {
      node.destroyForcibly();
      CliNodes.endKeeper(dir.resolve("home"));
    }
  }

  @Test
  void aHostKeyOthersCanReadIsRefusedWithTheFix() throws Exception {
    Path keys = Files.createDirectories(dir.resolve("home/keys"));
    KeyFiles.loadOrCreate(keys.resolve("ssh_host_ed25519_key"), "host");
    Files.setPosixFilePermissions(
        keys.resolve("ssh_host_ed25519_key"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Run r = run("node", "serve", "--ssh-port", "0", "--gateway-port", "-1");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("chmod 600");
  }

  @Test
  void configSetGetKeepsOtherSettingsAndTypes() throws Exception {
    assertThat(run("config", "set", "--global", "controlPlane.gateway.allowWrites", "true").exit())
        .isZero();
    assertThat(run("config", "set", "--global", "controlPlane.gateway.bind", "0.0.0.0").exit())
        .isZero();
    assertThat(run("config", "get", "--global", "controlPlane.gateway.allowWrites").out().strip())
        .isEqualTo("true");
    String json = Files.readString(dir.resolve("home/config.json"));
    assertThat(json).contains("\"allowWrites\": true").contains("\"bind\": \"0.0.0.0\"");
    Run missing = run("config", "get", "--global", "nope.nothing");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("nope.nothing is not set");
    assertThat(run("config", "set", "--global", "bad key!", "1").exit()).isEqualTo(2);
    assertThat(run("config", "set", "--global", "controlPlane.gateway.bind.x", "1").exit())
        .isEqualTo(2);
  }

  @Test
  void gatewayTokensShowTheSecretOnceAndRevoke() throws Exception {
    Run created = run("gateway", "token-create", "--scope", "write", "--ttl", "1d", "--json");
    assertThat(created.exit()).as(created.err()).isZero();
    var json = com.google.gson.JsonParser.parseString(created.out()).getAsJsonObject();
    String id = json.get("id").getAsString();
    String token = json.get("token").getAsString();
    assertThat(json.get("scope").getAsString()).isEqualTo("write");
    assertThat(json.get("expires_at").getAsString()).isNotEmpty();
    Run listed = run("x", "gateway", "token-list");
    assertThat(listed.out()).contains(id).contains("write").contains("active");
    assertThat(listed.out() + Files.readString(dir.resolve("home/daemon/gateway/tokens.json")))
        .doesNotContain(token.substring(("hk_" + id + "_").length()));
    assertThat(run("gateway", "token-revoke", id).exit()).isZero();
    assertThat(run("gateway", "token-list").out()).contains("revoked");
    assertThat(run("gateway", "token-create", "--scope", "root").exit()).isEqualTo(2);
  }

  @Test
  void bashCompletionCompletesCommands() throws Exception {
    Run script = run("completion", "bash");
    assertThat(script.exit()).isZero();
    Path file = dir.resolve("hack-completion.bash");
    Files.writeString(file, script.out());
    Process bash =
        new ProcessBuilder(
                "bash",
                "-c",
                "source "
                    + file
                    + "; COMP_WORDS=(hack ses); COMP_CWORD=1; COMP_LINE='hack ses'; COMP_POINT=8;"
                    + " _complete_hack; echo \"${COMPREPLY[@]}\"")
            .redirectErrorStream(true)
            .start();
    String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(bash.waitFor()).isZero();
    assertThat(out.strip()).isEqualTo("session");
  }

  static String read(Path p) throws IOException {
    return Files.readString(p);
  }
}
