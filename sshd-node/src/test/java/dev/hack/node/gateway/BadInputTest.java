package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input that used to be taken silently or cost far more than its size: a NUL, which cut a word
 * where the program was started ({@code echo a\0b} printed {@code a}), and a line of tens of
 * thousands of words, which cost picocli seconds of CPU and gigabytes. Both are refused with one
 * clear line at every door, and nothing starts.
 */
class BadInputTest {
  @TempDir Path dir;
  GatewayFixture g;

  @BeforeEach
  void start() throws Exception {
    g = new GatewayFixture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    g.close();
  }

  @Test
  void aNulIsRefusedAtEveryDoorAndNothingStarts() throws Exception {
    TestNode node = g.node;
    Result ssh = node.mina("new --name n1 -- echo 'a\0b'");
    assertThat(ssh.exit()).isEqualTo(2);
    assertThat(ssh.err()).contains("NUL");
    for (String body :
        List.of(
            "{\"id\":\"n2\",\"command\":[\"echo\",\"a\\u0000b\"]}",
            "{\"id\":\"n3\",\"command\":[\"echo\"],\"env\":{\"A\":\"x\\u0000y\"}}",
            "{\"id\":\"n4\",\"command\":[\"echo\"],\"cwd\":\"/tmp\\u0000x\"}")) {
      Reply r = g.post("/v1/sessions", g.write, body);
      assertThat(r.code()).as(body).isEqualTo(400);
      assertThat(r.json().get("message").getAsString()).as(body).contains("NUL");
    }
    assertThat(node.node().supervisor().list()).isEmpty();
  }

  @Test
  void restoreIntentsAreCheckedAtEveryDoorAndKeptInTheRecord() throws Exception {
    TestNode node = g.node;
    Result tmux = node.mina("new --type tmux --on-restore 'x' --name t1");
    assertThat(tmux.exit()).isEqualTo(2);
    assertThat(tmux.err()).contains("--on-restore applies to shell and process sessions");
    Reply policy =
        g.post("/v1/sessions", g.write, "{\"command\":[\"cat\"],\"restart\":\"forever\"}");
    assertThat(policy.code()).isEqualTo(400);
    assertThat(policy.error()).isEqualTo("invalid_request");
    assertThat(policy.body()).contains("unknown restart policy");
    Reply blank = g.post("/v1/sessions", g.write, "{\"on_restore\":\"  \"}");
    assertThat(blank.code()).isEqualTo(400);
    assertThat(blank.body()).contains("--on-restore needs a command");
    assertThat(node.node().supervisor().list()).isEmpty();

    Reply made =
        g.post(
            "/v1/sessions",
            g.write,
            "{\"id\":\"agent\",\"command\":[\"cat\"],\"restart\":\"always\","
                + "\"on_restore\":\"cat --resumed\"}");
    assertThat(made.code()).as(made.body()).isEqualTo(200);
    assertThat(made.json().getAsJsonObject("session").get("on_restore").getAsString())
        .isEqualTo("cat --resumed");
    Result ssh = node.mina("new --name sh1 --on-restore 'claude --continue' --json");
    assertThat(ssh.exit()).as(ssh.err()).isZero();
    assertThat(ssh.out()).contains("\"on_restore\":\"claude --continue\"");
    assertThat(
            java.nio.file.Files.readString(
                node.home().sessionsDir().resolve("agent").resolve("meta.json")))
        .contains("\"on_restore\": \"cat --resumed\"")
        .contains("\"restart\": \"always\"")
        .contains("\"boot_id\": ");
  }

