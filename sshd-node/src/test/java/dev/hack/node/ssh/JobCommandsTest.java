package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSH {@code job} verbs that {@code hack job} is built on, through MINA's client and OpenSSH's.
 */
class JobCommandsTest {
  @TempDir Path dir;
  TestNode node;

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  @Test
  void startFollowAndExitWithTheJobsCode() throws Exception {
    Result started = node.mina("job start -- sh -c 'echo one; sleep 0.3; echo two >&2; exit 7'");
    assertThat(started.exit()).as(started.err()).isZero();
    String id = started.out().strip();
    assertThat(id).startsWith("j_");

    Result follow = node.mina("job logs " + id + " --follow");
    assertThat(follow.out()).isEqualTo("one\ntwo\n");
    assertThat(follow.exit()).isEqualTo(7);

    // from an offset, without following: exactly the rest, exit 0
    Result tail = node.mina("job logs " + id + " --from 2");
    assertThat(tail.out()).isEqualTo("e\ntwo\n");
    assertThat(tail.exit()).isZero();

    JsonObject shown =
        JsonParser.parseString(node.mina("job show " + id + " --json").out()).getAsJsonObject();
    assertThat(shown.get("status").getAsString()).isEqualTo("failed");
    assertThat(shown.get("exitCode").getAsInt()).isEqualTo(7);
    assertThat(shown.getAsJsonArray("events").toString()).contains("job.failed");
    // for a person: the job, then its history, the reason last
    assertThat(node.mina("job show " + id).out())
        .containsPattern(
            "(?s)JOB .*failed +7 .*EVENTS\n.*job.created.*job.failed +\\{\"exitCode\":7\\}");

    JsonArray list = JsonParser.parseString(node.mina("job list --json").out()).getAsJsonArray();
    assertThat(list.toString()).contains(id);
    assertThat(node.mina("job list").out()).contains("JOB", id, "failed");

    // through OpenSSH too
    TestNode.Result ssh = node.ssh("127.0.0.1", "job", "logs", id, "--follow");
    assertThat(ssh.exit()).isEqualTo(7);
    assertThat(ssh.out()).isEqualTo("one\ntwo\n");
  }

  @Test
  void projectsEnvCancelAndErrors() throws Exception {
    Path root =
        Files.createDirectories(dir.resolve("proj").resolve("sub")).getParent().toRealPath();
    ProjectRegistry.open(node.home()).register("proj", root, null);
    Result started =
        node.mina(
            "job start --project proj --cwd sub --env GREETING=hey -- sh -c 'echo $GREETING $(pwd)'");
    assertThat(started.exit()).as(started.err()).isZero();
    Result out = node.mina("job logs " + started.out().strip() + " -f");
    assertThat(out.out()).isEqualTo("hey " + root.resolve("sub") + "\n");
    assertThat(out.exit()).isZero();
    assertThat(node.mina("job list --project proj --json").out()).contains(started.out().strip());

    String sleeper = node.mina("job start -- sleep 300").out().strip();
    assertThat(node.mina("job cancel " + sleeper).exit()).isZero();
    Result followed = node.mina("job logs " + sleeper + " --follow");
    assertThat(followed.exit()).isEqualTo(130);
    assertThat(node.mina("job cancel " + sleeper).exit()).isZero(); // already cancelled: fine

    String quick = node.mina("job start -- true").out().strip();
    Poll.until(
        TestNode.TIMEOUT,
        "done",
        () -> node.mina("job show " + quick + " --json").out().contains("completed"));
    Result late = node.mina("job cancel " + quick);
    assertThat(late.exit()).isEqualTo(1);
    assertThat(late.err()).contains("already finished");

    Result unknown = node.mina("job logs j_nope");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("no job j_nope");
    assertThat(node.mina("job start --env NOEQUALS -- true").exit()).isEqualTo(2);
    assertThat(node.mina("job start --project nope -- true").err()).contains("no project nope");
    assertThat(node.mina("job start").exit()).isEqualTo(2);
    assertThat(node.mina("job logs " + quick + " --from 99999").exit()).isEqualTo(2);
    assertThat(node.mina("job --help").out()).contains("start", "logs", "cancel");
    assertThat(node.mina("help").out()).contains("job start");
  }
}
