package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.KeyFiles;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the SSH door writes to the audit log, driven by the real OpenSSH client. */
class SshAuditTest {
  @TempDir Path dir;
  private TestNode node;

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private List<JsonObject> sshLines() throws Exception {
    Path f = node.home().gatewayDir().resolve("audit.jsonl");
    if (!Files.exists(f)) {
      return List.of();
    }
    return Files.readAllLines(f).stream()
        .map(l -> JsonParser.parseString(l).getAsJsonObject())
        .filter(o -> o.has("door") && o.get("door").getAsString().equals("ssh"))
        .toList();
  }

  private static boolean is(JsonObject o, String event, String action) {
    return o.get("event").getAsString().equals(event)
        && (action == null || (o.has("action") && o.get("action").getAsString().equals(action)));
  }

  @Test
  void loginsAndChangesAreLoggedWithTheKeyFingerprintAndNeverTheTextSent() throws Exception {
    String fingerprint = KeyFiles.fingerprint(node.clientPair().getPublic());
    assertThat(fingerprint).startsWith("SHA256:");
    TestNode.Result made = node.ssh("127.0.0.1", "new --name web-1 -- cat");
    assertThat(made.exit()).as(made.err()).isZero();
    TestNode.Result sent = node.ssh("127.0.0.1", "send web-1 'top secret\\n'");
    assertThat(sent.exit()).as(sent.err()).isZero();
    TestNode.Result stopped = node.ssh("127.0.0.1", "stop web-1");
    assertThat(stopped.exit()).as(stopped.err()).isZero();
    TestNode.Result missing = node.ssh("127.0.0.1", "stop no-such");
    assertThat(missing.exit()).isEqualTo(1);

    List<JsonObject> lines = sshLines();
    assertThat(lines.stream().filter(o -> is(o, "login", null))).hasSizeGreaterThanOrEqualTo(4);
    for (String[] e :
        new String[][] {
          {"session_new", "new web-1"},
          {"session_send", "send web-1"},
          {"session_stop", "stop web-1"}
        }) {
      assertThat(lines)
          .as(e[0])
          .anySatisfy(
              o -> {
                assertThat(is(o, e[0], e[1])).isTrue();
                assertThat(o.get("who").getAsString()).isEqualTo(fingerprint);
                assertThat(o.get("status").getAsString()).isEqualTo("ok");
                assertThat(o.get("remote").getAsString()).startsWith("127.0.0.1:");
              });
    }
    assertThat(lines)
        .anySatisfy(
            o -> {
              assertThat(is(o, "command_failed", "stop no-such")).isTrue();
              assertThat(o.get("status").getAsString()).isEqualTo("failed");
            });
    assertThat(Files.readString(node.home().gatewayDir().resolve("audit.jsonl")))
        .doesNotContain("top secret");
  }

  @Test
  void aKeyThatIsNotAuthorizedIsLoggedAsARefusedLogin() throws Exception {
    Path stranger = dir.resolve("stranger").resolve("id_ed25519");
    KeyFiles.loadOrCreate(stranger, "stranger");
    TestNode.Result r = node.sshWithKey(stranger, "127.0.0.1", "ls");
    assertThat(r.exit()).isEqualTo(255);
    String fingerprint =
        KeyFiles.fingerprint(KeyFiles.loadOrCreate(stranger, "stranger").getPublic());
    Poll.until(
        Duration.ofSeconds(5),
        "login_refused",
        () ->
            sshLines().stream()
                .anyMatch(
                    o ->
                        is(o, "login_refused", null)
                            && o.get("who").getAsString().equals(fingerprint)
                            && o.get("status").getAsString().equals("refused")));
  }
}
