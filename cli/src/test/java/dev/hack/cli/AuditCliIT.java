package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.AuditLog;
import dev.hack.keys.KeyFiles;
import dev.hack.node.testing.TestNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hack audit} reads what the node's doors logged, from the real CLI jar. */
class AuditCliIT {
  @TempDir Path dir;

  private static CliNodes.Run hack(Path home, String... args) throws Exception {
    return new CliNodes(home).hack(home, args);
  }

  @Test
  void sshLoginsChangesAndCliTokensShowUpAsJsonAndAsATable() throws Exception {
    try (TestNode node = TestNode.start(dir)) {
      Path home = node.home().root();
      String fingerprint = KeyFiles.fingerprint(node.clientPair().getPublic());
      assertThat(node.ssh("127.0.0.1", "new --name web-1 -- sleep 60").exit()).isZero();
      assertThat(node.ssh("127.0.0.1", "stop web-1").exit()).isZero();
      assertThat(hack(home, "gateway", "token-create", "--scope", "read").exit()).isZero();

      CliNodes.Run json = hack(home, "audit", "--json", "-n", "100");
      assertThat(json.exit()).as(json.err()).isZero();
      List<JsonObject> lines =
          json.out().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
      assertThat(lines)
          .anySatisfy(
              o -> {
                assertThat(o.get("door").getAsString()).isEqualTo("ssh");
                assertThat(o.get("event").getAsString()).isEqualTo("session_new");
                assertThat(o.has("who") ? o.get("who").getAsString() : null).isEqualTo(fingerprint);
              });
      assertThat(lines)
          .anyMatch(o -> o.has("action") && o.get("action").getAsString().equals("stop web-1"));
      assertThat(lines)
          .anySatisfy(
              o -> {
                assertThat(o.has("door") ? o.get("door").getAsString() : null).isEqualTo("cli");
                assertThat(o.get("event").getAsString()).isEqualTo("token_create");
              });
      assertThat(hack(home, "audit", "--json", "-n", "2").out().lines()).hasSize(2);

      CliNodes.Run table = hack(home, "audit");
      assertThat(table.exit()).as(table.err()).isZero();
      assertThat(table.out().lines().findFirst().orElseThrow())
          .matches("TIME +DOOR +EVENT +WHO +ACTION +STATUS");
      assertThat(table.out())
          .containsPattern("ssh +session_stop +SHA256:\\S+ +stop web-1 +ok")
          .containsPattern("cli +token_create");
      CliNodes.Run help = hack(home, "audit", "--help");
      assertThat(help.exit()).isZero();
      assertThat(help.out()).contains("--follow", "--json", "--lines");
    }
  }

  @Test
  void followKeepsReadingAcrossRotations() throws Exception {
    Path home = dir.resolve("home");
    Path file = home.resolve("daemon/gateway/audit.jsonl");
    AuditLog log =
        new AuditLog(
            file, AuditLog.Limits.DEFAULT.withRotation(4096, 5).unlimited(), System::nanoTime);
    log.entry("cli", "test_line").with("detail", "before").write();
    ProcessBuilder pb =
        new ProcessBuilder(CliNodes.hackArgv("audit", "--follow", "--json", "-n", "1"));
    pb.environment().put("HACK_HOME", home.toString());
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    List<String> out = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                  out.add(l);
                }
              } catch (java.io.IOException e) {
                // the process was stopped: what was read is what there is
              }
            },
            "audit-follow-reader");
    reader.start();
    try {
      dev.hack.node.testing.Poll.until(
          java.time.Duration.ofSeconds(30), "the backlog", () -> out.size() == 1);
      for (int i = 0; i < 150; i++) { // about four rotations
        log.entry("cli", "test_line").with("detail", "n" + i).write();
      }
      try {
        dev.hack.node.testing.Poll.until(
            java.time.Duration.ofSeconds(20), "150 more lines", () -> out.size() >= 151);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; got " + out, e);
      }
      List<String> details = new ArrayList<>();
      for (String l : out) {
        details.add(JsonParser.parseString(l).getAsJsonObject().get("detail").getAsString());
      }
      assertThat(details.get(0)).isEqualTo("before");
      for (int i = 0; i < 150; i++) {
        assertThat(details.get(i + 1)).isEqualTo("n" + i);
      }
      assertThat(AuditLog.files(file, 10).size()).isGreaterThan(2);
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
      p.destroyForcibly();
      reader.join(5000);
    }
  }
}
