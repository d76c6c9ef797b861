package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TinyDisk;
import dev.hack.node.testing.TmuxTerminal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A full disk under {@code HACK_HOME} (a small tmpfs mounted for the test, filled up) costs a
 * session its log, never its life or its attached clients. Before, the PTY reader died on the first
 * failed write: live output stopped with it, the program blocked on a full PTY, and ten seconds
 * later the session was {@code exited(-1)} with the reason at DEBUG; {@code new} still answered 0.
 */
class SessionFullDiskTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private TinyDisk disk;
  private Path mount;
  private TestNode node;
  private final List<TmuxTerminal> terminals = new ArrayList<>();

  @BeforeEach
  void mountATinyDisk() throws Exception {
    disk = TinyDisk.mount(16);
    mount = disk.path();
    node = TestNode.start(mount);
  }

  @AfterEach
  void unmount() throws Exception {
    for (TmuxTerminal t : terminals) {
      t.close();
    }
    if (node != null) {
      node.close();
    }
    if (disk != null) {
      disk.close();
    }
  }

  private TmuxTerminal terminal(String... remote) throws Exception {
    List<String> argv = new ArrayList<>(node.sshArgv("-tt", "127.0.0.1"));
    argv.addAll(List.of(remote));
    TmuxTerminal t = TmuxTerminal.start(100, 30, argv);
    terminals.add(t);
    return t;
  }

  @Test
  void aSessionOutlivesAFullDiskItsClientsKeepSeeingItAndItsLogResumesWithTheGapMarked()
      throws Exception {
    assertThat(node.mina("new --name sh1 -- sh").exit()).isZero();
    TmuxTerminal t = terminal("attach", "sh1");
    t.type("echo before-$((3*3))");
    t.keys("Enter");
    t.waitFor("before-9", WAIT);
    Poll.until(WAIT, "the log to have it", () -> node.mina("logs sh1").out().contains("before-9"));

    Path filler = mount.resolve("filler");
    TinyDisk.fill(filler);

    // the attached client keeps seeing its program, which never blocks: 6.9 MB of output is far
    // more than the disk has room for and than a PTY buffers
    t.type("seq 1000000; echo marker-$((6*7))");
    t.keys("Enter");
    t.waitFor("marker-42", WAIT);
    JsonObject sh1 = session("sh1");
    assertThat(sh1.get("status").getAsString()).isEqualTo("running");
    assertThat(sh1.get("log_error").getAsString()).contains("No space left on device");
    assertThat(sh1.get("unlogged_bytes").getAsLong()).isGreaterThan(6_000_000);

    // and says so loudly: ls, status
    assertThat(node.mina("ls").out()).contains("running,not-logging");
    TestNode.Result status = node.mina("status");
    assertThat(status.out()).contains("warning   1 session is not logging its output");
    assertThat(node.mina("status --json").out()).contains("\"status\":\"degraded\"");

    // a client that attaches meanwhile sees the screen as it is, unlogged output included
    TmuxTerminal late = terminal("attach", "--read-only", "sh1");
    late.waitFor("marker-42", WAIT);

    // nothing new starts on a disk that cannot hold it
    TestNode.Result refused = node.mina("new --name sh2 -- sh");
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).contains("cannot start a session").contains("is full");
    assertThat(node.mina("ls --json").out()).doesNotContain("sh2");

    // space returns: logging resumes by itself, with a line that says what is missing
    Files.delete(filler);
    Poll.until(WAIT, "logging to resume", () -> session("sh1").get("log_error").isJsonNull());
    t.type("echo after-$((7*6))");
    t.keys("Enter");
    t.waitFor("after-42", WAIT);
    String log = Poll.until(WAIT, "the log", () -> logsWith("after-42"));
    int before = log.indexOf("before-9");
    int gap = log.indexOf("bytes of output were not logged (No space left on device)");
    int after = log.lastIndexOf("after-42");
    assertThat(before).as(log).isNotNegative();
    assertThat(gap).as(log).isGreaterThan(before);
    assertThat(after).as(log).isGreaterThan(gap);
    assertThat(log).doesNotContain("marker-42"); // never logged, and never claimed to be
    // the note is for the log's readers: the attached terminal never showed it
    assertThat(t.screen()).doesNotContain("not logged");
    assertThat(node.mina("status --json").out()).contains("\"status\":\"ok\"");
    assertThat(node.mina("new --name sh2 -- sh").exit()).isZero();
  }

  private String logsWith(String text) throws IOException {
    String out = node.mina("logs sh1").out();
    return out.contains(text) ? out : null;
  }

  private JsonObject session(String id) throws IOException {
    JsonArray all = JsonParser.parseString(node.mina("ls --json").out()).getAsJsonArray();
    for (var e : all) {
      if (e.getAsJsonObject().get("id").getAsString().equals(id)) {
        return e.getAsJsonObject();
      }
    }
    throw new AssertionError("no session " + id + " in " + all);
  }
}
