package dev.hack.node.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.testing.TestNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three doors start sessions by one set of rules ({@link Sessions}): {@code new} over SSH,
 * {@code POST /v1/sessions} on the gateway, and the picker's form. Before, each had its own: SSH
 * took a registered project's name as a mere label and resolved {@code --cwd} against the home
 * directory, so {@code --project web --cwd ../../etc} ran outside the project the gateway guards;
 * the gateway turned a {@code shell} with a command into a {@code process} while SSH kept the type.
 */
class DoorsAgreeTest {
  private static final MediaType JSON = MediaType.get("application/json");

  @TempDir Path dir;
  private TestNode node;
  private Path root;
  private String token;
  private final CompletableFuture<ChannelApp.Channel> picker = new CompletableFuture<>();
  private ClientSession client;
  private ChannelShell shell;
  private final OkHttpClient http = new OkHttpClient();

  @BeforeEach
  void start() throws Exception {
    node =
        TestNode.withGatewayAndShellApp(
            dir,
            ch -> {
              picker.complete(ch);
              return new ChannelApp() {
                @Override
                public void input(byte[] data, int off, int len) {}

                @Override
                public void resize(PtySize size) {}

                @Override
                public void close() {}
              };
            });
    root = Files.createDirectories(dir.resolve("web")).toRealPath();
    Files.createDirectories(root.resolve("sub"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(root.resolve("escape"), outside);
    ProjectRegistry registry = ProjectRegistry.open(node.home());
    registry.register("web", root, null);
    registry.setGatewayEnabled("web", true);
    new ConfigFile(node.home().config())
        .set("controlPlane.gateway.allowWrites", new com.google.gson.JsonPrimitive(true));
    token = TokenStore.open(node.home()).create(TokenStore.Scope.WRITE, null, "t").token();
  }

  @AfterEach
  void stop() throws Exception {
    if (shell != null) {
      shell.close(true);
    }
    if (client != null) {
      client.close(true);
    }
    node.close();
  }

  /** The picker's door: the channel a bare {@code ssh -t} gets. */
  private ChannelApp.Channel picker() throws Exception {
    if (client == null) {
      client = node.minaSession();
      shell = client.createShellChannel();
      shell.setUsePty(true);
      shell.setOut(new java.io.ByteArrayOutputStream());
      shell.setErr(new java.io.ByteArrayOutputStream());
      shell.open().verify(Duration.ofSeconds(10));
    }
    return picker.get(10, TimeUnit.SECONDS);
  }

  private JsonObject gateway(String body) throws IOException {
    return gateway("/v1/sessions", body);
  }

  private JsonObject gateway(String path, String body) throws IOException {
    Request r =
        new Request.Builder()
            .url(node.node().gatewayUrl() + path)
            .header("Authorization", "Bearer " + token)
            .post(RequestBody.create(body, JSON))
            .build();
    try (Response res = http.newCall(r).execute()) {
      JsonObject o = JsonParser.parseString(res.body().string()).getAsJsonObject();
      o.addProperty("code", res.code());
      return o;
    }
  }

  private SessionInfo ssh(String command) throws Exception {
    TestNode.Result r = node.mina(command + " --json -- sleep 60");
    assertThat(r.exit()).as(r.err()).isZero();
    return dev.hack.node.api.Json.GSON.fromJson(r.out(), SessionInfo.class);
  }

  @Test
  void aRegisteredProjectContainsItsSessionsFromEveryDoor() throws Exception {
    // in it: its root by default, a directory under it, the real path
    assertThat(ssh("new --project web").cwd()).isEqualTo(root.toString());
    assertThat(ssh("new --project web --cwd sub").cwd()).isEqualTo(root.resolve("sub").toString());
    JsonObject g = gateway("{\"project\":\"web\",\"cwd\":\"sub\",\"command\":[\"sleep\",\"60\"]}");
    assertThat(g.getAsJsonObject("session").get("cwd").getAsString())
        .isEqualTo(root.resolve("sub").toString());

    // out of it: .., an absolute path elsewhere, a symlink that leads out
    for (String cwd : new String[] {"..", "/etc", "escape", "sub/../../outside"}) {
      TestNode.Result r = node.mina("new --project web --cwd " + cwd + " -- sleep 60");
      assertThat(r.exit()).as(cwd).isNotZero();
      assertThat(r.err()).as(cwd).contains("project root");
      JsonObject refused =
          gateway("{\"project\":\"web\",\"cwd\":\"" + cwd + "\",\"command\":[\"sleep\",\"60\"]}");
      assertThat(refused.get("code").getAsInt()).as(cwd).isEqualTo(400);
      assertThat(refused.get("error").getAsString()).as(cwd).isEqualTo("invalid_cwd");
    }
  }

  @Test
  void aRefusedDirectoryIsQuotedShortNotEchoedWhole() throws Exception {
    String longCwd = "../" + "x".repeat(5000);
    JsonObject refused =
        gateway("{\"project\":\"web\",\"cwd\":\"" + longCwd + "\",\"command\":[\"true\"]}");
    assertThat(refused.get("error").getAsString()).isEqualTo("invalid_cwd");
    assertThat(refused.get("message").getAsString()).hasSizeLessThan(200).contains("...");
    TestNode.Result ssh = node.mina("new --cwd " + "y".repeat(5000) + " -- true");
    assertThat(ssh.exit()).isNotZero();
    assertThat(ssh.err()).hasSizeLessThan(300).contains("no such directory");
  }

  @Test
  void theTypeIsInferredAndKeptTheSameWayFromEveryDoor() throws Exception {
    // no type: process with a command, shell without
    assertThat(ssh("new").type()).isEqualTo("process");
    assertThat(
            gateway("{\"command\":[\"sleep\",\"60\"]}")
                .getAsJsonObject("session")
                .get("type")
                .getAsString())
        .isEqualTo("process");
    assertThat(picker().create(null, null, null, "sleep 60").type()).isEqualTo("process");
    assertThat(picker().create(null, null, null, "").type()).isEqualTo("shell");

    // a type asked for is kept, command or not (the gateway made this shell a process)
    assertThat(ssh("new --type shell").type()).isEqualTo("shell");
    assertThat(
            gateway("{\"type\":\"shell\",\"command\":[\"sleep\",\"60\"]}")
                .getAsJsonObject("session")
                .get("type")
                .getAsString())
        .isEqualTo("shell");
    assertThat(picker().create(null, "shell", null, "sleep 60").type()).isEqualTo("shell");
  }

  @Test
  void withoutAProjectTheDirectoryIsUnderTheHomeDirectoryFromEveryDoor() throws Exception {
    String home = System.getProperty("user.home");
    assertThat(ssh("new").cwd()).isEqualTo(home);
    assertThat(
            gateway("{\"command\":[\"sleep\",\"60\"],\"cwd\":\".\"}")
                .getAsJsonObject("session")
                .get("cwd")
                .getAsString())
        .isEqualTo(home);
    assertThat(picker().create(null, null, "~", "sleep 60").cwd()).isEqualTo(home);
    assertThat(picker().create(null, null, root.toString(), "sleep 60").cwd())
        .isEqualTo(root.toString());
    assertThatThrownBy(() -> picker().create(null, null, "no-such-dir-here", "sleep 60"))
        .hasMessageContaining("no such directory");
  }

  @Test
  void cancellingAJobThatFinishedSaysSoFromEveryDoor() throws Exception {
    String jobs =
        "/control-plane/projects/"
            + ProjectRegistry.open(node.home()).find("web").orElseThrow().id()
            + "/jobs";
    String id =
        gateway(jobs, "{\"command\":[\"true\"]}").getAsJsonObject("job").get("jobId").getAsString();
    dev.hack.node.testing.Poll.until(
        Duration.ofSeconds(20),
        "the job to finish",
        () -> node.mina("job show " + id).out().contains("completed"));
    JsonObject g = gateway(jobs + "/" + id + "/cancel", "{}");
    assertThat(g.get("code").getAsInt()).isEqualTo(409);
    assertThat(g.get("error").getAsString()).isEqualTo("job_finished");
    assertThat(g.get("message").getAsString())
        .isEqualTo("job " + id + " has already finished (completed)");
    TestNode.Result ssh = node.mina("job cancel " + id);
    assertThat(ssh.exit()).isNotZero();
    assertThat(ssh.err()).contains("job " + id + " has already finished (completed)");
  }
}