  @Test
  void controlCharactersInACommandAreShownAsEscapesNotSentToTheTerminal() throws Exception {
    TestNode node = g.node;
    Result made = node.mina("new --name esc -- echo 'x\u001b[2Jy\nz'");
    assertThat(made.exit()).as(made.err()).isZero();
    String ls = node.mina("ls").out();
    assertThat(ls).doesNotContain("\u001b").contains("echo x\\e[2Jy\\nz");
    assertThat(ls.lines().count()).isEqualTo(2); // the header and one row: no broken line
    assertThat(node.mina("ls --all").out()).doesNotContain("\u001b").contains("x\\e[2Jy\\nz");
    // the JSON view keeps the command as it is: JSON escapes it itself
    assertThat(node.mina("ls --json").out()).contains("x\\u001b[2Jy\\nz");
  }

  @Test
  void pathsJettyRefusesGetTheJsonErrorShapeNotAnHtmlPage() throws Exception {
    java.net.URI base = java.net.URI.create(g.url);
    for (String path : List.of("/v1/sessions/%00", "/v1/..%2fstatus", "//v1//status")) {
      try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
        s.getOutputStream()
            .write(
                ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String answer =
            new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(answer).as(path).startsWith("HTTP/1.1 4").contains("application/json");
        assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4))
            .as(path)
            .startsWith("{\"error\":")
            .doesNotContain("<html");
      }
    }
  }

  @Test
  void anUnknownLongPathIsNamedShortenedInItsError() throws Exception {
    Reply r = g.get("/v1/" + "A".repeat(7000), g.read);
    assertThat(r.code()).isEqualTo(404);
    assertThat(r.json().get("message").getAsString())
        .startsWith("no such endpoint: GET /v1/AAAA")
        .hasSizeLessThan(200);
  }

  @Test
  void aCommandLineOfTooManyWordsIsRefusedAtOnce() throws Exception {
    TestNode node = g.node;
    Result r = node.mina("ls " + "x ".repeat(20_000));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo("hack: too many words in the command line (20001; the limit is 1024)\n");
    assertThat(node.mina("ls").exit()).isZero();
  }

  @Test
  void aProgramThatCannotStartIsRefusedNamingItAndTheReasonAndNothingStarts() throws Exception {
    TestNode node = g.node;
    Result ssh = node.ssh("127.0.0.1", "new -- /nonexistent/prog");
    assertThat(ssh.exit()).isEqualTo(2);
    assertThat(ssh.err())
        .isEqualTo("hack: cannot start '/nonexistent/prog': No such file or directory\n");

    Path plain = Files.writeString(dir.resolve("plain.txt"), "echo hi\n");
    Path badInterpreter = executable("bad-interpreter", "#!/nonexistent/interp\necho hi\n");
    Path noShebang = executable("no-shebang", "echo hi\n");
    Map<String, String> reasons = new LinkedHashMap<>();
    reasons.put("hack-no-such-program-xyz", "No such file or directory (not found on PATH)");
    reasons.put(dir.toString(), "Is a directory");
    reasons.put(plain.toString(), "Permission denied (the file is not executable)");
    reasons.put(plain + "/x", "Not a directory (" + plain + ")");
    reasons.put(
        badInterpreter.toString(),
        "No such file or directory (its interpreter '/nonexistent/interp')");
    reasons.put(noShebang.toString(), "Exec format error (a script needs a #! line");
    for (Map.Entry<String, String> e : reasons.entrySet()) {
      Result r = node.mina("new -- " + e.getKey() + " arg");
      assertThat(r.exit()).as(e.getKey()).isEqualTo(2);
      assertThat(r.err())
          .as(e.getKey())
          .startsWith("hack: cannot start '" + e.getKey() + "': " + e.getValue());
    }

    Reply http = g.post("/v1/sessions", g.write, "{\"command\":[\"/nonexistent/prog\"]}");
    assertThat(http.code()).isEqualTo(400);
    assertThat(http.error()).isEqualTo("invalid_request");
    assertThat(http.json().get("message").getAsString())
        .isEqualTo("cannot start '/nonexistent/prog': No such file or directory");
    assertThat(node.node().supervisor().list()).isEmpty();
    try (var left = Files.list(node.home().sessionsDir())) {
      assertThat(left).isEmpty(); // no directory, no log left behind
    }
  }

  @Test
  void aRelativeProgramIsFoundFromTheSessionsDirectoryNotTheNodes() throws Exception {
    executable("rel.sh", "#!/bin/sh\necho relative-ok\n");
    Result r = g.node.mina("new --name rel --cwd " + dir + " -- ./rel.sh");
    assertThat(r.exit()).as(r.err()).isZero();
    Poll.until(
        TestNode.TIMEOUT,
        "rel's output",
        () -> g.node.mina("logs rel").out().contains("relative-ok"));
  }

  @Test
  void anEnvironmentOrArgumentOverTheKernelsLimitIsRefusedNamingIt() throws Exception {
    String big = "x".repeat(200 * 1024);
    // the gateway: a variable, an argument
    Reply env =
        g.post(
            "/v1/sessions",
            g.write,
            "{\"command\":[\"sleep\",\"5\"],\"env\":{\"BIG\":\"" + big + "\"}}");
    assertThat(env.code()).as(env.body()).isEqualTo(400);
    assertThat(env.json().get("message").getAsString())
        .startsWith("cannot start 'sleep': the environment variable 'BIG' is 204804 bytes long")
        .contains("Argument list too long")
        .doesNotContain("xxxx");
    Reply arg = g.post("/v1/sessions", g.write, "{\"command\":[\"echo\",\"" + big + "\"]}");
    assertThat(arg.code()).isEqualTo(400);
    assertThat(arg.json().get("message").getAsString())
        .startsWith("cannot start 'echo': argument 2 is 204800 bytes long");
    Reply shell =
        g.post(g.projectPath() + "/shells", g.write, "{\"env\":{\"BIG\":\"" + big + "\"}}");
    assertThat(shell.code()).isEqualTo(400);
    assertThat(shell.body()).contains("'BIG'");
    // over SSH, a locale variable the client sends (SetEnv LC_*) goes into the session's
    // environment
    try (ClientSession s = g.node.minaSession();
        ChannelExec ch = s.createExecChannel("new -- sleep 5")) {
      ch.setEnv("LC_BIG", big);
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      ch.setOut(new ByteArrayOutputStream());
      ch.setErr(err);
      ch.open().verify(TestNode.TIMEOUT);
      ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TestNode.TIMEOUT);
      assertThat(ch.getExitStatus()).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .startsWith("hack: cannot start 'sleep': the environment variable 'LC_BIG' is");
    }
    assertThat(g.node.node().supervisor().list()).isEmpty();

    // a job: it fails, and its reason names the variable
    Reply job =
        g.post(
            g.projectPath() + "/jobs",
            g.write,
            "{\"command\":[\"true\"],\"env\":{\"BIG\":\"" + big + "\"}}");
    assertThat(job.code()).as(job.body()).isEqualTo(200);
    String jobId = job.json().getAsJsonObject("job").get("jobId").getAsString();
    String reason =
        Poll.until(
            TestNode.TIMEOUT,
            "the job to fail",
            () -> {
              Result show = g.node.mina("job show " + jobId + " --json");
              return show.out().contains("\"job.failed\"") ? show.out() : null;
            });
    assertThat(reason).contains("cannot start 'true': the environment variable 'BIG' is 204804");
  }

  @Test
  void anUnknownRunnerIsRefusedWithTheKnownOnesAndNoJobIsMade() throws Exception {
    Result ssh = g.node.ssh("127.0.0.1", "job start --runner nosuch -- true");
    assertThat(ssh.exit()).isEqualTo(2);
    assertThat(ssh.err()).isEqualTo("hack: unknown runner 'nosuch'; the runners are: generic\n");
    Reply http =
        g.post(
            g.projectPath() + "/jobs", g.write, "{\"runner\":\"nosuch\",\"command\":[\"true\"]}");
    assertThat(http.code()).isEqualTo(400);
    assertThat(http.error()).isEqualTo("invalid_request");
    assertThat(http.json().get("message").getAsString())
        .isEqualTo("unknown runner 'nosuch'; the runners are: generic");
    assertThat(g.node.node().jobs().list(null)).isEmpty();
    // the default, named or not, still runs
    assertThat(g.node.mina("job start --runner generic -- true").exit()).isZero();
    assertThat(g.node.mina("job start -- true").exit()).isZero();
  }

  @Test
  void anEmptyBodyOrAnEmptyCommandIsRefusedAndAnEmptyObjectMeansTheDefaults() throws Exception {
    Map<String, String> paths =
        Map.of(
            "/v1/sessions",
            g.write,
            g.projectPath() + "/shells",
            g.write,
            g.projectPath() + "/jobs",
            g.write,
            "/v1/tokens",
            g.admin);
    for (Map.Entry<String, String> p : paths.entrySet()) {
      for (String empty : List.of("", "  \n")) {
        Reply r = g.post(p.getKey(), p.getValue(), empty);
        assertThat(r.code()).as(p.getKey()).isEqualTo(400);
        assertThat(r.error()).as(p.getKey()).isEqualTo("invalid_json");
        assertThat(r.json().get("message").getAsString())
            .isEqualTo("the request body is empty; send a JSON object ({} for the defaults)");
      }
    }
    for (String body : List.of("{\"command\":[]}", "{\"type\":\"tmux\",\"command\":[]}")) {
      Reply r = g.post("/v1/sessions", g.write, body);
      assertThat(r.code()).as(body).isEqualTo(400);
      assertThat(r.error()).isEqualTo("invalid_request");
      assertThat(r.json().get("message").getAsString())
          .isEqualTo(
              "'command' is empty: name a program to run, or leave 'command' out for a login"
                  + " shell");
    }
    Reply blank = g.post("/v1/sessions", g.write, "{\"command\":[\"\"]}");
    assertThat(blank.code()).isEqualTo(400);
    assertThat(blank.body()).contains("program name is empty");
    assertThat(g.node.node().supervisor().list()).isEmpty();
    assertThat(g.node.node().jobs().list(null)).isEmpty();

    Reply shell = g.post("/v1/sessions", g.write, "{}");
    assertThat(shell.code()).as(shell.body()).isEqualTo(200);
    assertThat(shell.json().getAsJsonObject("session").get("type").getAsString())
        .isEqualTo("shell");
  }

  @Test
  void jsonThatRfc8259ForbidsIsRefusedAsInvalidJsonAndNothingStarts() throws Exception {
    Map<String, String> bodies = new LinkedHashMap<>();
    bodies.put("{\"command\":[\"echo\",\"a\u0001b\"]}", "must be escaped");
    bodies.put("{\"command\":[\"echo\",\"a\nb\"]}", "must be escaped");
    bodies.put("{\"command\":[\"echo\"],\"env\":{\"A\":\"x\ty\"}}", "must be escaped");
    bodies.put("{'command':['true']}", "malformed JSON");
    bodies.put("{command:[\"true\"]}", "malformed JSON");
    bodies.put("{\"command\":[\"true\",]}", "malformed JSON");
    bodies.put("{\"command\":[\"true\"]} {\"command\":[\"false\"]}", "malformed JSON");
    bodies.put("{\"command\":[\"true\"]} // comment", "malformed JSON");
    for (Map.Entry<String, String> b : bodies.entrySet()) {
      Reply r = g.post("/v1/sessions", g.write, b.getKey());
      assertThat(r.code()).as(b.getKey()).isEqualTo(400);
      assertThat(r.error()).as(b.getKey()).isEqualTo("invalid_json");
      assertThat(r.json().get("message").getAsString())
          .as(b.getKey())
          .startsWith("the request body is not valid JSON: ")
          .contains(b.getValue())
          .doesNotContain("Strictness", "https://");
    }
    // bytes that are not UTF-8 are not turned into U+FFFD and run
    Reply latin1 =
        g.send(
            new okhttp3.Request.Builder()
                .url(g.url + "/v1/sessions")
                .post(
                    okhttp3.RequestBody.create(
                        "{\"command\":[\"echo\",\"caf\u00e9\"]}"
                            .getBytes(StandardCharsets.ISO_8859_1),
                        GatewayFixture.JSON)),
            g.write);
    assertThat(latin1.code()).isEqualTo(400);
    assertThat(latin1.json().get("message").getAsString()).contains("not UTF-8");
    assertThat(g.node.node().supervisor().list()).isEmpty();
    // escaped, the same characters are fine
    Reply escaped =
        g.post("/v1/sessions", g.write, "{\"id\":\"ok\",\"command\":[\"echo\",\"a\\u0001\\nb\"]}");
    assertThat(escaped.code()).as(escaped.body()).isEqualTo(200);
  }

  @Test
  void aStreamMessageWithARawControlCharacterIsNamedNotTypedOrActedOn() throws Exception {
    assertThat(g.node.mina("new --name c -- cat").exit()).isZero();
    try (GatewayFixture.Ws ws = g.wsOpen("/v1/sessions/c/stream", g.write)) {
      ws.socket.send("{\"type\":\"hello\",\"cols\":80,\"rows\":24}");
      ws.nextOfType("ready", Duration.ofSeconds(10));
      ws.socket.send("{\"type\":\"input\",\"data\":\"raw\nsecret\"}");
      JsonObject err = ws.nextOfType("error", Duration.ofSeconds(10));
      assertThat(err.get("message").getAsString())
          .startsWith("not valid JSON, so not typed either: ")
          .contains("must be escaped");
      ws.socket.send("{\"type\":\"input\",\"data\":\"fine\\n\"}");
      ws.outputUntil("fine", Duration.ofSeconds(10));
    }
    assertThat(g.node.mina("logs c").out()).doesNotContain("secret").doesNotContain("type");
  }

  @Test
  void psSaysInOneSentenceWhatIsMissingNeverDockersUsageText() throws Exception {
    // what docker 28 prints on stderr in each case, byte for byte
    Map<String, String> said = new LinkedHashMap<>();
    said.put(
        "printf \"unknown shorthand flag: 'p' in -p\\n\\nUsage:  docker [OPTIONS] COMMAND [ARG...]"
            + "\\n\\nRun 'docker --help' for more information\\n\" >&2; exit 125",
        "docker compose is not installed on this node: docker is, but not its compose plugin"
            + " (install docker-compose-plugin)");
    said.put(
        "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker"
            + " daemon running?' >&2; exit 1",
        "docker is not running on this node: nothing answers on its socket (start the Docker"
            + " daemon)");
    said.put(
        "echo 'permission denied while trying to connect to the Docker daemon socket at"
            + " unix:///var/run/docker.sock: dial unix /var/run/docker.sock: connect: permission"
            + " denied' >&2; exit 1",
        "the node's user may not use docker: permission denied on the Docker socket (add the user"
            + " to the docker group)");
    said.put(
        "printf 'no such service: web\\n\\nUsage:  docker compose ps\\n' >&2; exit 1",
        "docker compose failed (exit 1): no such service: web");
    try {
      int i = 0;
      for (Map.Entry<String, String> e : said.entrySet()) {
        System.setProperty(
            "hack.docker", executable("docker-" + i++, "#!/bin/sh\n" + e.getKey()).toString());
        Reply r = g.get("/v1/ps?compose_project=proj", g.read);
        assertThat(r.code()).isEqualTo(503);
        assertThat(r.error()).isEqualTo("docker_unavailable");
        assertThat(r.json().get("message").getAsString()).isEqualTo(e.getValue());
      }
    } finally {
      System.clearProperty("hack.docker");
    }
  }

  private Path executable(String name, String text) throws Exception {
    Path p = Files.writeString(dir.resolve(name), text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return p;
  }
}
