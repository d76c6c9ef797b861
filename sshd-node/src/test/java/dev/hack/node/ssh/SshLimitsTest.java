package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TmuxTerminal;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one client address may hold on the node's SSH server: a connection that never logs in is cut
 * at the login time, and connections past the per-address caps are closed at once while those
 * already in go on.
 */
class SshLimitsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir Path dir;
  TestNode node;
  final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aConnectionTricklingItsGreetingIsCutAtTheLoginTime() throws Exception {
    node =
        TestNode.withSshLimits(
            dir, NodeSshServer.Limits.DEFAULTS.withLoginTime(Duration.ofSeconds(2)));
    Socket s = connect();
    s.setSoTimeout(1000); // each read waits a second: the pace of the trickle
    OutputStream out = s.getOutputStream();
    InputStream in = s.getInputStream();
    byte[] greeting = "SSH-2.0-slow".getBytes(StandardCharsets.US_ASCII);
    long start = System.nanoTime();
    boolean closed = false;
    for (int i = 0; i < greeting.length && !closed; i++) {
      try {
        out.write(greeting[i]); // one byte a second, never a whole line
        out.flush();
      } catch (java.io.IOException e) {
        closed = true;
        break;
      }
      closed = drainedToEnd(in);
    }
    assertThat(closed).as("closed before the greeting was done").isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(node.mina("ls").exit()).isZero(); // and everyone else is served
  }

  @Test
  void aLoginLeftAtThePassphrasePromptIsToldItTimedOutAndAudited() throws Exception {
    // someone walks away from OpenSSH's passphrase prompt: the node ends the connection at the
    // login time and says why, instead of MINA's protocol error that showed as a corrupt packet
    node =
        TestNode.withSshLimits(
            dir, NodeSshServer.Limits.DEFAULTS.withLoginTime(Duration.ofSeconds(2)));
    Path key = dir.resolve("locked_ed25519");
    TestNode.Result keygen =
        TestNode.run(
            List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", key.toString()));
    assertThat(keygen.exit()).as(keygen.err()).isZero();
    new dev.hack.keys.AuthorizedKeys(node.home().authorizedKeys(), w -> {})
        .authorize(java.nio.file.Files.readString(Path.of(key + ".pub")));
    List<String> argv = new ArrayList<>(node.sshArgvWithKey(key, "127.0.0.1", "ls"));
    argv.replaceAll(a -> a.equals("BatchMode=yes") ? "BatchMode=no" : a); // it may prompt
    Path auditFile = node.home().gatewayDir().resolve("audit.jsonl");
    try (TmuxTerminal t = TmuxTerminal.start(100, 30, argv)) {
      t.waitFor("Enter passphrase", WAIT);
      Poll.until( // the node gave up on it: past the login time
          WAIT,
          "the login timeout on record",
          () ->
              java.nio.file.Files.exists(auditFile)
                  && java.nio.file.Files.readString(auditFile).contains("\"login_timeout\""));
      t.type("secret");
      t.keys("Enter");
      String screen = t.waitFor("no login within 2s", WAIT);
      assertThat(screen).doesNotContain("corrupt");
    }
    String audit = java.nio.file.Files.readString(auditFile);
    assertThat(audit).contains("no login within 2s");
  }

  @Test
  void connectionsPastTheCapsForOneAddressAreClosedAndTheOthersGoOn() throws Exception {
    node = TestNode.withSshLimits(dir, NodeSshServer.Limits.DEFAULTS.withPerRemote(4, 2));
    // two connections that never log in fill the address's login slots
    sockets.add(connect());
    sockets.add(connect());
    Socket third = connect();
    sockets.add(third);
    assertThat(endOfStreamWithin(third.getInputStream(), WAIT)).isTrue();
    // logged-in connections are not logging in: close the two, then fill the address with logins
    for (Socket s : sockets) {
      s.close();
    }
    sockets.clear();
    List<ClientSession> in = new ArrayList<>();
    try {
      Poll.until(
          WAIT,
          "four logged-in connections",
          () -> {
            try {
              in.add(node.minaSession());
            } catch (java.io.IOException e) {
              // the closed sockets may not be counted out yet
            }
            return in.size() == 4;
          });
      ClientSession fifth = null;
      boolean refused;
      try {
        fifth = node.minaSession();
        refused = !fifth.isOpen();
      } catch (java.io.IOException e) {
        refused = true;
      }
      assertThat(refused).as("a fifth connection from the same address").isTrue();
      if (fifth != null) {
        fifth.close(true);
      }
      assertThat(TestNode.exec(in.get(0), "ls").exit()).isZero();
    } finally {
      for (ClientSession s : in) {
        s.close(true);
      }
    }
    // once they are gone (the node counts a connection out when it sees it close), the address
    // may connect again
    Poll.until(
        WAIT,
        "room again",
        () -> {
          try {
            return node.mina("ls").exit() == 0;
          } catch (java.io.IOException e) {
            return false;
          }
        });
  }

  private Socket connect() throws Exception {
    Socket s = new Socket("127.0.0.1", node.port());
    s.setSoTimeout(200);
    return s;
  }

  /** Reads what the server sent; true once the server has closed the connection. */
  private static boolean drainedToEnd(InputStream in) throws java.io.IOException {
    byte[] buf = new byte[4096];
    try {
      while (true) {
        if (in.read(buf) < 0) {
          return true;
        }
      }
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException e) {
      return true; // reset
    }
  }

  private static boolean endOfStreamWithin(InputStream in, Duration limit) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      if (drainedToEnd(in)) {
        return true;
      }
    }
    return false;
  }
}
