package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.cli.CliNodes.Run;
import dev.hack.node.testing.Poll;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast path as a user meets it: the packaged jar run in its own process against a real node
 * started with {@code hack node serve} from the same {@code HACK_HOME}. Every run sets {@code
 * HACK_FASTPATH_DEBUG=1}, whose first stderr line says which path the command took (and, when the
 * node served it, the node's pid); the rest of the output is compared byte for byte with the same
 * command run in-process ({@code HACK_NO_DAEMON=1}).
 */
class FastPathIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String SERVED = "hack: fast path: served by the node (pid ";
  private static final String NOT_USED = "hack: fast path: not used: ";

  @TempDir Path dir;
  CliNodes cli;
  Path me;

  @BeforeEach
  void setUp() {
    cli = new CliNodes(dir);
    me = dir.resolve("me");
  }

  @AfterEach
  void stop() throws Exception {
    cli.close();
  }

  /** A run whose first stderr line is the fast path's note, kept apart from the rest. */
  record Traced(String note, Run run) {}

  private Traced hack(Map<String, String> extraEnv, String... args) throws Exception {
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("HACK_FASTPATH_DEBUG", "1");
    Run r = cli.hackWithEnv(me, env, args);
    int nl = r.err().indexOf('\n');
    assertThat(nl).as("stderr of %s: %s", List.of(args), r.err()).isPositive();
    String note = r.err().substring(0, nl);
    assertThat(note).startsWith("hack: fast path: ");
    return new Traced(note, new Run(r.exit(), r.out(), r.err().substring(nl + 1)));
  }

  /** Runs {@code args} through the node and in-process; checks both printed the same bytes. */
  private Run sameBothWays(Map<String, String> env, String... args) throws Exception {
    Traced fast = hack(env, args);
    assertThat(fast.note()).isEqualTo(SERVED + cli.nodes.get(0).pid() + ")");
    Map<String, String> off = new HashMap<>(env);
    off.put("HACK_NO_DAEMON", "1");
    Traced slow = hack(off, args);
    assertThat(slow.note()).isEqualTo(NOT_USED + "off (HACK_NO_DAEMON)");
    assertThat(fast.run()).as("%s", List.of(args)).isEqualTo(slow.run());
    return fast.run();
  }

  private Run sameBothWays(String... args) throws Exception {
    return sameBothWays(Map.of(), args);
  }

  private Path socket() {
    return me.resolve("run/cli.sock");
  }

  @Test
  void listingsFromTheNodeAreByteForByteWhatTheCliPrintsItself() throws Exception {
    cli.serve(me, "alpha");
    assertThat(socket()).exists();
    assertThat(Files.getPosixFilePermissions(socket().getParent()))
        .containsExactlyInAnyOrderElementsOf(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(socket()))
        .containsExactlyInAnyOrderElementsOf(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

    // empty, then with sessions (JSON carries no clock-dependent text, so it is compared whole)
    assertThat(sameBothWays("session", "list").out()).startsWith("no sessions");
    assertThat(sameBothWays("session", "list", "--json").out()).isEqualTo("[]\n");
    Run started = cli.hack(me, "session", "start", "--name", "a1", "--", "cat");
    assertThat(started.exit()).as(started.err()).isZero();
    assertThat(cli.hack(me, "session", "start", "--name", "a2", "--", "sleep", "600").exit())
        .isZero();
    Run json = sameBothWays("session", "list", "--json");
    assertThat(json.exit()).isZero();
    assertThat(json.out()).contains("\"id\":\"a1\"").contains("\"id\":\"a2\"");
    sameBothWays("session", "ls", "--json", "--node", "alpha", "--timeout", "15s");
    sameBothWays("session", "list", "--all", "--json");

    // the table has an AGE column that ticks each second: compare it with the ages masked
    Traced table = hack(Map.of(), "session", "list");
    Traced tableOff = hack(Map.of("HACK_NO_DAEMON", "1"), "session", "list");
    assertThat(table.note()).startsWith(SERVED);
    assertThat(table.run().out()).contains("SESSION  NODE").containsPattern("a1 +alpha +process");
    assertThat(maskAges(table.run().out())).isEqualTo(maskAges(tableOff.run().out()));
    assertThat(table.run().err()).isEqualTo(tableOff.run().err());
    assertThat(table.run().exit()).isEqualTo(tableOff.run().exit()).isZero();

    // errors: an unknown node is refused the same way, on stderr, with the same status
    Run unknown = sameBothWays("session", "list", "--node", "nosuch");
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.out()).isEmpty();
    assertThat(unknown.err()).isEqualTo("hack: no node named nosuch; see: hack node list\n");
    Run badTimeout = sameBothWays("session", "list", "--timeout", "soon");
    assertThat(badTimeout.exit()).isEqualTo(2);
    assertThat(badTimeout.err()).startsWith("hack: invalid duration 'soon'");

    // node list and project list
    assertThat(sameBothWays("node", "list").out()).startsWith("no nodes registered");
    assertThat(cli.hack(me, "node", "add").exit()).isZero();
    assertThat(sameBothWays("node", "list", "--json").out()).contains("alpha");
    assertThat(hack(Map.of(), "node", "list").note()).startsWith(SERVED);
    Path repo = Files.createDirectories(dir.resolve("repo"));
    assertThat(cli.hack(me, "project", "add", repo.toString(), "--name", "demo").exit()).isZero();
    assertThat(sameBothWays("project", "list").out()).contains("demo");
    assertThat(sameBothWays("project", "list", "--json").out()).contains("demo");
  }

  @Test
  void outputIsEncodedAsTheClientsOwnWouldBe() throws Exception {
    cli.serve(me, "alpha");
    // the command line holds non-ASCII text; sh makes the bytes, so that this JVM's own locale
    // (which encodes argv) does not matter
    ProcessBuilder start =
        new ProcessBuilder(
            "sh",
            "-c",
            "exec "
                + CliNodes.hackCommandLine()
                + " session start --name u1 -- echo"
                + " \"$(printf 'h\\303\\251llo w\\303\\266rld \\342\\234\\223')\"");
    start.environment().put("HACK_HOME", me.toString());
    start.environment().put("LC_ALL", "C.UTF-8");
    start.redirectErrorStream(true);
    Process p = start.start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(said).isZero();
    // C: the client's JVM prints US-ASCII ('?' for the rest); the node must not print UTF-8
    Run ascii = sameBothWays(Map.of("LC_ALL", "C", "LANG", "C"), "session", "list", "--json");
    assertThat(ascii.out()).contains("h?llo w?rld ?");
    Run utf8 = sameBothWays(Map.of("LC_ALL", "C.UTF-8"), "session", "list", "--json");
    assertThat(utf8.out()).contains("héllo wörld ✓");
  }

  @Test
  void aRemoteNodeThatDiesIsReportedOfflineTheSameWayAndComesBack() throws Exception {
    Path other = dir.resolve("other");
    cli.serve(me, "alpha");
    int betaPort = cli.serve(other, "beta");
    assertThat(cli.hack(me, "session", "list").exit()).isZero(); // makes this user's key
    cli.authorize(me, other);
    Run added = cli.hack(me, "node", "add", "beta", "ssh://127.0.0.1:" + betaPort);
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(
            cli.hack(me, "session", "start", "--node", "beta", "--name", "b1", "--", "cat").exit())
        .isZero();
    // the node now keeps a connection to beta from this listing
    assertThat(sameBothWays("session", "list", "--json").out()).contains("\"node\":\"beta\"");

    cli.nodes.get(1).destroyForcibly().waitFor();
    // beta refuses at once; the timeout is generous so that a slow machine does not make the
    // in-process run (a cold JVM) miss alpha and print something else than the node did
    Run partial = sameBothWays("session", "list", "--json", "--timeout", "15s");
    assertThat(partial.exit()).isZero();
    assertThat(partial.out()).doesNotContain("b1");
    assertThat(partial.err()).startsWith("hack: offline beta: ");

    // beta again, on the same port and with the same host key: listed again through the node
    restartOnPort(other, "beta", betaPort);
    Poll.until(
        WAIT,
        "b1 listed again",
        () -> hack(Map.of(), "session", "list", "--json").run().out().contains("\"id\":\"b1\""));
    assertThat(sameBothWays("session", "list", "--json").out()).contains("\"id\":\"b1\"");
  }

  private void restartOnPort(Path home, String name, int port) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            CliNodes.hackArgv(
                "node",
                "serve",
                "--ssh-port",
                String.valueOf(port),
                "--gateway-port",
                "-1",
                "--name",
                name,
                "--tmux-socket",
                dir.resolve(name + ".tmux").toString()));
    pb.environment().put("HACK_HOME", home.toString());
    pb.redirectError(dir.resolve(name + "-2.err").toFile());
    pb.redirectOutput(dir.resolve(name + "-2.out").toFile());
    cli.nodes.add(pb.start());
    cli.homes.add(home);
    Poll.until(
        WAIT,
        name + " listening",
        () -> Files.readString(dir.resolve(name + "-2.out")).contains("ssh listening"));
  }

  @Test
  void aStaleSocketOrAnotherCommandFallsBackToTheCliItself() throws Exception {
    cli.serve(me, "alpha");
    // commands outside the list, and help and usage errors, are never the node's to answer
    Traced keys = hack(Map.of(), "keys", "show");
    assertThat(keys.note()).isEqualTo(NOT_USED + "not a fast-path command");
    assertThat(keys.run().exit()).isZero();
    Traced help = hack(Map.of(), "session", "list", "--help");
    assertThat(help.note()).isEqualTo(NOT_USED + "refused by the node: help");
    assertThat(help.run().out()).contains("--timeout");
    Traced usage = hack(Map.of(), "session", "list", "--bogus");
    assertThat(usage.note()).isEqualTo(NOT_USED + "refused by the node: usage error");
    assertThat(usage.run().exit()).isEqualTo(2);
    assertThat(usage.run().err()).contains("--bogus");

    // a node killed with SIGKILL leaves its socket: the CLI notices and does the work itself
    Process node = cli.nodes.get(0);
    node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    assertThat(socket()).exists();
    Traced stale = hack(Map.of(), "session", "list", "--json");
    assertThat(stale.note()).startsWith(NOT_USED + "cannot talk to the node at " + socket());
    Traced off = hack(Map.of("HACK_NO_DAEMON", "1"), "session", "list", "--json");
    assertThat(stale.run()).isEqualTo(off.run());

    // the next node on this home replaces the stale socket and serves again
    cli.nodes.clear();
    cli.serve(me, "alpha");
    assertThat(hack(Map.of(), "session", "list", "--json").note())
        .isEqualTo(SERVED + cli.nodes.get(0).pid() + ")");
  }

  @Test
  void garbageOnTheSocketIsDroppedAndTheNodeServesOn() throws Exception {
    cli.serve(me, "alpha");
    long pid = cli.nodes.get(0).pid();
    sameBothWays("session", "list", "--json"); // warm: its connection is part of the baseline
    int least = Integer.MAX_VALUE;
    for (int i = 0; i < 10; i++) { // the least seen, once the in-process run's session is gone
      least = Math.min(least, openFiles(pid));
      Thread.sleep(100);
    }
    int fds = least;

    // a frame that claims 2 GiB: closed at once, nothing allocated
    try (SocketChannel ch = connect()) {
      ch.write(ByteBuffer.allocate(4).putInt(0x7fffffff).flip());
      assertThat(readToEnd(ch)).isEmpty();
    }
    // a well-sized frame of junk is refused as another protocol; a request cut short inside a
    // string is dropped without a word
    try (SocketChannel ch = connect()) {
      ch.write(ByteBuffer.allocate(9).putInt(5).put((byte) 'Z').putInt(42).flip());
      ByteBuffer answer = FastPathWire.read(ch, 1024);
      assertThat(answer.get(0)).isEqualTo(FastPathWire.REFUSE);
      assertThat(readToEnd(ch)).isEmpty();
    }
    try (SocketChannel ch = connect()) {
      ByteBuffer b = ByteBuffer.allocate(13);
      b.putInt(9).put(FastPathWire.REQUEST).putInt(FastPathWire.MAGIC).putInt(1000).flip();
      ch.write(b);
      assertThat(readToEnd(ch)).isEmpty();
    }
    // another protocol version is told so; a client of another build is refused by name
    try (SocketChannel ch = connect()) {
      ByteBuffer b = ByteBuffer.allocate(9).putInt(5).put(FastPathWire.REQUEST).putInt(7).flip();
      ch.write(b);
      ByteBuffer answer = FastPathWire.read(ch, 1024);
      assertThat(answer.get(0)).isEqualTo(FastPathWire.REFUSE);
    }
    FastPath.Reply other =
        FastPath.request(
            socket(),
            "jar-0-0",
            me.toAbsolutePath().normalize().toString(),
            new String[] {"session", "list"});
    assertThat(other.refusal).startsWith("refused by the node: another build of hack");

    // more silent clients than request threads: none of them holds up a real request, and the
    // node drops them all after its request timeout
    List<SocketChannel> idle = new ArrayList<>();
    try {
      for (int i = 0; i < FastPathServer.MAX_REQUESTS + 4; i++) {
        idle.add(connect());
      }
      long t0 = System.nanoTime();
      Run r = cli.hack(me, "session", "list", "--json");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo("[]\n");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
      for (SocketChannel ch : idle) {
        assertThat(readToEnd(ch)).isEmpty(); // EOF from the node, within REQUEST_TIMEOUT
      }
    } finally {
      for (SocketChannel ch : idle) {
        ch.close();
      }
    }

    // a client that sends its request and leaves before the answer
    try (SocketChannel ch = connect()) {
      FastPathWire.write(
          ch,
          FastPathWire.REQUEST,
          request(FastPathWire.buildId(System.getProperty("hack.jar")), "session", "list"));
      ch.shutdownOutput();
    }

    assertThat(cli.nodes.get(0).isAlive()).isTrue();
    assertThat(hack(Map.of(), "session", "list", "--json").note()).isEqualTo(SERVED + pid + ")");
    Poll.until(WAIT, "the node's open files back to " + fds, () -> openFiles(pid) <= fds);
  }

  private SocketChannel connect() throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket()));
    return ch;
  }

  /** Everything the node sends until it closes; fails the test if it never does. */
  private static byte[] readToEnd(SocketChannel ch) throws Exception {
    ch.configureBlocking(true);
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(4096);
    long deadline = System.nanoTime() + WAIT.toNanos();
    // the node closes within REQUEST_TIMEOUT; a watchdog keeps a broken node from hanging here
    Thread watchdog =
        new Thread(
            () -> {
              try {
                Thread.sleep(WAIT.toMillis());
                ch.close();
              } catch (InterruptedException | IOException e) {
                // the read ended first
              }
            },
            "fastpath-it-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      while (ch.read(b.clear()) >= 0) {
        all.write(b.array(), 0, b.position());
      }
    } finally {
      watchdog.interrupt();
    }
    assertThat(System.nanoTime()).as("the node closed the connection in time").isLessThan(deadline);
    return all.toByteArray();
  }

  private ByteBuffer request(String build, String... args) {
    byte[][] s = {
      FastPathWire.utf8(build),
      FastPathWire.utf8(me.toAbsolutePath().normalize().toString()),
      FastPathWire.utf8("UTF-8"),
      FastPathWire.utf8("UTF-8")
    };
    ByteBuffer b = ByteBuffer.allocate(4096);
    b.putInt(FastPathWire.MAGIC);
    for (byte[] x : s) {
      FastPathWire.putString(b, x);
    }
    b.putInt(args.length);
    for (String a : args) {
      FastPathWire.putString(b, FastPathWire.utf8(a));
    }
    return b.flip();
  }

  private static int openFiles(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
      return (int) fds.count();
    }
  }

  /** The session table with each AGE value (5s, 3m, 2h, 1d) replaced, and the padding it set. */
  private static String maskAges(String table) {
    return table.replaceAll("  (\\d+[smhd]|\\?) +", "  AGE  ").replaceAll(" +AGE", " AGE");
  }
}
