package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.KeyFiles;
import dev.hack.node.client.NodeClient;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import dev.hack.node.testing.TmuxTerminal;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.mac.Mac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every stock SSH client connects (issue 11). OpenSSH's {@code ssh}, Dropbear's {@code dbclient},
 * PuTTY's {@code plink} and a libssh2 client (what Blink Shell builds on) each run {@code ls},
 * {@code new}, {@code send} and {@code logs} against a real node, then attach in a real terminal
 * (tmux) and detach. A client whose binary is missing is skipped; {@code .ci/run} installs them
 * all. Each test also checks the cipher the client chose, from the audit log's login line.
 *
 * <p>Before the node offered ChaCha20-Poly1305 and AES-CTR (it had only AES-GCM), dbclient failed
 * with "No matching algo enc" and libssh2 1.10 with "Unable to exchange encryption keys".
 */
class ClientCompatTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  TestNode node;
  final List<TmuxTerminal> terminals = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    for (TmuxTerminal t : terminals) {
      t.close();
    }
    node.close();
  }

  /** How a client runs one command line on the node (the node splits it), with or without a pty. */
  @FunctionalInterface
  interface Client {
    List<String> argv(boolean pty, String command);
  }

  @ParameterizedTest(name = "ssh -c {0}")
  @CsvSource({
    // OpenSSH's own order (no -c) puts ChaCha20-Poly1305 first
    "'', chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com, aes128-gcm@openssh.com",
    "chacha20-poly1305@openssh.com, chacha20-poly1305@openssh.com",
    "aes128-ctr, aes128-ctr hmac-sha2-256-etm@openssh.com",
    "aes256-ctr, aes256-ctr hmac-sha2-256-etm@openssh.com",
  })
  void openSshRunsTheCommandsAndAttachesWithEachCipher(String cipher, String negotiated)
      throws Exception {
    assumeTrue(onPath("ssh"), "no ssh");
    List<String> options = cipher.isEmpty() ? List.of() : List.of("-c", cipher);
    Client ssh =
        (pty, command) -> {
          List<String> argv = new ArrayList<>(options);
          argv.addAll(pty ? List.of("-tt", "127.0.0.1", command) : List.of("127.0.0.1", command));
          return node.sshArgv(argv.toArray(String[]::new));
        };
    runsTheCommandsAndAttaches(ssh);
    assertThat(cipherOf("OpenSSH")).isEqualTo(negotiated);
  }

  /** Megabytes through the JDK-backed ChaCha20-Poly1305, with a new key every megabyte. */
  @Test
  void chachaCarriesBulkOutputAcrossRekeys() throws Exception {
    assumeTrue(onPath("ssh"), "no ssh");
    int size = 4_000_000;
    Result made =
        node.ssh(
            "127.0.0.1", "new --name big -- sh -c 'yes 0123456789abcdef | head -c " + size + "'");
    assertThat(made.exit()).as(made.err()).isZero();
    Poll.until(WAIT, "big to exit", () -> node.mina("ls").out().contains("exited(0)"));
    Result logs =
        node.ssh(
            "-v",
            "-c",
            "chacha20-poly1305@openssh.com",
            "-o",
            "RekeyLimit=1M",
            "127.0.0.1",
            "logs big");
    assertThat(logs.exit()).as(logs.err()).isZero();
    assertThat(logs.err().split("SSH2_MSG_NEWKEYS received", -1).length - 1)
        .as("key exchanges")
        .isGreaterThan(2);
    String expected = "0123456789abcdef\n".repeat(size / 17 + 1).substring(0, size);
    // the terminal turned each \n into \r\n
    assertThat(logs.out().replace("\r\n", "\n").equals(expected)).isTrue();
  }

  @Test
  void dropbearDbclientRunsTheCommandsAndAttaches() throws Exception {
    assumeTrue(onPath("dbclient") && onPath("dropbearconvert"), "no dbclient (dropbear-bin)");
    Path key = dir.resolve("id_dropbear");
    Result converted =
        TestNode.run(
            List.of(
                "dropbearconvert",
                "openssh",
                "dropbear",
                node.clientKey().toString(),
                key.toString()));
    assertThat(converted.exit()).as(converted.err()).isZero();
    Path home = Files.createDirectories(dir.resolve("dbclient-home"));
    // -y -y: no host key check, and no ~/.ssh/known_hosts written
    Client dbclient =
        (pty, command) ->
            List.of(
                "env",
                "-u",
                "SSH_AUTH_SOCK",
                "HOME=" + home,
                "dbclient",
                "-y",
                "-y",
                "-i",
                key.toString(),
                "-p",
                String.valueOf(node.port()),
                pty ? "-t" : "-T",
                "tester@127.0.0.1",
                command);
    runsTheCommandsAndAttaches(dbclient);
    assertThat(cipherOf("dropbear")).isIn(offeredCiphers());
  }

  @Test
  void puttyPlinkRunsTheCommandsAndAttaches() throws Exception {
    assumeTrue(onPath("plink") && onPath("puttygen"), "no plink (putty-tools)");
    // plink and puttygen write a random seed to ~/.putty, found through the password file, not
    // HOME; PUTTYDIR moves it
    Path puttyDir = Files.createDirectories(dir.resolve("putty"));
    Path key = dir.resolve("id.ppk");
    Result converted =
        TestNode.run(
            List.of(
                "env",
                "PUTTYDIR=" + puttyDir,
                "puttygen",
                node.clientKey().toString(),
                "-O",
                "private",
                "-o",
                key.toString()));
    assertThat(converted.exit()).as(converted.err()).isZero();
    String hostKey = KeyFiles.fingerprint(KeyFiles.load(node.home().hostKey()).getPublic());
    Client plink =
        (pty, command) ->
            List.of(
                "env",
                "PUTTYDIR=" + puttyDir,
                "plink",
                "-ssh",
                "-batch",
                "-noagent",
                "-P",
                String.valueOf(node.port()),
                "-i",
                key.toString(),
                "-hostkey",
                hostKey,
                pty ? "-t" : "-T",
                "-l",
                "tester",
                "127.0.0.1",
                command);
    runsTheCommandsAndAttaches(plink);
    assertThat(cipherOf("PuTTY")).isIn(offeredCiphers());
  }

  @Test
  void libssh2ClientRunsTheCommandsAndAttaches() throws Exception {
    assumeTrue(
        onPath("cc") && Files.exists(Path.of("/usr/include/libssh2.h")),
        "no C compiler or no libssh2 headers (libssh2-1-dev)");
    Path source = dir.resolve("libssh2-client.c");
    try (InputStream in = getClass().getResourceAsStream("libssh2-client.c")) {
      Files.copy(in, source);
    }
    Path binary = dir.resolve("libssh2-client");
    Result built =
        TestNode.run(List.of("cc", "-o", binary.toString(), source.toString(), "-lssh2"));
    assertThat(built.exit()).as(built.err()).isZero();
    String key = node.clientKey().toString();
    String pub = KeyFiles.publicKeyPath(node.clientKey()).toString();
    Client libssh2 =
        (pty, command) -> {
          List<String> argv = new ArrayList<>(List.of(binary.toString()));
          if (pty) {
            argv.add("-t");
          }
          argv.addAll(List.of(String.valueOf(node.port()), "tester", key, pub, command));
          return argv;
        };
    runsTheCommandsAndAttaches(libssh2);
    assertThat(cipherOf("libssh2")).isIn(offeredCiphers());

    // the client saw the node's own host key
    Result ls = TestNode.run(libssh2.argv(false, "ls"));
    Matcher m = Pattern.compile("host key sha256 ([0-9a-f]{64})").matcher(ls.err());
    assertThat(m.find()).as(ls.err()).isTrue();
    String fingerprint = KeyFiles.fingerprint(KeyFiles.load(node.home().hostKey()).getPublic());
    assertThat(m.group(1))
        .isEqualTo(
            HexFormat.of()
                .formatHex(Base64.getDecoder().decode(fingerprint.substring("SHA256:".length()))));
  }

  /** Every cipher and MAC the node offers works on its own; nothing weaker gets through. */
  @Test
  void eachOfferedCipherAndMacConnectsAndWeakOnesAreRefused() throws Exception {
    for (NamedFactory<Cipher> c : NodeSshServer.CIPHERS) {
      Result r = minaWith(List.of(c), NodeSshServer.MACS, "ls");
      assertThat(r.exit()).as(c.getName() + ": " + r.err()).isZero();
    }
    for (NamedFactory<Mac> mac : NodeSshServer.MACS) {
      Result r = minaWith(List.of(BuiltinCiphers.aes128ctr), List.of(mac), "ls");
      assertThat(r.exit()).as(mac.getName() + ": " + r.err()).isZero();
    }
    assertThat(NamedResource.getNames(NodeSshServer.CIPHERS))
        .contains("chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-ctr");
    for (NamedFactory<Cipher> weak :
        List.<NamedFactory<Cipher>>of(
            BuiltinCiphers.aes128cbc, BuiltinCiphers.tripledescbc, BuiltinCiphers.arcfour256)) {
      assertThatThrownBy(() -> minaWith(List.of(weak), NodeSshServer.MACS, "ls"))
          .as(weak.getName())
          .isInstanceOf(IOException.class);
    }
    assertThatThrownBy(
            () -> minaWith(List.of(BuiltinCiphers.aes128ctr), List.of(BuiltinMacs.hmacsha1), "ls"))
        .isInstanceOf(IOException.class);
  }

  /** The node's own client (the CLI, peers, hubs) asks for AES-GCM first: the JDK's fast one. */
  @Test
  void theNodesOwnClientPicksAesGcm() throws Exception {
    try (NodeClient c =
        NodeClient.connect(
            new NodeClient.Target("test", "127.0.0.1", node.port()),
            node.clientPair(),
            AcceptAllServerKeyVerifier.INSTANCE,
            TestNode.TIMEOUT)) {
      assertThat(c.run("ls", TestNode.TIMEOUT).exit()).isZero();
    }
    assertThat(cipherOf("APACHE-SSHD")).isEqualTo("aes128-gcm@openssh.com");
  }

  /** ls, new, send and logs without a pty, then attach on a pty, type, see the echo, detach. */
  private void runsTheCommandsAndAttaches(Client client) throws Exception {
    Result ls = TestNode.run(client.argv(false, "ls"));
    assertThat(ls.exit()).as(ls.err()).isZero();
    assertThat(ls.out()).contains("no sessions");
    Result made = TestNode.run(client.argv(false, "new --name compat -- sh"));
    assertThat(made.exit()).as(made.err()).isZero();
    assertThat(made.out().strip()).isEqualTo("compat");
    Result sent = TestNode.run(client.argv(false, "send compat 'echo sent-$((2+3))\\n'"));
    assertThat(sent.exit()).as(sent.err()).isZero();
    Poll.until(
        WAIT,
        "the sent line's output in the log",
        () -> TestNode.run(client.argv(false, "logs compat")).out().contains("sent-5"));
    Result listed = TestNode.run(client.argv(false, "ls"));
    assertThat(listed.out()).contains("compat").contains("running");
    Result missing = TestNode.run(client.argv(false, "logs no-such"));
    assertThat(missing.exit()).as("exit status through the client").isNotZero();

    TmuxTerminal t = TmuxTerminal.start(100, 30, client.argv(true, "attach compat"));
    terminals.add(t);
    t.waitFor("sent-5", WAIT);
    t.type("echo typed-$((6*7))");
    t.keys("Enter");
    t.waitFor("typed-42", WAIT);
    t.keys("C-\\");
    t.waitFor("[detached from compat]", WAIT);
    Poll.until(WAIT, "the client to exit", t::exited);
    Poll.until(
        WAIT, "nobody attached", () -> node.mina("ls --json").out().contains("\"attached\":0"));
  }

  /** The cipher of the last login whose client version contains {@code software}. */
  private String cipherOf(String software) throws Exception {
    Path audit = node.home().gatewayDir().resolve("audit.jsonl");
    return Poll.until(
        WAIT,
        "a login by " + software + " in the audit log",
        () -> {
          String cipher = null;
          for (String line : Files.exists(audit) ? Files.readAllLines(audit) : List.<String>of()) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.get("event").getAsString().equals("login")
                && o.has("client")
                && o.get("client").getAsString().contains(software)) {
              cipher = o.get("cipher").getAsString();
            }
          }
          return cipher;
        });
  }

  /** What the audit log can show for a client that picks from the node's offer. */
  private static List<String> offeredCiphers() {
    List<String> out = new ArrayList<>();
    for (NamedFactory<Cipher> c : NodeSshServer.CIPHERS) {
      BuiltinCiphers b = BuiltinCiphers.fromFactoryName(c.getName());
      if (b != null && b.getAuthenticationTagSize() > 0) {
        out.add(c.getName());
      } else {
        for (NamedFactory<Mac> mac : NodeSshServer.MACS) {
          out.add(c.getName() + " " + mac.getName());
        }
      }
    }
    return out;
  }

  private Result minaWith(
      List<NamedFactory<Cipher>> ciphers, List<NamedFactory<Mac>> macs, String command)
      throws IOException {
    SshClient client = SshClient.setUpDefaultClient();
    client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
    client.setCipherFactories(ciphers);
    client.setMacFactories(macs);
    client.start();
    try (ClientSession s =
        client.connect("tester", "127.0.0.1", node.port()).verify(TestNode.TIMEOUT).getSession()) {
      s.addPublicKeyIdentity(node.clientPair());
      s.auth().verify(TestNode.TIMEOUT);
      return TestNode.exec(s, command);
    } finally {
      client.stop();
    }
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
