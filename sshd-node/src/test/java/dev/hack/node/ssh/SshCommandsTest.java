package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.KeyFiles;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SSH command table against a real node, through MINA's client and OpenSSH's. */
class SshCommandsTest {
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
  void newSendLogsWithMinaClient() throws Exception {
    Result created = node.mina("new --name echo1 -- cat");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out().strip()).isEqualTo("echo1");

    assertThat(node.mina("send echo1 'hello world\\n'").exit()).isZero();
    String logs =
        Poll.until(
            TestNode.TIMEOUT,
            "echo in the log",
            () -> {
              String out = node.mina("logs echo1").out();
              return out.contains("hello world\r\nhello world") ? out : null;
            });
    assertThat(logs).contains("hello world");

    Result ls = node.mina("ls --json");
    JsonArray list = JsonParser.parseString(ls.out()).getAsJsonArray();
    JsonObject s = list.get(0).getAsJsonObject();
    assertThat(s.get("id").getAsString()).isEqualTo("echo1");
    assertThat(s.get("type").getAsString()).isEqualTo("process");
    assertThat(s.get("status").getAsString()).isEqualTo("running");
    assertThat(s.has("exit_code")).isTrue();
    assertThat(s.get("cols").getAsInt()).isEqualTo(80);
  }

  @Test
  void logsFromOffsetReturnsExactlyTheBytesFromThere() throws Exception {
    node.mina("new --name seq1 -- sh -c 'seq 1 2000; sleep 30'");
    String all =
        Poll.until(
            TestNode.TIMEOUT,
            "all of seq",
            () -> {
              String out = node.mina("logs seq1").out();
              return out.contains("2000\r\n") ? out : null;
            });
    byte[] bytes = all.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int from = 1234;
    String tail = node.mina("logs seq1 --from " + from).out();
    assertThat(tail)
        .isEqualTo(
            new String(bytes, from, bytes.length - from, java.nio.charset.StandardCharsets.UTF_8));
    Result past = node.mina("logs seq1 --from 99999999");
    assertThat(past.exit()).isEqualTo(2);
    assertThat(past.err()).contains("outside the log");
  }

  @Test
  void newSendLogsWithOpenSsh() throws Exception {
    Result created = node.ssh("127.0.0.1", "new", "--name", "o1", "--", "cat");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(node.ssh("127.0.0.1", "send o1 'from openssh\\n'").exit()).isZero();
    Poll.until(
        TestNode.TIMEOUT,
        "echo",
        () -> node.ssh("127.0.0.1", "logs", "o1").out().contains("from openssh"));
    Result ls = node.ssh("127.0.0.1", "ls");
    assertThat(ls.out()).contains("SESSION").contains("o1").contains("running");
  }

  @Test
  void processExitIsRecordedWithItsCodeAndStaysListedUntilRemoved() throws Exception {
    node.mina("new --name short -- sh -c 'echo bye; exit 3'");
    Poll.until(
        TestNode.TIMEOUT, "exit", () -> node.mina("ls --json").out().contains("\"exit_code\":3"));
    assertThat(node.mina("ls").out()).contains("exited(3)");
    assertThat(node.mina("logs short").out()).contains("bye");
    Result rm = node.mina("rm short");
    assertThat(rm.exit()).as(rm.err()).isZero();
    assertThat(node.mina("ls --json").out().strip()).isEqualTo("[]");
    assertThat(Files.exists(node.home().sessionsDir().resolve("short"))).isFalse();
  }

  @Test
  void restartPolicyOnFailureRestartsUntilStopped() throws Exception {
    node.mina("new --name flaky --restart on-failure -- sh -c 'echo run; exit 1'");
    Poll.until(
        Duration.ofSeconds(15),
        "two restarts",
        () -> node.mina("logs flaky").out().split("restarting", -1).length > 2);
    assertThat(node.mina("stop flaky").exit()).isZero();
    Poll.until(
        TestNode.TIMEOUT, "stopped", () -> node.mina("ls --json").out().contains("\"exited\""));
  }

  @Test
  void stopEndsTheWholeProcessGroup() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    node.mina("new --name grp -- sh -c 'sleep 300 & echo $! > " + pidFile + "; wait'");
    String pid =
        Poll.until(
            TestNode.TIMEOUT,
            "child pid",
            // the shell creates the file before echo writes to it: wait for a whole line
            () -> {
              String text = Files.exists(pidFile) ? Files.readString(pidFile) : "";
              return text.endsWith("\n") ? text.strip() : null;
            });
    assertThat(ProcessHandle.of(Long.parseLong(pid))).isPresent();
    assertThat(node.mina("stop grp").exit()).isZero();
    Poll.until(
        TestNode.TIMEOUT,
        "child gone",
        () -> ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void badInputGetsOneClearLineAndTheNodeKeepsServing() throws Exception {
    Result unknown = node.mina("frobnicate");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("unknown command 'frobnicate'").endsWith("\n");
    assertThat(unknown.err().strip().lines().count()).isEqualTo(1);

    Result noSuch = node.mina("logs nosuch");
    assertThat(noSuch.exit()).isEqualTo(1);
    assertThat(noSuch.err()).contains("no session nosuch");

    Result badId = node.mina("attach 'bad/id!'");
    assertThat(badId.exit()).isEqualTo(2);
    assertThat(badId.err()).contains("invalid session id");

    node.mina("new --name np -- cat");
    Result noPty = node.mina("attach np");
    assertThat(noPty.exit()).isEqualTo(2);
    assertThat(noPty.err()).contains("needs a terminal");

    Result quote = node.mina("send np 'unterminated");
    assertThat(quote.exit()).isEqualTo(2);

    Result badType = node.mina("new --type weird -- true");
    assertThat(badType.exit()).isEqualTo(2);
    assertThat(badType.err()).contains("unknown session type 'weird'");

    Result noHelp = node.mina("help nosuch");
    assertThat(noHelp.exit()).isEqualTo(2);
    assertThat(quote.err()).contains("unterminated single quote");

    Result missing = node.mina("send");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("help send");

    // 100 KB fits in one SSH packet: refused by the node with a reason
    Result long1 = node.ssh("127.0.0.1", "send np " + "y".repeat(100_000));
    assertThat(long1.exit()).isEqualTo(2);
    assertThat(long1.err()).contains("command line too long");
    // 1 MiB exceeds the SSH transport's 256 KiB packet limit (OpenSSH's sshd has the same):
    // that connection is dropped, and the node goes on serving everyone else
    Result huge = node.mina("send np " + "x".repeat(1 << 20));
    assertThat(huge.exit()).isNotZero();

    assertThat(node.mina("ls").out()).contains("np");
  }

  @Test
  void noWordIsEverReadAsAFileAndAnErrorQuotesOneShortWord() throws Exception {
    Path secret = dir.resolve("secret.txt");
    Files.writeString(secret, "canary-one canary-two\n--json\n");
    for (String line :
        List.of(
            "ls @" + secret,
            "peek @" + secret,
            "new --name @" + secret + " -- true",
            "job list @" + secret,
            "help @" + secret)) {
      Result r = node.ssh("127.0.0.1", line);
      assertThat(r.out() + r.err()).as(line).doesNotContain("canary");
    }
    // picocli lists every word it did not expect; the node names the first one, shortened
    Result many = node.ssh("127.0.0.1", "ls " + "x".repeat(5000) + " second third");
    assertThat(many.exit()).isEqualTo(2);
    assertThat(many.err())
        .startsWith("hack: ls: unexpected argument 'xxxx")
        .contains("(and 2 more)")
        .doesNotContain("second")
        .hasSizeLessThan(200);
    Result option = node.ssh("127.0.0.1", "ls --" + "y".repeat(5000));
    assertThat(option.err()).startsWith("hack: ls: unknown option '--yyy").hasSizeLessThan(200);
    Result badValue = node.ssh("127.0.0.1", "logs s1 --from " + "9".repeat(3000));
    assertThat(badValue.exit()).isEqualTo(2);
    assertThat(badValue.err()).contains("--from").hasSizeLessThan(400);
  }

  @Test
  void sendTypesEscapesAsRawBytes() throws Exception {
    Path out = dir.resolve("bytes");
    node.mina("new --name raw -- sh -c 'stty raw -echo; echo raw-ready; head -c 4 > " + out + "'");
    Poll.until(
        TestNode.TIMEOUT, "raw mode", () -> node.mina("logs raw").out().contains("raw-ready"));
    assertThat(node.mina("send raw 'A\\xff\\e\\n'").exit()).isZero();
    byte[] got =
        Poll.until(
            TestNode.TIMEOUT,
            "bytes",
            () -> Files.exists(out) && Files.size(out) == 4 ? Files.readAllBytes(out) : null);
    assertThat(got).containsExactly(0x41, 0xff, 0x1b, 0x0a);
  }

  @Test
  void aSecondNodeOnTheSameHomeIsRefusedAndHarmsNothing() throws Exception {
    node.mina("new --name alive -- sleep 300");
    String nodeJson = Files.readString(node.home().nodeFile());
    assertThatThrownBy(
            () ->
                dev.hack.node.Node.start(dev.hack.node.Node.Config.defaults(node.home()), w -> {}))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("already running");
    assertThat(Files.readString(node.home().nodeFile())).isEqualTo(nodeJson);
    assertThat(node.mina("ls --json").out()).contains("\"id\":\"alive\"").contains("running");
    assertThat(Files.readString(node.home().sessionsDir().resolve("alive/meta.json")))
        .contains("\"running\"");
  }

  @Test
  void stopRecordsTheExitCodeOfTheSignal() throws Exception {
    for (int i = 0; i < 3; i++) {
      String id = "st" + i;
      node.mina("new --name " + id + " -- sleep 600");
      assertThat(node.mina("stop " + id).exit()).isZero();
      // no waiting: when stop returns, the end is on record (SIGHUP 129 or SIGTERM 143)
      SessionInfo info = node.node().supervisor().get(id).info();
      assertThat(info.status()).isEqualTo("exited");
      assertThat(info.exitCode()).isIn(129, 143);
      assertThat(node.mina("ls --json").out()).contains("\"exit_code\":" + info.exitCode());
    }
  }

  @Test
  void stopAndRmTakeManySessionsAndReportEachFailureWhileDoingTheRest() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add("many" + i);
      assertThat(node.mina("new --name many" + i + " -- sleep 600").exit()).isZero();
    }
    assertThat(node.mina("new --name keep -- sleep 600").exit()).isZero();

    Result stop = node.mina("stop " + String.join(" ", ids) + " nosuch many0");
    assertThat(stop.exit()).isEqualTo(1);
    assertThat(stop.err()).isEqualTo("hack: no session nosuch on this node; list them with: ls\n");
    for (String id : ids) {
      // when stop returns, each end is on record
      SessionInfo info = node.node().supervisor().get(id).info();
      assertThat(info.status()).as(id).isEqualTo("exited");
      assertThat(info.exitCode()).as(id).isIn(129, 143);
    }
    assertThat(node.node().supervisor().get("keep").isRunning()).isTrue();

    Result rm = node.mina("rm keep " + String.join(" ", ids));
    assertThat(rm.exit()).isEqualTo(1);
    assertThat(rm.err())
        .isEqualTo("hack: session keep is still running; stop it first with: stop keep\n");
    assertThat(node.mina("ls --json").out()).contains("\"keep\"").doesNotContain("many");
    for (String id : ids) {
      assertThat(node.home().sessionsDir().resolve(id)).doesNotExist();
    }

    String audit = Files.readString(node.home().gatewayDir().resolve("audit.jsonl"));
    assertThat(audit.lines().filter(l -> l.contains("\"session_stop\"")).count()).isEqualTo(40);
    assertThat(audit.lines().filter(l -> l.contains("\"session_rm\"")).count()).isEqualTo(40);
    assertThat(audit).contains("stop nosuch").contains("rm keep");

    Result bad = node.mina("stop ../x");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err().lines().count()).isEqualTo(1);
  }

  @Test
  void onlyAuthorizedKeysGetIn() throws Exception {
    KeyPair stranger = KeyFiles.loadOrCreate(dir.resolve("stranger"), "stranger");
    assertThatThrownBy(
            () -> {
              try (ClientSession s = node.minaSession(stranger)) {
                s.close();
              }
            })
        .isInstanceOf(SshException.class);
    assertThatThrownBy(
            () -> {
              try (ClientSession s = node.minaSession(null)) {
                s.close();
              }
            })
        .isInstanceOf(SshException.class);
    // OpenSSH with the wrong key, password auth allowed on the client side: still refused
    Result r =
        node.sshWithKey(
            dir.resolve("stranger"),
            "-o",
            "PreferredAuthentications=publickey,password,keyboard-interactive",
            "127.0.0.1",
            "ls");
    assertThat(r.exit()).isEqualTo(255);
    assertThat(r.err()).contains("Permission denied");

    // an edit of authorized_keys takes effect without a restart
    new dev.hack.keys.AuthorizedKeys(node.home().authorizedKeys(), w -> {})
        .authorize(Files.readString(KeyFiles.publicKeyPath(dir.resolve("stranger"))));
    try (ClientSession s = node.minaSession(stranger)) {
      assertThat(TestNode.exec(s, "ls").exit()).isZero();
    }
  }

  @Test
  void hostKeyIsIdenticalAcrossRestarts() throws Exception {
    String before =
        JsonParser.parseString(node.mina("status --json").out())
            .getAsJsonObject()
            .get("host_key")
            .getAsString();
    byte[] file = Files.readAllBytes(node.home().hostKey());
    node.restart();
    String after =
        JsonParser.parseString(node.mina("status --json").out())
            .getAsJsonObject()
            .get("host_key")
            .getAsString();
    assertThat(after).isEqualTo(before).startsWith("SHA256:");
    assertThat(Files.readAllBytes(node.home().hostKey())).isEqualTo(file);
    assertThat(Files.getPosixFilePermissions(node.home().hostKey()))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void ptySessionIsLostAfterRestartWithItsLogIntact() throws Exception {
    node.mina("new --name keep -- sh -c 'echo before-restart; sleep 300'");
    Poll.until(
        TestNode.TIMEOUT, "output", () -> node.mina("logs keep").out().contains("before-restart"));
    node.restart();
    Result ls = node.mina("ls --json");
    assertThat(ls.out()).contains("\"id\":\"keep\"").contains("\"status\":\"lost\"");
    assertThat(node.mina("logs keep").out()).contains("before-restart");
    Result attach = node.ssh("-tt", "127.0.0.1", "attach", "keep");
    assertThat(attach.exit()).isEqualTo(1);
    // it says lost, not exited, and what to do; and what it says works
    assertThat(attach.err()).contains("session keep was lost").contains("restart keep");
    Result restarted = node.mina("restart keep");
    assertThat(restarted.exit()).as(restarted.err()).isZero();
    Poll.until(
        TestNode.TIMEOUT,
        "running again",
        () -> node.mina("ls --json").out().contains("\"status\":\"running\""));
  }

  @Test
  void tmuxSessionSurvivesNodeRestartAndLogsItsOutput() throws Exception {
    Result created = node.mina("new --type tmux --name tm1 -- sh -c 'echo tmux-says-hi; cat'");
    assertThat(created.exit()).as(created.err()).isZero();
    Poll.until(
        TestNode.TIMEOUT,
        "tmux output",
        () -> node.mina("logs tm1").out().contains("tmux-says-hi"));
    node.restart();
    Result ls = node.mina("ls --json");
    assertThat(ls.out()).contains("\"id\":\"tm1\"").contains("\"status\":\"running\"");
    node.mina("send tm1 'after-restart\\n'");
    Poll.until(
        TestNode.TIMEOUT,
        "new output",
        () -> node.mina("logs tm1").out().contains("after-restart"));
  }

  @Test
  void usersOwnTmuxSessionsAreListedAsUnmanaged() throws Exception {
    new ProcessBuilder(
            "tmux", "-S", node.tmuxSocket().toString(), "new-session", "-d", "-s", "mine")
        .start()
        .waitFor();
    Poll.until(
        TestNode.TIMEOUT,
        "unmanaged tmux",
        () -> node.mina("ls --json").out().contains("\"managed\":false"));
    assertThat(node.mina("ls").out()).contains("mine").contains("unmanaged");
  }
}
