package dev.hack.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.Node;
import dev.hack.node.ssh.NodeSshServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.stream.Stream;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;

/**
 * What a node does when someone first uses it, done once on a throwaway node: a node on loopback
 * port 0 in a temp {@code HACK_HOME}, with its gateway, no keeper, no tailscaled and a tmux socket
 * of its own, which a MINA client logs in to, lists, starts a {@code cat} session in, attaches to
 * and types {@link #KEYS} keys into, each echoed before the next. {@code hack cds-warmup --node}
 * runs it so that the class-data-sharing archive a daemon's node starts from holds what a node
 * loads (docs/performance.md). It touches nothing outside its temp dir.
 */
final class NodeWarmup {
  /** Keystrokes typed into the warm-up session. */
  static final int KEYS = 300;

  private static final Duration BOUND = Duration.ofSeconds(5);

  private NodeWarmup() {}

  /** Runs it; any failure ends it early (it only makes a later start faster). */
  static void run() throws IOException {
    Path dir = Files.createTempDirectory("hack-warmup");
    try {
      HackHome home = HackHome.at(dir.resolve("home"));
      Path key = dir.resolve("id_ed25519");
      KeyPair client = KeyFiles.loadOrCreate(key, "warmup");
      new AuthorizedKeys(home.authorizedKeys(), w -> {})
          .authorize(Files.readString(KeyFiles.publicKeyPath(key), UTF_8));
      Node.Config config =
          new Node.Config(
                  home,
                  "warmup",
                  "127.0.0.1",
                  0,
                  "127.0.0.1",
                  0,
                  dir.resolve("tmux.sock"),
                  Duration.ofDays(1),
                  NodeSshServer.Settings.defaults())
              .withTailscaleSocket(dir.resolve("no-tailscaled.sock"));
      Node node = Node.start(config, w -> {});
      try (SshClient ssh = SshClient.setUpDefaultClient()) {
        ssh.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        ssh.start();
        try (ClientSession s =
            ssh.connect("warmup", node.sshAddress()).verify(BOUND).getClientSession()) {
          s.addPublicKeyIdentity(client);
          s.auth().verify(BOUND);
          exec(s, "ls --json");
          exec(s, "new --name w -- sh -c 'stty raw -echo; exec cat'");
          type(s, "attach w");
          exec(s, "rm w");
        }
      } finally {
        node.close();
      }
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void exec(ClientSession s, String command) throws IOException {
    try (ChannelExec ch = s.createExecChannel(command)) {
      ch.setOut(new ByteArrayOutputStream());
      ch.setErr(new ByteArrayOutputStream());
      ch.open().verify(BOUND);
      ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), BOUND);
    }
  }

  /** Attaches with a PTY and types {@link #KEYS} keys, each after the last one's echo. */
  private static void type(ClientSession s, String command) throws IOException {
    try (ChannelExec ch = s.createExecChannel(command)) {
      ch.setUsePty(true);
      ch.setPtyType("xterm-256color");
      ch.open().verify(BOUND);
      OutputStream keys = ch.getInvertedIn();
      InputStream screen = ch.getInvertedOut();
      byte[] buf = new byte[8192];
      for (int i = 0; i < KEYS; i++) {
        byte k = (byte) ('a' + i % 26);
        keys.write(k);
        keys.flush();
        long deadline = System.nanoTime() + BOUND.toNanos();
        boolean echoed = false;
        while (!echoed) {
          if (System.nanoTime() - deadline > 0) {
            return; // something is wrong; a warm-up never waits long
          }
          int n = screen.read(buf);
          if (n < 0) {
            return;
          }
          for (int j = 0; j < n && !echoed; j++) {
            echoed = buf[j] == k;
          }
        }
      }
    }
  }
}
