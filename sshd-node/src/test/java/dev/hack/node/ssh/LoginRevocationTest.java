package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.KeyFiles;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key taken out of {@code authorized_keys} ends what it has open: an attached OpenSSH client is
 * disconnected with the reason, and its typing stops reaching the session. (The gateway does the
 * same for a revoked token; tailnet logins are in TailnetSshTest.)
 */
class LoginRevocationTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir Path dir;
  TestNode node;
  Process attached;

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    if (attached != null) {
      attached.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    node.close();
  }

  @Test
  void revokingAKeyDisconnectsItsAttachedClientWithTheReason() throws Exception {
    assertThat(node.mina("new --name s1 -- cat").exit()).isZero();
    // a second key stays authorized: only the revoked one's connections end
    Path other = dir.resolve("other").resolve("id_ed25519");
    KeyFiles.loadOrCreate(other, "other");
    AuthorizedKeys keys = new AuthorizedKeys(node.home().authorizedKeys(), w -> {});
    keys.authorize(Files.readString(KeyFiles.publicKeyPath(other)));

    List<String> argv = new ArrayList<>(node.sshArgv("-tt", "127.0.0.1", "attach", "s1"));
    ProcessBuilder pb = new ProcessBuilder(argv);
    attached = pb.start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread reader =
        new Thread(
            () -> {
              try {
                attached.getErrorStream().transferTo(err);
              } catch (java.io.IOException e) {
                // the process ended
              }
            },
            "ssh-stderr");
    reader.start();
    Thread drain =
        new Thread(
            () -> {
              try {
                attached.getInputStream().transferTo(OutputStream.nullOutputStream());
              } catch (java.io.IOException e) {
                // the process ended
              }
            },
            "ssh-stdout");
    drain.start();
    OutputStream typing = attached.getOutputStream();
    typing.write("before-revoke\r".getBytes(StandardCharsets.UTF_8));
    typing.flush();
    Poll.until(WAIT, "typed", () -> node.mina("logs s1").out().contains("before-revoke"));

    assertThat(keys.revoke(node.clientPair().getPublic())).isEqualTo(1);

    assertThat(attached.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("disconnected").isTrue();
    reader.join(5000);
    assertThat(attached.exitValue()).isEqualTo(255);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("is no longer in this node's authorized_keys");
    // the session itself goes on, and the other key still gets in
    TestNode.Result ls = node.sshWithKey(other, "127.0.0.1", "ls");
    assertThat(ls.exit()).as(ls.err()).isZero();
    assertThat(ls.out()).contains("s1").contains("running");
    TestNode.Result refused = node.ssh("127.0.0.1", "ls");
    assertThat(refused.exit()).isEqualTo(255);
    // and the audit log says which login ended, and why
    Poll.until(
        WAIT,
        "login_ended in the audit log",
        () ->
            Files.readString(node.home().gatewayDir().resolve("audit.jsonl"))
                .lines()
                .anyMatch(l -> l.contains("\"login_ended\"") && l.contains("authorized_keys")));
  }
}
