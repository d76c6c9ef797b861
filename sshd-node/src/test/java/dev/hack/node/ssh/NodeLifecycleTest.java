package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.supervisor.Session;
import dev.hack.node.supervisor.SessionSpec;
import dev.hack.node.supervisor.SessionType;
import dev.hack.node.supervisor.Supervisor;
import dev.hack.node.supervisor.SupervisorConfig;
import dev.hack.node.testing.NodeProcess;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import dev.hack.node.testing.TmuxTerminal;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens around a node's life: a crash (SIGKILL of its JVM), dead clients, read-only
 * watchers, the client's environment, redraw of a full-screen program, and retention of ended
 * sessions. Real node, real OpenSSH and tmux throughout.
 */
class NodeLifecycleTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;

  /** Closed in reverse order after each test. */
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  private final List<Process> clients = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : clients) {
      if (p.isAlive()) {
        run("/bin/kill", "-CONT", String.valueOf(p.pid()));
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    Exception first = null;
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private <T extends AutoCloseable> T owned(T resource) {
    resources.push(resource);
    return resource;
  }

  private TmuxTerminal terminal(List<String> sshArgv, String... remote) throws IOException {
    List<String> argv = new ArrayList<>(sshArgv);
    argv.addAll(List.of(remote));
    return owned(TmuxTerminal.start(100, 30, argv));
  }

  private TestNode testNode(Duration keepAlive) throws IOException {
    return owned(TestNode.start(dir, keepAlive));
  }

  // ---- 1. crash ----

  @Test
  void nodeKilledWithSigkillKeepsTmuxSessionsAndMarksPtySessionsLost() throws Exception {
    HackHome home = HackHome.at(dir.resolve("home"));
    Path clientKey = dir.resolve("client").resolve("id_ed25519");
    KeyPair clientPair = KeyFiles.loadOrCreate(clientKey, "test client");
    new AuthorizedKeys(home.authorizedKeys(), w -> {})
        .authorize(Files.readString(KeyFiles.publicKeyPath(clientKey)));
    Path tmuxSocket = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
    owned((AutoCloseable) () -> killTmuxServer(tmuxSocket));
    SshClient mina = owned(SshClient.setUpDefaultClient());
    mina.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
    mina.start();

    NodeProcess first =
        owned(NodeProcess.start(home.root(), tmuxSocket, dir.resolve("node-1.log"), WAIT));
    Result t1 = exec(mina, clientPair, first, "new --type tmux --name t1 -- sh");
    assertThat(t1.exit()).as(t1.err()).isZero();
    Result p1 =
        exec(mina, clientPair, first, "new --name p1 -- sh -c 'echo pty-before; sleep 300'");
    assertThat(p1.exit()).as(p1.err()).isZero();
    Poll.until(
        WAIT,
        "p1's output in its log",
        () -> exec(mina, clientPair, first, "logs p1").out().contains("pty-before"));
    Result job = exec(mina, clientPair, first, "job start -- sh -c 'echo job-before; sleep 300'");
    assertThat(job.exit()).as(job.err()).isZero();
    String jobId = job.out().strip();
    Poll.until(
        WAIT,
        "the job running",
        () ->
            exec(mina, clientPair, first, "job show " + jobId + " --json")
                .out()
                .contains("\"running\""));

    // No shutdown hook runs: nothing marks p1 lost, nothing hangs its PTY up politely. What ends
    // p1's programs is the kernel: it closes the PTY master with the JVM, which hangs up the
    // terminal, and its session (sh and the sleep it started, one foreground process group) gets
    // SIGHUP. Observed with ps: both are gone within a second, left as zombies until init reaps
    // them, so nothing of p1 runs on after the node (not asserted here: it is the kernel's doing,
    // not the node's). tmux runs in a server of its own, which the node never owned.
    first.kill9();
    assertThat(first.isAlive()).isFalse();

    NodeProcess second =
        owned(NodeProcess.start(home.root(), tmuxSocket, dir.resolve("node-2.log"), WAIT));
    JsonArray list =
        JsonParser.parseString(exec(mina, clientPair, second, "ls --json").out()).getAsJsonArray();
    assertThat(field(list, "t1", "status")).as(list.toString()).isEqualTo("running");
    assertThat(field(list, "p1", "status")).as(list.toString()).isEqualTo("lost");
    assertThat(exec(mina, clientPair, second, "logs p1").out()).contains("pty-before");
    // a job that was running when the node died is failed, says why, and keeps its log
    JsonObject shown =
        JsonParser.parseString(
                exec(mina, clientPair, second, "job show " + jobId + " --json").out())
            .getAsJsonObject();
    assertThat(shown.toString()).contains("\"failed\"").contains("node stopped");
    assertThat(exec(mina, clientPair, second, "job logs " + jobId).out()).contains("job-before");

    TmuxTerminal t =
        terminal(sshArgv(clientKey, second.port(), "-tt", "127.0.0.1"), "attach", "t1");
    Poll.until(
        WAIT,
        "t1 attached",
        () ->
            field(
                    JsonParser.parseString(exec(mina, clientPair, second, "ls --json").out())
                        .getAsJsonArray(),
                    "t1",
                    "attached")
                .equals("1"));
    t.type("echo after-kill-$((2+3))");
    t.keys("Enter");
    t.waitFor("after-kill-5", WAIT);
  }

  // ---- 2. dead client ----

  @Test
  void aNodeThreadDyingOfAnErrorEndsTheNodeSayingWhyInsteadOfLeavingItHalfAlive() throws Exception {
    HackHome home = HackHome.at(dir.resolve("home"));
    Path tmuxSocket = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
    Path log = dir.resolve("node.log");
    NodeProcess node =
        owned(
            NodeProcess.start(
                home.root(),
                tmuxSocket,
                log,
                WAIT,
                List.of("-Dhack.test.threadDies=supervisor-poll")));
    int status = node.waitForExit(WAIT);
    assertThat(status).isEqualTo(dev.hack.node.NodeFailures.EXIT_STATUS);
    assertThat(node.log())
        .contains("node thread supervisor-poll died of java.lang.OutOfMemoryError")
        .contains("exits with status 70");
    // it ended through its shutdown: the running-node record is gone, so a new node may start
    assertThat(home.nodeFile()).doesNotExist();
  }

  @Test
  void deadClientIsDroppedByKeepalivesAndItsAttachmentFreed() throws Exception {
    // DESIGN.md: a dead client never blocks the session; here, its attachment must not stay
    // counted (and fed) forever either
    TestNode node = testNode(Duration.ofSeconds(1));
    assertThat(node.mina("new --name k1 -- cat").exit()).isZero();
    ProcessBuilder pb = new ProcessBuilder(node.sshArgv("-tt", "127.0.0.1", "attach", "k1"));
    pb.redirectInput(ProcessBuilder.Redirect.PIPE); // held open: the client never sends EOF
    pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process client = pb.start();
    clients.add(client);
    Thread drain = new Thread(() -> discard(client), "ssh-client-stdout-" + client.pid());
    drain.setDaemon(true);
    drain.start();
    Poll.until(WAIT, "k1 attached", () -> node.mina("ls --json").out().contains("\"attached\":1"));
    // a live client answers every keepalive: it is still attached after more than 3 intervals
    Thread.sleep(4_500);
    assertThat(node.mina("ls --json").out()).contains("\"attached\":1");

    // frozen, not dead: the TCP connection stays up and the kernel keeps ACKing, so only the
    // server's keepalives (1 s, 3 unanswered) can tell that nobody is there any more
    assertThat(run("/bin/kill", "-STOP", String.valueOf(client.pid()))).isZero();
    String ls =
        Poll.until(
            WAIT,
            "the frozen client to be dropped",
            () -> {
              String out = node.mina("ls --json").out();
              return out.contains("\"attached\":0") ? out : null;
            });
    assertThat(ls).contains("\"id\":\"k1\"").contains("\"status\":\"running\"");
    assertThat(node.node().supervisor().get("k1").isRunning()).isTrue();

    run("/bin/kill", "-CONT", String.valueOf(client.pid()));
    client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
  }

  @Test
  void aClientOnASlowLinkThatKeepsTypingIsNotDroppedByKeepalives() throws Exception {
    // a phone on a 20 KB/s link: behind the output in flight, a keepalive takes far longer than
    // the interval to reach the client and its answer comes late, but the keys the person types
    // keep arriving. As OpenSSH's server does, any packet from the client proves it is there (the
    // node used to count keepalive answers only, and dropped such a client after 3 intervals)
    TestNode node = testNode(Duration.ofSeconds(1)); // a busy machine may hold a key back 1 s
    assertThat(node.mina("new --name y1 -- yes").exit()).isZero();
    try (SlowLink link = new SlowLink(node.port(), 2048, 100)) {
      ProcessBuilder pb =
          new ProcessBuilder(
              TestNode.sshArgv(node.clientKey(), link.port(), "-tt", "127.0.0.1", "attach", "y1"));
      pb.redirectInput(ProcessBuilder.Redirect.PIPE);
      pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      Process client = pb.start();
      clients.add(client);
      java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
      Thread reader =
          new Thread(
              () -> {
                byte[] buf = new byte[8192];
                try (var in = client.getInputStream()) {
                  int n;
                  while ((n = in.read(buf)) > 0) {
                    read.addAndGet(n);
                  }
                } catch (IOException e) {
                  // the client ended
                }
              },
              "client-stdout");
      reader.setDaemon(true);
      reader.start();
      Thread typist =
          new Thread(
              () -> {
                try (var keys = client.getOutputStream()) {
                  while (true) {
                    keys.write('x');
                    keys.flush();
                    Thread.sleep(200);
                  }
                } catch (IOException | InterruptedException e) {
                  // the client ended
                }
              },
              "client-keys");
      typist.setDaemon(true);
      typist.start();
      Poll.until(
          WAIT, "y1 attached", () -> node.mina("ls --json").out().contains("\"attached\":1"));
      Thread.sleep(8_000); // 8 keepalive intervals: 3 unanswered in a row would drop it
      assertThat(client.isAlive()).as("the client on the slow link is still connected").isTrue();
      assertThat(node.mina("ls --json").out()).contains("\"attached\":1");
      long before = read.get();
      Poll.until(WAIT, "it still receives", () -> read.get() > before);
      client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  /**
   * A TCP proxy on loopback whose way back to the client carries {@code chunk} bytes every {@code
   * pauseMs}: a slow mobile link. The way to the server is not slowed.
   */
  private static final class SlowLink implements AutoCloseable {
    private final java.net.ServerSocket server =
        new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress());
    private final List<java.net.Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

    SlowLink(int target, int chunk, long pauseMs) throws IOException {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    java.net.Socket c = server.accept();
                    java.net.Socket s =
                        new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), target);
                    sockets.add(c);
                    sockets.add(s);
                    pipe(c, s, 1 << 16, 0);
                    pipe(s, c, chunk, pauseMs);
                  }
                } catch (IOException e) {
                  // closed
                }
              },
              "slow-link");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private static void pipe(java.net.Socket from, java.net.Socket to, int chunk, long pauseMs) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[chunk];
                try (var in = from.getInputStream();
                    var out = to.getOutputStream()) {
                  int n;
                  while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    if (pauseMs > 0) {
                      Thread.sleep(pauseMs);
                    }
                  }
                } catch (IOException | InterruptedException e) {
                  // one side closed
                }
                try {
                  from.close();
                  to.close();
                } catch (IOException e) {
                  // closing anyway
                }
              },
              "slow-link-pipe");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (java.net.Socket s : sockets) {
        s.close();
      }
    }
  }

  // ---- 3. read-only ----

  @Test
  void readOnlyAttachIgnoresInput() throws Exception {
    TestNode node = testNode(Duration.ofSeconds(15));
    assertThat(node.mina("new --name ro -- cat").exit()).isZero();
    List<String> ssh = node.sshArgv("-tt", "127.0.0.1");

    TmuxTerminal watcher = terminal(ssh, "attach", "--read-only", "ro");
    Poll.until(
        WAIT, "watcher attached", () -> node.mina("ls --json").out().contains("\"attached\":1"));
    watcher.type("should-not-arrive");
    watcher.keys("Enter");

    TmuxTerminal writer = terminal(ssh, "attach", "ro");
    Poll.until(
        WAIT, "writer attached", () -> node.mina("ls --json").out().contains("\"attached\":2"));
    writer.type("did-arrive");
    writer.keys("Enter");

    String log =
        Poll.until(
            WAIT,
            "did-arrive in the log",
            () -> {
              String out = node.mina("logs ro").out();
              return out.contains("did-arrive") ? out : null;
            });
    assertThat(log).doesNotContain("should-not-arrive");
    // the watcher still sees what others type, and never its own keys
    String seen = watcher.waitFor("did-arrive", WAIT);
    assertThat(seen).doesNotContain("should-not-arrive");
  }

  // ---- 4. environment ----

  @Test
  void clientLocaleAndTermReachTheSession() throws Exception {
    TestNode node = testNode(Duration.ofSeconds(15));
    Result created =
        node.ssh(
            // one SetEnv with both: OpenSSH keeps only the first SetEnv option it is given
            "-o",
            "SetEnv=LANG=C.UTF-8 LC_TIME=C",
            "127.0.0.1",
            "new --name env1 -- sh -c 'echo \"T=$TERM L=$LANG C=$LC_TIME S=$HACK_SESSION_ID\";"
                + " sleep 60'");
    assertThat(created.exit()).as(created.err()).isZero();
    String log =
        Poll.until(
            WAIT,
            "the environment line",
            () -> {
              String out = node.mina("logs env1").out();
              return out.contains("T=") ? out : null;
            });
    assertThat(log).contains("T=xterm-256color L=C.UTF-8 C=C S=env1");
  }

  // ---- 5. redraw ----

  @Test
  void reattachRedrawsVimScreen() throws Exception {
    Assumptions.assumeTrue(onPath("vim"), "vim is not installed");
    TestNode node = testNode(Duration.ofSeconds(15));
    Path file = dir.resolve("numbers.txt");
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= 100; i++) {
      text.append(String.format("numbered-line-%03d%n", i));
    }
    Files.writeString(file, text);
    Result created = node.mina("new --name vi -- vim -u NONE -N " + file);
    assertThat(created.exit()).as(created.err()).isZero();
    List<String> ssh = node.sshArgv("-tt", "127.0.0.1");

    TmuxTerminal t = terminal(ssh, "attach", "vi");
    t.waitFor("numbered-line-001", WAIT);
    t.type("50G");
    // vim scrolls so that line 50 is on screen: wait until the whole page (29 text rows of 30)
    // is drawn, not just the first rows of it
    List<String> visible =
        Poll.until(
            WAIT,
            "a full page around line 50",
            () -> {
              List<String> lines = numberedLines(t.screen());
              return lines.size() == 29 && lines.contains("numbered-line-050") ? lines : null;
            });
    assertThat(visible).doesNotContain("numbered-line-001");
    t.keys("C-\\");
    t.waitFor("[detached from vi]", WAIT);
    Poll.until(WAIT, "ssh to exit", t::exited);

    TmuxTerminal again = terminal(ssh, "attach", "vi");
    again.waitFor(visible.get(0), WAIT);
    try {
      Poll.until(WAIT, "the same page", () -> numberedLines(again.screen()).equals(visible));
    } catch (AssertionError e) {
      // the assertion below says what was drawn instead
    }
    assertThat(numberedLines(again.screen())).isEqualTo(visible);
    again.type(":q!");
    again.keys("Enter");
    again.waitFor("[session vi exited with code 0]", WAIT);
  }

  private static List<String> numberedLines(String screen) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("numbered-line-\\d{3}").matcher(screen);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  // ---- 6. retention ----

  @Test
  void sessionsEndedLongerAgoThanRetentionAreRemovedOnStart() throws Exception {
    Path sessions = dir.resolve("sessions");
    Path tmuxSocket = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux").resolve("s");
    SupervisorConfig zero = SupervisorConfig.defaults().withTmuxSocket(tmuxSocket);
    zero = zero.withRetention(Duration.ZERO);
    SupervisorConfig week = SupervisorConfig.defaults().withTmuxSocket(tmuxSocket);

    try (Supervisor s = new Supervisor(sessions, zero)) {
      runToExit(s, "old");
    }
    assertThat(sessions.resolve("old")).isDirectory();
    try (Supervisor s = new Supervisor(sessions, zero)) {
      assertThat(s.list()).extracting(SessionInfo::id).doesNotContain("old");
    }
    assertThat(sessions.resolve("old")).doesNotExist();

    try (Supervisor s = new Supervisor(sessions, week)) {
      runToExit(s, "recent");
    }
    try (Supervisor s = new Supervisor(sessions, week)) {
      assertThat(s.list())
          .filteredOn(i -> i.id().equals("recent"))
          .extracting(SessionInfo::status)
          .containsExactly("exited");
    }
    assertThat(sessions.resolve("recent").resolve("output.log")).exists();
  }

  private static void runToExit(Supervisor s, String id) throws Exception {
    Session session =
        s.create(
            new SessionSpec(
                id,
                SessionType.PROCESS,
                List.of("sh", "-c", "exit 0"),
                null,
                null,
                Map.of(),
                null,
                null));
    Poll.until(WAIT, id + " to exit", () -> "exited".equals(session.info().status()));
    assertThat(session.info().exitCode()).isZero();
  }

  // ---- clients for a node in another JVM ----

  private static Result exec(SshClient mina, KeyPair identity, NodeProcess node, String command)
      throws IOException {
    try (ClientSession s =
        mina.connect("tester", node.host(), node.port()).verify(TestNode.TIMEOUT).getSession()) {
      s.addPublicKeyIdentity(identity);
      s.auth().verify(TestNode.TIMEOUT);
      return TestNode.exec(s, command);
    }
  }

  /** The same OpenSSH argv as {@link TestNode#sshArgv}, for a node that is not a TestNode. */
  private static List<String> sshArgv(Path key, int port, String... extra) {
    return TestNode.sshArgv(key, port, extra);
  }

  /** The value of {@code name} in the session {@code id} of an {@code ls --json} array. */
  private static String field(JsonArray list, String id, String name) {
    for (JsonElement e : list) {
      JsonObject o = e.getAsJsonObject();
      if (o.get("id").getAsString().equals(id)) {
        JsonElement v = o.get(name);
        return v == null || v.isJsonNull() ? null : v.getAsString();
      }
    }
    throw new AssertionError("no session " + id + " in " + list);
  }

  private static void killTmuxServer(Path socket) throws Exception {
    run("tmux", "-S", socket.toString(), "kill-server");
  }

  private static int run(String... argv) throws Exception {
    Process p =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", argv) + " did not finish");
    }
    return p.exitValue();
  }

  private static void discard(Process p) {
    try {
      p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    } catch (IOException e) {
      // the client ended; nothing more to read
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
