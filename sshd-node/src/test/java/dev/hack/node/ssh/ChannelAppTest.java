package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.PtySize;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's side of the picker: a shell with a pty and no command runs the configured {@link
 * ChannelApp}, which can lend the channel to a session. A small app stands in for the TUI; MINA's
 * client stands in for the user.
 */
class ChannelAppTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  private TestNode node;
  private ClientSession client;
  private ChannelShell shell;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final List<String> typed = new CopyOnWriteArrayList<>();
  private final List<PtySize> sizes = new CopyOnWriteArrayList<>();
  private final CompletableFuture<ChannelApp.Channel> channel = new CompletableFuture<>();
  private volatile CompletableFuture<ChannelApp.AttachEnd> attached;
  private volatile boolean closed;
  private volatile String target = "s1"; // what {@code a} attaches to

  /** Echoes what it is sent; {@code a} attaches to s1, {@code x} exits with 3. */
  private final ChannelApp.Factory echo =
      ch -> {
        channel.complete(ch);
        say(ch, "app up " + ch.size() + "\r\n");
        return new ChannelApp() {
          @Override
          public void input(byte[] data, int off, int len) {
            String s = new String(data, off, len, StandardCharsets.UTF_8);
            typed.add(s);
            if (s.equals("a")) {
              new Thread(
                      () -> {
                        try {
                          attached = ch.attach(target, false);
                        } catch (IOException | RuntimeException e) {
                          say(ch, "attach failed: " + e.getMessage() + "\r\n");
                        }
                      },
                      "test-attach")
                  .start();
            } else if (s.equals("x")) {
              ch.exit(3);
            } else {
              say(ch, "got " + s + "\r\n");
            }
          }

          @Override
          public void resize(PtySize size) {
            sizes.add(size);
          }

          @Override
          public void close() {
            closed = true;
          }
        };
      };

  private static void say(ChannelApp.Channel ch, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    ch.send(b, 0, b.length, () -> {});
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

  private void open(boolean pty) throws IOException {
    client = node.minaSession();
    shell = client.createShellChannel();
    shell.setUsePty(pty);
    shell.setPtyColumns(90);
    shell.setPtyLines(30);
    shell.setOut(out);
    shell.setErr(out);
    shell.open().verify(WAIT);
  }

  private void type(String s) throws IOException {
    OutputStream in = shell.getInvertedIn();
    in.write(s.getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  private String output() {
    synchronized (out) {
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  private void waitFor(String text) throws Exception {
    Poll.until(WAIT, "output " + text, () -> output().contains(text));
  }

  @Test
  void aBareShellWithAPtyRunsTheAppWhichGetsKeysAndSizesAndEndsTheSession() throws Exception {
    node = TestNode.withShellApp(dir, echo);
    open(true);
    waitFor("app up 90x30");
    type("hi");
    waitFor("got hi");
    shell.sendWindowChange(50, 20);
    Poll.until(WAIT, "resize", () -> sizes.contains(new PtySize(50, 20)));
    type("x");
    shell.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), WAIT);
    assertThat(shell.getExitStatus()).isEqualTo(3);
    Poll.until(WAIT, "app closed", () -> closed);
  }

  @Test
  void withoutAPtyTheShellStillPrintsTheSessionListAndUsage() throws Exception {
    node = TestNode.withShellApp(dir, echo);
    open(false);
    shell.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), WAIT);
    assertThat(output()).contains("no sessions").contains("usage: ssh NODE COMMAND");
    assertThat(channel).isNotDone();
  }

  @Test
  void theAppLendsTheChannelToASessionUntilTheDetachKeyAndThenGetsKeysAgain() throws Exception {
    node = TestNode.withShellApp(dir, echo);
    assertThat(node.mina("new --name s1 -- sh -c 'echo s1-up; exec cat'").exit()).isZero();
    open(true);
    waitFor("app up");
    type("a");
    waitFor("s1-up"); // the session's screen
    Poll.until(WAIT, "attached", () -> attached != null);
    type("to-the-session\r");
    Poll.until(
        WAIT, "cat echoes", () -> output().split("to-the-session", -1).length > 2); // echo + cat
    assertThat(typed).containsExactly("a");
    assertThat(node.mina("ls").out()).containsPattern("s1 +process +running +1 ");

    type("\u001cback");
    ChannelApp.AttachEnd end = attached.get();
    assertThat(end.sessionEnded()).isFalse();
    Poll.until(WAIT, "keys after the detach key", () -> typed.contains("back"));
    waitFor("got back");
    Poll.until(WAIT, "detached", () -> node.mina("ls").out().matches("(?s).*s1 .*running +0 .*"));
    assertThat(node.node().supervisor().get("s1").isRunning()).isTrue();
  }

  @Test
  void thePickerAttachesIdAtThisNodesOwnNameLocallyAsAPlainAttachDoes() throws Exception {
    node = TestNode.withShellApp(dir, echo);
    assertThat(node.mina("new --name s1 -- sh -c 'echo s1-up; exec cat'").exit()).isZero();
    target = "s1@" + node.node().name(); // it used to be taken for a peer of that name
    open(true);
    waitFor("app up");
    type("a");
    waitFor("s1-up");
    Poll.until(WAIT, "attached", () -> attached != null);
    assertThat(output()).doesNotContain("attach failed");
    assertThat(node.mina("ls").out()).containsPattern("s1 +process +running +1 ");
    type("\u001c");
    assertThat(attached.get().sessionEnded()).isFalse();
  }

  @Test
  void aSessionThatEndsWhileAttachedHandsTheChannelBack() throws Exception {
    node = TestNode.withShellApp(dir, echo);
    assertThat(node.mina("new --name s1 -- sh -c 'read x; exit 7'").exit()).isZero();
    open(true);
    waitFor("app up");
    type("a");
    Poll.until(WAIT, "attached", () -> attached != null);
    Poll.until(WAIT, "attached", () -> node.mina("ls").out().matches("(?s).*s1 .*running +1 .*"));
    type("go\r");
    ChannelApp.AttachEnd end = attached.get();
    assertThat(end).isEqualTo(new ChannelApp.AttachEnd(true, 7));
    type("more");
    waitFor("got more");
  }

  @Test
  void theAppSeesTheNodesSessionsAndTheirText() throws Exception {
    node = TestNode.withShellApp(dir, echo);
    assertThat(
            node.mina(
                    "new --name s1 -- sh -c 'printf \"one\\\\ntwo\\\\r\\\\033[1mTWO\\\\033[0m\\\\n\"; exec cat'")
                .exit())
        .isZero();
    open(true);
    ChannelApp.Channel ch = channel.get();
    Poll.until(WAIT, "output", () -> ch.lastLine("s1").equals("TWO"));
    assertThat(ch.sessions()).extracting(s -> s.id()).containsExactly("s1");
    assertThat(ch.preview("s1", false, 10)).containsExactly("one", "TWO");
    assertThat(ch.preview("s1", true, 1)).containsExactly("TWO");
    assertThat(ch.status().name()).isEqualTo("test");
    assertThat(ch.create("s2", null, null, "sh -c 'exec cat'").type()).isEqualTo("process");
    assertThat(ch.create(null, null, null, "").type()).isEqualTo("shell");
    ch.stop("s2");
    assertThat(node.node().supervisor().get("s2").isRunning()).isFalse();
  }

  @Test
  void peekAndLastLinesOverPlainSsh() throws Exception {
    node = TestNode.start(dir);
    assertThat(node.mina("new --name s1 -- sh -c 'echo first; echo second; exec cat'").exit())
        .isZero();
    Poll.until(WAIT, "output", () -> node.mina("peek s1").out().contains("second"));
    assertThat(node.mina("peek s1").out()).isEqualTo("first\nsecond\n");
    assertThat(node.mina("peek s1 --log --lines 1").out()).isEqualTo("second\n");
    assertThat(node.mina("peek nosuch").err()).contains("no session nosuch");
    assertThat(node.mina("peek s1 --lines 0").exit()).isEqualTo(2);
    JsonArray ls =
        JsonParser.parseString(node.mina("ls --json --last-line").out()).getAsJsonArray();
    assertThat(ls.get(0).getAsJsonObject().get("last_line").getAsString()).isEqualTo("second");
    assertThat(node.mina("ls --json").out()).doesNotContain("last_line");

    // a line longer than the screen is wide is shown whole, not as its wrapped tail
    String longLine = "0123456789".repeat(13);
    assertThat(node.mina("new --name wide -- sh -c 'echo " + longLine + "; exec cat'").exit())
        .isZero();
    Poll.until(
        WAIT,
        "the long line as last_line",
        () ->
            JsonParser.parseString(node.mina("ls --json --last-line").out())
                .getAsJsonArray()
                .asList()
                .stream()
                .anyMatch(
                    e -> longLine.equals(e.getAsJsonObject().get("last_line").getAsString())));
  }
}
