package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.hack.cli.CliNodes.Run;
import dev.hack.keys.KeyFiles;
import dev.hack.node.mesh.tailscale.FakeLocalApi;
import dev.hack.node.mesh.tailscale.LocalApiFixtures;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TmuxTerminal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hack node ...} and {@code hack session ...} as a user runs them: the packaged jar, two
 * real nodes in their own processes and homes, the user's home being the first node's.
 */
class SessionCliIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  CliNodes cli;
  List<Process> nodes;
  final List<TmuxTerminal> terminals = new ArrayList<>();

  @BeforeEach
  void setUp() {
    cli = new CliNodes(dir);
    nodes = cli.nodes;
  }

  @AfterEach
  void stop() throws Exception {
    for (TmuxTerminal t : terminals) {
      t.close();
    }
    cli.close();
  }

  private static List<String> hackArgv(Path home, String... args) {
    return CliNodes.hackArgv(args);
  }

  private Run hack(Path home, String... args) throws Exception {
    return cli.hack(home, args);
  }

  private Run hackWithEnv(Path home, Map<String, String> env, String... args) throws Exception {
    return cli.hackWithEnv(home, env, args);
  }

  private void authorize(Path me, Path other) throws Exception {
    cli.authorize(me, other);
  }

  private int serve(Path home, String name) throws Exception {
    return cli.serve(home, name);
  }

  /**
   * Starts another node from {@code home}, lets the user of {@code me} in and registers it under
   * {@code name}, as a user does by hand; returns its SSH port.
   */
  private int addNode(Path me, Path home, String name) throws Exception {
    int port = serve(home, name);
    assertThat(hack(me, "session", "list").exit()).isZero(); // makes this user's key
    authorize(me, home);
    Run added = hack(me, "node", "add", name, "ssh://127.0.0.1:" + port);
    assertThat(added.exit()).as(added.err()).isZero();
    return port;
  }

  private static Run run(List<String> argv) throws Exception {
    return CliNodes.run(argv);
  }

  @Test
  void twoNodesOneViewRoutingByIdAtNodeAndOfflineNodes() throws Exception {
    Path me = dir.resolve("me");
    Path other = dir.resolve("other");
    serve(me, "alpha");
    int betaPort = serve(other, "beta");

    // the local node works out of the box: the CLI authorizes its own key there
    Run empty = hack(me, "session", "list");
    assertThat(empty.exit()).as(empty.err()).isZero();

    // beta does not know this user yet: the error says exactly what to run there
    Run refused = hack(me, "node", "add", "beta", "ssh://127.0.0.1:" + betaPort);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("refused your key").contains("hack keys authorize -");
    authorize(me, other);

    Run added = hack(me, "node", "add", "beta", "ssh://127.0.0.1:" + betaPort);
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).contains("recorded host key SHA256:").contains("added node beta");
    assertThat(Files.readString(me.resolve("keys/known_hosts")))
        .contains("[127.0.0.1]:" + betaPort + " ssh-ed25519 ");
    assertThat(hack(me, "node", "list").out()).contains("beta").contains("online");

    assertThat(hack(me, "session", "start", "--node", "beta", "--name", "b1", "--", "cat").exit())
        .isZero();
    assertThat(hack(me, "session", "start", "--name", "a1", "--", "cat").exit()).isZero();
    assertThat(hack(me, "session", "send", "b1@beta", "hello beta\\n").exit()).isZero();
    Poll.until(
        WAIT, "b1 echo", () -> hack(me, "session", "logs", "b1@beta").out().contains("hello beta"));

    Run list = hack(me, "session", "list", "--json");
    JsonArray sessions = JsonParser.parseString(list.out()).getAsJsonArray();
    assertThat(sessions.toString()).contains("\"id\":\"b1\"").contains("\"node\":\"beta\"");
    assertThat(sessions.toString()).contains("\"id\":\"a1\"").contains("\"node\":\"alpha\"");
    assertThat(hack(me, "session", "list").out())
        .contains("SESSION  NODE")
        .containsPattern("b1 +beta +process +running");

    // many sessions on two nodes in one command, with the ids that ls -q prints
    assertThat(hack(me, "session", "start", "--node", "beta", "--name", "b2", "--", "cat").exit())
        .isZero();
    assertThat(hack(me, "session", "start", "--name", "a2", "--", "cat").exit()).isZero();
    Run running = hack(me, "session", "list", "-q", "--status", "running");
    assertThat(running.out().lines().sorted())
        .containsExactly("a1@alpha", "a2@alpha", "b1@beta", "b2@beta");
    Run stopped = hack(me, "session", "stop", "b1@beta", "a2@alpha", "b2@beta");
    assertThat(stopped.exit()).as(stopped.err()).isZero();
    Run ended = hack(me, "session", "list", "-q", "--status", "ended");
    assertThat(ended.out().lines().sorted()).containsExactly("a2@alpha", "b1@beta", "b2@beta");
    Run removed = hack(me, "session", "rm", "a2@alpha", "b2@beta", "a1@alpha", "b1@beta");
    assertThat(removed.exit()).isEqualTo(1); // a1 still runs: said, and the others removed
    assertThat(removed.err()).contains("session a1 is still running").hasLineCount(1);
    assertThat(hack(me, "session", "list", "-q").out()).isEqualTo("a1@alpha\n");
    assertThat(hack(me, "session", "list", "--status", "sleeping").exit()).isEqualTo(2);

    Run nosuch = hack(me, "session", "logs", "nosuch@beta");
    assertThat(nosuch.exit()).isEqualTo(1);
    assertThat(nosuch.err()).contains("no session nosuch");

    // beta dies: the listing still answers, in time, and says beta is offline
    Process beta = nodes.get(1);
    beta.destroyForcibly().waitFor();
    long t0 = System.nanoTime();
    Run partial = hack(me, "session", "list", "--timeout", "2s");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(partial.exit()).isZero();
    assertThat(partial.out()).contains("a1").doesNotContain("b1");
    assertThat(partial.err()).contains("offline beta");
    assertThat(ms).isLessThan(15_000); // JVM start included; the point is it does not hang
    assertThat(hack(me, "node", "status", "beta").out()).contains("offline");
  }

  @Test
  void aProgramThatCannotStartIsRefusedNamingItAndTheReason() throws Exception {
    Path me = dir.resolve("me");
    serve(me, "alpha");
    Run missing = hack(me, "session", "start", "--", "/nonexistent/prog");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err())
        .isEqualTo("hack: cannot start '/nonexistent/prog': No such file or directory\n");
    Run list = hack(me, "session", "list", "--json");
    assertThat(JsonParser.parseString(list.out()).getAsJsonArray()).isEmpty();
  }

  @Test
  void threeNodesJobsRunWhereAskedAndExitAsTheJobDid() throws Exception {
    Path me = dir.resolve("me");
    Path beta = dir.resolve("beta");
    Path gamma = dir.resolve("gamma");
    serve(me, "alpha");
    addNode(me, beta, "beta");
    addNode(me, gamma, "gamma");

    // output streams through, stdout only, and the exit code is the job's
    Run failed = hack(me, "job", "run", "--node", "beta", "--", "sh", "-c", "echo on-$0; exit 5");
    assertThat(failed.exit()).isEqualTo(5);
    assertThat(failed.out()).isEqualTo("on-sh\n");
    Run ok =
        hack(me, "job", "run", "--node", "gamma", "--env", "X=42", "--", "sh", "-c", "echo x=$X");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).isEqualTo("x=42\n");
    Run local = hack(me, "job", "run", "--", "true");
    assertThat(local.exit()).isZero();

    // each job is on the node it ran on, and only there
    Run betaJobs = hack(me, "job", "list", "--node", "beta", "--json");
    JsonArray jobs = JsonParser.parseString(betaJobs.out()).getAsJsonArray();
    assertThat(jobs).hasSize(1);
    String jobId = jobs.get(0).getAsJsonObject().get("jobId").getAsString();
    assertThat(jobs.get(0).getAsJsonObject().get("exitCode").getAsInt()).isEqualTo(5);
    assertThat(hack(me, "job", "list", "--node", "gamma").out()).contains("completed");
    assertThat(hack(me, "job", "logs", jobId + "@beta").out()).isEqualTo("on-sh\n");
    assertThat(hack(me, "job", "logs", jobId + "@gamma").exit()).isEqualTo(1);

    // detach, then cancel by ID@NODE; following it then ends with 130, like a Ctrl-C'd program
    Run detached = hack(me, "job", "run", "--detach", "--node", "gamma", "--", "sleep", "300");
    String sleeper = detached.out().strip();
    assertThat(sleeper).startsWith("j_");
    assertThat(hack(me, "job", "cancel", sleeper + "@gamma").exit()).isZero();
    assertThat(hack(me, "job", "logs", sleeper + "@gamma", "-f").exit()).isEqualTo(130);

    // bad input: one sentence, usage exit code
    Run bad = hack(me, "job", "run", "--node", "beta", "--env", "NOEQUALS", "--", "true");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("NAME=VALUE");
    assertThat(hack(me, "job", "run").exit()).isEqualTo(2);
  }

  @Test
  void changedHostKeyIsRefusedLikeOpenSsh() throws Exception {
    Path me = dir.resolve("me");
    Path other = dir.resolve("other");
    serve(me, "alpha");
    int betaPort = addNode(me, other, "beta");

    // the recorded key no longer matches what beta presents
    Path known = me.resolve("keys/known_hosts");
    var impostor = KeyFiles.loadOrCreate(dir.resolve("impostor"), "x");
    Files.writeString(
        known, "[127.0.0.1]:" + betaPort + " " + KeyFiles.openSshLine(impostor.getPublic()) + "\n");
    Run r = hack(me, "node", "add", "beta", "ssh://127.0.0.1:" + betaPort);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("REMOTE HOST IDENTIFICATION HAS CHANGED");
    Run list = hack(me, "session", "list", "--node", "beta");
    assertThat(list.err()).contains("host key");
  }

  @Test
  void attachInARealTerminalTypesResizesDetachesAndRestoresTheTerminal() throws Exception {
    Path me = dir.resolve("me");
    serve(me, "alpha");
    assertThat(hack(me, "session", "start", "--name", "sh1", "--", "sh").exit()).isZero();
    TmuxTerminal t = TmuxTerminal.start(90, 25, List.of("sh"));
    terminals.add(t);
    t.type(
        "stty -a > "
            + dir.resolve("before")
            + "; HACK_HOME="
            + me
            + " "
            + CliNodes.hackCommandLine()
            + " session attach sh1; echo attach-exit=$?; stty -a > "
            + dir.resolve("after.tmp")
            + "; mv "
            + dir.resolve("after.tmp")
            + " "
            + dir.resolve("after")); // whole, or not there: the poll below must not read half
    t.keys("Enter");
    Poll.until(
        WAIT, "attached", () -> hack(me, "session", "list").out().matches("(?s).*sh1 .* 1 .*"));
    t.type("echo in-session-$((5*5))");
    t.keys("Enter");
    t.waitFor("in-session-25", WAIT);
    t.keys("C-c"); // goes to the session, not to the CLI
    t.resize(70, 20);
    Poll.until(
        WAIT,
        "resize",
        () -> {
          t.type("stty size");
          t.keys("Enter");
          Thread.sleep(300);
          return t.screen().contains("20 70");
        });
    t.keys("C-\\");
    t.waitFor("attach-exit=0", WAIT);
    Poll.until(WAIT, "stty after", () -> Files.exists(dir.resolve("after")));
    String before =
        Files.readString(dir.resolve("before")).replaceAll("rows \\d+; columns \\d+;", "");
    String after =
        Files.readString(dir.resolve("after")).replaceAll("rows \\d+; columns \\d+;", "");
    assertThat(after).isEqualTo(before);
  }

  @Test
  void attachSaysTheConnectionDroppedAndComesBackWhenTheNodeDoes() throws Exception {
    Path me = dir.resolve("me");
    serve(me, "alpha");
    assertThat(hack(me, "session", "start", "--type", "tmux", "--name", "t1", "--", "sh").exit())
        .isZero();
    TmuxTerminal t = TmuxTerminal.start(90, 25, List.of("sh"));
    terminals.add(t);
    t.type(
        "HACK_HOME="
            + me
            + " "
            + CliNodes.hackCommandLine()
            + " session attach t1; echo attach-exit=$?");
    t.keys("Enter");
    t.type("echo before-$((1+1))");
    t.keys("Enter");
    t.waitFor("before-2", WAIT);

    nodes.get(0).destroyForcibly().waitFor(); // the node dies; tmux and the session live on
    t.waitFor("reconnecting", WAIT);
    serve(me, "alpha"); // back, on another port: the CLI finds it through node.json
    Poll.until(
        WAIT,
        "reattached",
        () -> {
          t.type("echo after-$((2+3))");
          t.keys("Enter");
          Thread.sleep(500);
          return t.screen().contains("after-5");
        });
    t.keys("C-\\");
    t.waitFor("attach-exit=0", WAIT);
  }

  @Test
  void attachWaitsThroughARestartOfANodeWhoseKeeperHoldsTheSession() throws Exception {
    Path me = dir.resolve("me");
    cli.serve(me, "alpha", -1, "--keeper");
    assertThat(hack(me, "session", "start", "--name", "p1", "--", "sh").exit()).isZero();
    try {
      TmuxTerminal t = TmuxTerminal.start(90, 25, List.of("sh"));
      terminals.add(t);
      t.type(
          "HACK_HOME="
              + me
              + " "
              + CliNodes.hackCommandLine()
              + " session attach p1; echo attach-exit=$?");
      t.keys("Enter");
      t.type("echo before-$((1+1))");
      t.keys("Enter");
      t.waitFor("before-2", WAIT);

      cli.stop("alpha"); // a restart: SIGTERM, as hack daemon restart does
      t.waitFor("p1 keeps running; attach again once the node is back", WAIT);
      t.waitFor("reconnecting", WAIT);
      cli.serve(me, "alpha", -1, "--keeper");
      Poll.until(
          WAIT,
          "reattached to the same shell",
          () -> {
            t.type("echo after-$((2+3))");
            t.keys("Enter");
            Thread.sleep(500);
            return t.screen().contains("after-5");
          });
      t.keys("C-\\");
      t.waitFor("attach-exit=0", WAIT);
    } finally {
      hack(me, "session", "stop", "p1"); // the keeper outlives every node: leave nothing behind
    }
  }

  @Test
  void jobRunSurvivesTheNodeGoingAwayAndPrintsNothingTwice() throws Exception {
    Path me = dir.resolve("me");
    serve(me, "alpha");
    ProcessBuilder pb =
        new ProcessBuilder(
            hackArgv(
                me,
                "job",
                "run",
                "--",
                "sh",
                "-c",
                "i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo line-$i; sleep 0.05; done"));
    pb.environment().put("HACK_HOME", me.toString());
    pb.redirectError(dir.resolve("job-run.err").toFile());
    Process run = pb.start();
    run.getOutputStream().close();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      lines.add(out.readLine());
    }
    nodes.get(0).destroyForcibly().waitFor(); // the connection drops mid-stream
    Poll.until(
        WAIT,
        "the CLI to notice",
        () -> Files.readString(dir.resolve("job-run.err")).contains("reconnecting"));
    serve(me, "alpha"); // back, on another port: found again through node.json
    for (String l = out.readLine(); l != null; l = out.readLine()) {
      lines.add(l);
    }
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    // the job died with its node (its output had nowhere to go), and says so: exit 1
    assertThat(run.exitValue()).isEqualTo(1);
    // every line it printed arrived once, in order, with no gap
    for (int i = 0; i < lines.size(); i++) {
      assertThat(lines.get(i)).isEqualTo("line-" + (i + 1));
    }
    assertThat(Files.readString(dir.resolve("job-run.err"))).contains("lost the connection");
  }

  @Test
  void discoverFindsTheHackNodesOnTheTailnetAndAddsThem() throws Exception {
    Path me = dir.resolve("me");
    Path other = dir.resolve("other");
    serve(me, "alpha");
    int port = serve(other, "beta");
    assertThat(hack(me, "session", "list").exit()).isZero(); // makes this user's key
    authorize(me, other);
    Path sockDir = Files.createTempDirectory(Path.of("/tmp"), "ts");
    // the tailnet: build-box (online) is at 127.0.0.1, where beta listens; the phone is offline
    try (FakeLocalApi ts = FakeLocalApi.onUnixSocket(sockDir.resolve("tailscaled.sock"))) {
      ts.status(LocalApiFixtures.STATUS_RUNNING.replace("\"100.90.1.2\"", "\"127.0.0.1\""));
      Run listed =
          hackWithEnv(
              me,
              Map.of("HACK_TAILSCALE_SOCKET", sockDir.resolve("tailscaled.sock").toString()),
              "node",
              "discover",
              "--port",
              String.valueOf(port));
      assertThat(listed.exit()).as(listed.err()).isZero();
      assertThat(listed.out()).containsPattern("build-box +127\\.0\\.0\\.1 +linux +yes \\(hack ");
      assertThat(listed.out()).doesNotContain("alices-iphone");

      Run added =
          hackWithEnv(
              me,
              Map.of("HACK_TAILSCALE_SOCKET", sockDir.resolve("tailscaled.sock").toString()),
              "node",
              "discover",
              "--port",
              String.valueOf(port),
              "--add",
              "build-box");
      assertThat(added.exit()).as(added.err()).isZero();
      assertThat(added.out()).contains("added node build-box");
      String registry = Files.readString(me.resolve("registry/nodes.json"));
      assertThat(registry).contains("\"build-box\"").contains("build-box.tail1234.ts.net");
      assertThat(hack(me, "node", "list").out()).contains("build-box");
    }
    // without Tailscale: one sentence saying so and what to do instead
    Run none =
        hackWithEnv(
            me,
            Map.of("HACK_TAILSCALE_SOCKET", sockDir.resolve("gone.sock").toString()),
            "node",
            "discover");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("tailscale is disabled").contains("hack node add");
  }

  @Test
  void pairedNodesSeeEachOthersSessionsAndADeadPeerIsReportedInTime() throws Exception {
    Path me = dir.resolve("me");
    Path beta = dir.resolve("beta");
    Path gamma = dir.resolve("gamma");
    int alphaPort = serve(me, "alpha");
    addNode(me, beta, "beta");
    addNode(me, gamma, "gamma");

    Run paired = hack(me, "node", "pair", "beta");
    assertThat(paired.exit()).as(paired.err()).isZero();
    assertThat(paired.out()).contains("paired alpha").contains("with beta");
    assertThat(hack(me, "node", "pair", "gamma").exit()).isZero();
    assertThat(hack(me, "node", "pair", "alpha").exit()).isEqualTo(2); // itself

    assertThat(hack(me, "session", "start", "--node", "beta", "--name", "b1", "--", "cat").exit())
        .isZero();
    assertThat(hack(me, "session", "start", "--node", "gamma", "--name", "g1", "--", "cat").exit())
        .isZero();
    Path key = me.resolve("keys/id_ed25519");
    List<String> ls =
        dev.hack.node.testing.TestNode.sshArgv(
            key, alphaPort, "127.0.0.1", "ls", "--all", "--json");
    String all = run(ls).out();
    assertThat(all)
        .contains("\"id\":\"b1\"", "\"node\":\"beta\"", "\"id\":\"g1\"", "\"node\":\"gamma\"");

    // gamma dies: alpha still answers within its timeout and says gamma is offline
    nodes.get(2).destroyForcibly().waitFor();
    Run partial =
        run(
            dev.hack.node.testing.TestNode.sshArgv(
                key, alphaPort, "127.0.0.1", "ls", "--all", "--json", "--timeout", "2"));
    assertThat(partial.exit()).isZero();
    assertThat(partial.out()).contains("\"id\":\"b1\"").doesNotContain("g1");
    assertThat(partial.err()).contains("offline gamma");
  }

  @Test
  void hackAloneIsAPromptWithCompletionOfCommandsAndSessionIds() throws Exception {
    Path me = dir.resolve("me");
    serve(me, "alpha");
    assertThat(hack(me, "session", "start", "--name", "zeta1", "--", "cat").exit()).isZero();
    TmuxTerminal t =
        TmuxTerminal.start(
            100,
            25,
            List.of(
                "sh",
                "-c",
                "HACK_HOME="
                    + me
                    + " "
                    + CliNodes.hackCommandLine()
                    + "; echo repl-exit=$?; sleep 60"));
    terminals.add(t);
    t.waitFor("hack>", WAIT); // capture-pane trims the trailing space
    t.type("sess");
    t.keys("Tab");
    t.waitFor("hack> session", WAIT);
    t.type("logs ze"); // the completion above already added the space
    t.keys("Tab");
    t.waitFor("session logs zeta1", WAIT);
    t.keys("C-u");
    t.type("session list");
    t.keys("Enter");
    t.waitFor("zeta1", WAIT);
    Poll.until( // the next prompt is up: the command finished
        WAIT,
        "prompt",
        () -> {
          List<String> lines = t.screen().strip().lines().toList();
          return lines.get(lines.size() - 1).strip().equals("hack>");
        });
    t.keys("C-d");
    t.waitFor("repl-exit=0", WAIT);
  }

  @Test
  void upTwiceStartsEachDeclaredSessionOnceOnTheProjectsNode() throws Exception {
    Path me = dir.resolve("me");
    Path other = dir.resolve("other");
    serve(me, "alpha");
    addNode(me, other, "beta");

    Path repo = Files.createDirectories(dir.resolve("repo"));
    assertThat(hack(me, "project", "add", repo.toString(), "--name", "demo").exit()).isZero();
    Path intent = repo.resolve(".hack/project.json");
    Files.writeString(
        intent,
        Files.readString(intent)
            .replace(
                "\"sessions\": []",
                "\"sessions\": [{\"name\": \"agent\", \"command\": [\"sleep\", \"600\"]},"
                    + " {\"name\": \"dev\", \"command\": [\"cat\"]}]"));
    Run moved = hack(me, "project", "move", repo.toString(), "--node", "beta");
    assertThat(moved.exit()).as(moved.err()).isZero();
    assertThat(Files.readString(intent)).contains("\"nodeId\": \"node-");

    Run first = hack(me, "up", "--dir", repo.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out())
        .contains("demo:agent: started on beta")
        .contains("demo:dev: started on beta");
    Run second = hack(me, "up", "--dir", repo.toString());
    assertThat(second.out()).contains("demo:agent: already running").doesNotContain("started");

    JsonArray onBeta =
        JsonParser.parseString(hack(me, "session", "list", "--node", "beta", "--json").out())
            .getAsJsonArray();
    assertThat(onBeta.size()).isEqualTo(2);
    assertThat(onBeta.toString()).contains("\"project\":\"demo\"");
    assertThat(hack(me, "session", "list", "--node", "alpha", "--json").out().strip())
        .isEqualTo("[]");

    Run down = hack(me, "down", "--dir", repo.toString());
    assertThat(down.out()).contains("demo:agent: stopped on beta");
    assertThat(hack(me, "project", "list").out()).contains("demo").contains("node-");

    // up after down: a session declared the same way starts again, its log kept; one whose
    // declaration changed is replaced
    String changed = Files.readString(intent).replaceAll("\"cat\"\\s*]", "\"cat\", \"-u\"]");
    assertThat(changed).contains("\"-u\"");
    Files.writeString(intent, changed);
    Run again = hack(me, "up", "--dir", repo.toString());
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out())
        .contains("demo:agent: started again on beta")
        .contains("demo:dev: started on beta");
    assertThat(hack(me, "session", "logs", "demo:agent@beta").out())
        .contains("[hack: demo:agent restarted]");
  }
}
