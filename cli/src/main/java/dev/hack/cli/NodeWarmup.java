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
import java.io.PrintStream;
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
import org.apache.sshd.client.keyverifier.RequiredServerKeyVerifier;
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
  /** Keystrokes typed into the warm-up session for the class-data archive: enough to load. */
  static final int KEYS = 300;

  /**
   * Keystrokes a serving node types into its own throwaway node at start: enough for the JIT to
   * compile the keystroke path (C2 compiles a method after some thousands of calls), so that the
   * first person to type is not the one who warms it (docs/performance.md#the-first-keys).
   */
  static final int JIT_KEYS = 1000;

  private static final Duration BOUND = Duration.ofSeconds(5);

  private NodeWarmup() {}

  /**
   * Starts {@link #run(int)} on a thread of a thread group of its own, so that its log lines can be
   * told from the serving node's: while it runs, {@code System.err} (where slf4j-simple writes,
   * looking it up at each line) drops what threads of that group write (the throwaway node's own
   * threads are started from it and join it). When it ends, {@code out} gets one line: how long it
   * took, or why it failed. Join the thread to wait for it.
   */
  static Thread quietly(int keys, PrintStream out) {
    ThreadGroup group = new ThreadGroup("hack-warmup");
    PrintStream err = System.err;
    PrintStream filtered =
        new PrintStream(
            new OutputStream() {
              @Override
              public void write(int b) throws IOException {
                if (!ours()) {
                  err.write(b);
                }
              }

              @Override
              public void write(byte[] b, int off, int len) {
                if (!ours()) {
                  err.write(b, off, len);
                }
              }

              @Override
              public void flush() {
                err.flush();
              }

              private boolean ours() {
                return group.parentOf(Thread.currentThread().getThreadGroup());
              }
            },
            true,
            UTF_8);
    System.setErr(filtered);
    Thread t =
        new Thread(
            group,
            () -> {
              long t0 = System.nanoTime();
              String result;
              try {
                run(keys);
                result =
                    "warmed up in "
                        + (System.nanoTime() - t0) / 1_000_000
                        + " ms (a throwaway node on loopback, "
                        + keys
                        + " keys typed into it, so that the first keys typed here are fast)";
              } catch (IOException | RuntimeException e) {
                result = "warm-up failed, no harm done: " + e;
              } finally {
                synchronized (System.class) {
                  if (System.err == filtered) {
                    System.setErr(err);
                  }
                }
              }
              out.println(result);
            },
            "node-warmup");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
    return t;
  }

  /** Runs it; any failure ends it early (it only makes a later start faster). */
  static void run() throws IOException {
    run(KEYS);
  }

  /** Runs it with {@code keys} keystrokes. */
  static void run(int keys) throws IOException {
    removeStale();
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
        // the throwaway node's own host key, read from its home: nothing to warn about
        ssh.setServerKeyVerifier(
            new RequiredServerKeyVerifier(KeyFiles.load(home.hostKey()).getPublic()));
        ssh.start();
        try (ClientSession s =
            ssh.connect("warmup", node.sshAddress()).verify(BOUND).getClientSession()) {
          s.addPublicKeyIdentity(client);
          s.auth().verify(BOUND);
          exec(s, "ls --json");
          exec(s, "new --name w -- sh -c 'stty raw -echo; exec cat'");
          type(s, "attach w", keys);
          exec(s, "stop w");
          exec(s, "rm w");
        }
      } finally {
        node.close();
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** Temp dirs of warm-ups that were killed (a node stopped while it warmed up), an hour on. */
  private static void removeStale() {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long hourAgo = System.currentTimeMillis() - 3_600_000L;
    try (Stream<Path> old = Files.list(tmp)) {
      // only this user's: root must not clear another user's temp dirs
      java.nio.file.attribute.UserPrincipal me =
          tmp.getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByName(System.getProperty("user.name"));
      old.filter(p -> p.getFileName().toString().startsWith("hack-warmup"))
          .filter(
              p -> {
                try {
                  return Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                      && me.equals(Files.getOwner(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                      && Files.getLastModifiedTime(p).toMillis() < hourAgo;
                } catch (IOException e) {
                  return false;
                }
              })
          .forEach(NodeWarmup::deleteTree);
    } catch (IOException | RuntimeException e) {
      // a leftover costs a few KiB; never a reason to fail
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // another user's, or going away already
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

  /** Attaches with a PTY and types {@code count} keys, each after the last one's echo. */
  private static void type(ClientSession s, String command, int count) throws IOException {
    try (ChannelExec ch = s.createExecChannel(command)) {
      ch.setUsePty(true);
      ch.setPtyType("xterm-256color");
      ch.open().verify(BOUND);
      OutputStream keys = ch.getInvertedIn();
      InputStream screen = ch.getInvertedOut();
      byte[] buf = new byte[8192];
      for (int i = 0; i < count; i++) {
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
