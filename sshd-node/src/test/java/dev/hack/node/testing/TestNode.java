package dev.hack.node.testing;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.Node;
import dev.hack.node.api.ChannelApp;
import dev.hack.node.ssh.NodeSshServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;

/**
 * A real node on loopback port 0 in a temp {@code HACK_HOME}, with its own tmux server socket and a
 * client key that is authorized to log in. Shared by every module's tests.
 */
public final class TestNode implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final HackHome home;
  private final Path tmuxSocket;
  private final Path clientKey;
  private final KeyPair clientPair;
  private final List<String> warnings = new CopyOnWriteArrayList<>();
  private final Duration keepAlive;
  private int gatewayPort = -1;
  private ChannelApp.Factory shellApp;
  private NodeSshServer.Limits sshLimits = NodeSshServer.Limits.DEFAULTS;
  private Node node;
  private SshClient client;

  private TestNode(Path dir, Duration keepAlive) throws IOException {
    this.home = HackHome.at(dir.resolve("home"));
    Path tmuxDir = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux");
    this.tmuxSocket = tmuxDir.resolve("s");
    this.clientKey = dir.resolve("client").resolve("id_ed25519");
    this.clientPair = KeyFiles.loadOrCreate(clientKey, "test client");
    this.keepAlive = keepAlive;
    new AuthorizedKeys(home.authorizedKeys(), w -> {})
        .authorize(Files.readString(KeyFiles.publicKeyPath(clientKey)));
  }

  /** Starts a node in {@code dir} (a test's temp dir). */
  public static TestNode start(Path dir) throws IOException {
    return start(dir, Duration.ofSeconds(15));
  }

  public static TestNode start(Path dir, Duration keepAlive) throws IOException {
    TestNode t = new TestNode(dir, keepAlive);
    t.boot();
    return t;
  }

  /** Starts a node in {@code dir} with its gateway on a free loopback port. */
  public static TestNode withGateway(Path dir) throws IOException {
    TestNode t = new TestNode(dir, Duration.ofSeconds(15));
    t.gatewayPort = 0;
    t.boot();
    return t;
  }

  /** Starts a node in {@code dir} that serves {@code app} to a bare {@code ssh -t}. */
  public static TestNode withShellApp(Path dir, ChannelApp.Factory app) throws IOException {
    TestNode t = new TestNode(dir, Duration.ofSeconds(15));
    t.shellApp = app;
    t.boot();
    return t;
  }

  /**
   * Starts a node in {@code dir} with its gateway, serving {@code app} to a bare {@code ssh -t}.
   */
  public static TestNode withGatewayAndShellApp(Path dir, ChannelApp.Factory app)
      throws IOException {
    TestNode t = new TestNode(dir, Duration.ofSeconds(15));
    t.gatewayPort = 0;
    t.shellApp = app;
    t.boot();
    return t;
  }

  /** Starts a node in {@code dir} whose SSH server has these limits. */
  public static TestNode withSshLimits(Path dir, NodeSshServer.Limits limits) throws IOException {
    TestNode t = new TestNode(dir, Duration.ofSeconds(15));
    t.sshLimits = limits;
    t.boot();
    return t;
  }

  private void boot() throws IOException {
    node =
        Node.start(
            new Node.Config(
                home,
                "test",
                "127.0.0.1",
                0,
                null,
                gatewayPort,
                tmuxSocket,
                Duration.ofDays(7),
                new NodeSshServer.Settings(keepAlive, 3, shellApp).withLimits(sshLimits)),
            warnings::add);
  }

  /** Stops the node (PTY sessions become lost, tmux keeps running) and starts it again. */
  public void restart() throws IOException {
    node.close();
    boot();
  }

  public Node node() {
    return node;
  }

  public HackHome home() {
    return home;
  }

  public Path tmuxSocket() {
    return tmuxSocket;
  }

  public Path clientKey() {
    return clientKey;
  }

  public KeyPair clientPair() {
    return clientPair;
  }

  public int port() {
    return node.sshAddress().getPort();
  }

  public List<String> warnings() {
    return warnings;
  }

  /** What a command printed and how it exited. */
  public record Result(int exit, String out, String err) {}

  /** Runs {@code command} with MINA's SSH client, no PTY. */
  public Result mina(String command) throws IOException {
    try (ClientSession s = minaSession()) {
      return exec(s, command);
    }
  }

  public ClientSession minaSession() throws IOException {
    return minaSession(clientPair);
  }

  public ClientSession minaSession(KeyPair identity) throws IOException {
    if (client == null) {
      client = SshClient.setUpDefaultClient();
      client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
      client.start();
    }
    ClientSession s = client.connect("tester", "127.0.0.1", port()).verify(TIMEOUT).getSession();
    if (identity != null) {
      s.addPublicKeyIdentity(identity);
    }
    s.auth().verify(TIMEOUT);
    return s;
  }

  public static Result exec(ClientSession s, String command) throws IOException {
    try (ChannelExec ch = s.createExecChannel(command)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      ch.setOut(out);
      ch.setErr(err);
      ch.open().verify(TIMEOUT);
      ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TIMEOUT);
      Integer code = ch.getExitStatus();
      return new Result(
          code == null ? -1 : code,
          out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    }
  }

  /** The OpenSSH client's argv for this node, ready for a remote command. */
  public List<String> sshArgv(String... extra) {
    return sshArgvWithKey(clientKey, extra);
  }

  /** The OpenSSH client's argv using {@code key} as its only identity. */
  public List<String> sshArgvWithKey(Path key, String... extra) {
    return sshArgv(key, port(), extra);
  }

  /**
   * The OpenSSH client's argv for any node on loopback: {@code key} as the only identity, no config
   * files, no host key prompts; {@code extra} follows (options, host, command).
   */
  public static List<String> sshArgv(Path key, int port, String... extra) {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            key.toString(),
            "-p",
            String.valueOf(port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "LogLevel=ERROR"));
    cmd.addAll(List.of(extra));
    return cmd;
  }

  /** Runs the OpenSSH client with {@code args} (options, then "127.0.0.1", then the command). */
  public Result ssh(String... args) throws IOException, InterruptedException {
    return run(sshArgv(args));
  }

  /** Runs the OpenSSH client with {@code key} as its only identity. */
  public Result sshWithKey(Path key, String... args) throws IOException, InterruptedException {
    return run(sshArgvWithKey(key, args));
  }

  /**
   * Runs any client program ({@code cmd}, stdin from /dev/null) within {@link #TIMEOUT}; for
   * environment variables, start {@code cmd} with {@code env NAME=VALUE}.
   */
  public static Result run(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    var out = p.getInputStream();
    var err = p.getErrorStream();
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    Thread t = new Thread(() -> copy(err, e), "ssh-stderr");
    t.start();
    copy(out, o);
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("ssh did not finish: " + cmd);
    }
    t.join(5000);
    return new Result(
        p.exitValue(), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
  }

  private static void copy(java.io.InputStream in, ByteArrayOutputStream out) {
    try {
      in.transferTo(out);
    } catch (IOException ignored) {
      // the process ended; what was read is what there is
    }
  }

  /**
   * Makes {@code peer} a peer of this node under {@code name}, as {@code hack node pair} does on
   * each side: registered with its id and host key, and its node let in.
   */
  public void peerAdd(String name, TestNode peer) throws IOException {
    Result who = peer.mina("peer whoami");
    if (who.exit() != 0) {
      throw new IOException("peer whoami: " + who.err());
    }
    com.google.gson.JsonObject id =
        com.google.gson.JsonParser.parseString(who.out()).getAsJsonObject();
    Result r =
        mina(
            dev.hack.node.client.CommandLines.join(
                List.of(
                    "peer",
                    "add",
                    name,
                    "ssh://127.0.0.1:" + peer.port(),
                    "--id",
                    id.get("id").getAsString(),
                    "--host-key",
                    id.get("host_key").getAsString(),
                    "--authorize")));
    if (r.exit() != 0 || !r.out().contains("its node may log in here")) {
      throw new IOException("peer add: " + r.err());
    }
  }

  @Override
  public void close() throws IOException {
    if (client != null) {
      client.stop();
    }
    if (node != null) {
      node.close();
    }
    try {
      new ProcessBuilder("tmux", "-S", tmuxSocket.toString(), "kill-server")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
