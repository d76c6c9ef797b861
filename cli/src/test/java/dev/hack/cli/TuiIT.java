package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TmuxTerminal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hack tui} as a user runs it: the packaged jar in a real terminal (tmux), two real nodes in
 * their own processes and homes, the user's home being the first node's.
 */
class TuiIT {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** What the test asks of {@code hack tui}: a fast refresh, and the default time limit. */
  private static final Duration REFRESH = Duration.ofSeconds(1);

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir Path dir;
  private CliNodes cli;
  private List<Process> nodes;
  private TmuxTerminal term;

  @BeforeEach
  void setUp() {
    cli = new CliNodes(dir);
    nodes = cli.nodes;
  }

  @AfterEach
  void stop() throws Exception {
    if (term != null) {
      term.close();
    }
    cli.close();
  }

  private static List<String> hackArgv(String... args) {
    return CliNodes.hackArgv(args);
  }

  /** Runs hack and expects it to succeed; returns what it printed (stdout and stderr). */
  private String hack(Path home, String... args) throws Exception {
    CliNodes.Run r = cli.hack(home, args);
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    return r.out() + r.err();
  }

  private int serve(Path home, String name) throws Exception {
    return cli.serve(home, name);
  }

  @Test
  void browsesTwoNodesAttachesComesBackStartsASessionAndSeesANodeDie() throws Exception {
    Path me = dir.resolve("me");
    Path other = dir.resolve("other");
    serve(me, "alpha");
    int betaPort = serve(other, "beta");
    hack(me, "session", "list"); // makes this user's key
    cli.authorize(me, other);
    hack(me, "node", "add", "beta", "ssh://127.0.0.1:" + betaPort);
    hack(me, "session", "start", "--name", "a1", "--", "sh");
    hack(
        me,
        "session",
        "start",
        "--node",
        "beta",
        "--name",
        "b1",
        "--",
        "sh",
        "-c",
        "echo b1-up; exec cat");

    term = TmuxTerminal.start(80, 24, List.of("sh"));
    term.type(
        "stty -a > "
            + dir.resolve("before")
            + "; HACK_HOME="
            + me
            + " "
            + CliNodes.hackCommandLine()
            + " tui --refresh "
            + REFRESH.toSeconds()
            + "s --timeout "
            + TIMEOUT.toSeconds()
            + "s; echo tui-exit=$?; stty -a > "
            + dir.resolve("after.tmp")
            + "; mv "
            + dir.resolve("after.tmp")
            + " "
            + dir.resolve("after")); // whole, or not there: the poll below must not read half
    term.keys("Enter");

    // both nodes, each with its sessions
    // (the nodes answer in any order: wait for both, not for whichever comes first)
    String screen =
        Poll.until(
            WAIT,
            "both nodes with their sessions",
            () -> {
              String now = term.screen();
              return now.contains("b1-up") && now.contains("alpha · 1 session") ? now : null;
            });
    assertThat(screen).contains("hack · 2 nodes · 2 sessions");
    assertThat(screen).contains("alpha · 1 session").contains("beta · 1 session");
    assertThat(screen).contains("> ● a1").contains("● b1");
    assertThat(term.alternateScreen()).isTrue();

    // Enter hands the terminal to a1; what is typed runs there; Ctrl-\ comes back
    term.keys("Enter");
    Poll.until(WAIT, "attached", () -> !term.alternateScreen());
    term.type("echo in-a1-$((6*7))");
    term.keys("Enter");
    term.waitFor("in-a1-42", WAIT);

    // alpha restarts under the attached session: the TUI says so, waits, and attaches again
    // to the same shell, which the keeper held meanwhile (its screen comes back)
    cli.stop("alpha");
    term.waitFor("alpha went away; attaching again when it is back", WAIT);
    serve(me, "alpha");
    term.type("echo again-$((7*7))");
    term.keys("Enter");
    String reattached = term.waitFor("again-49", WAIT);
    assertThat(reattached).contains("in-a1-42");
    term.keys("C-\\");
    Poll.until(WAIT, "back in the TUI", () -> term.alternateScreen());
    term.waitFor("Sessions", WAIT);
    assertThat(term.screen()).contains("> ● a1"); // where it was
    term.waitFor("in-a1-42", WAIT); // in the preview

    // n starts a session on the selected session's node; it shows up there
    term.keys("n");
    term.waitFor("New session", WAIT);
    term.type("fresh");
    term.keys("Tab"); // Name, then Command
    term.type("sh -c 'echo fresh-up; exec cat'");
    term.keys("Enter");
    term.waitFor("started fresh on alpha", WAIT);
    term.waitFor("fresh-up", WAIT);
    assertThat(hack(me, "session", "list", "--node", "alpha")).contains("fresh");

    // a phone-sized terminal: the panes stack and nothing overlaps
    term.resize(50, 20);
    Poll.until(WAIT, "narrow layout", () -> term.screen().contains(" ↵ attach"));
    List<String> rows = term.screen().lines().toList();
    assertThat(rows).allSatisfy(r -> assertThat(r.length()).isLessThanOrEqualTo(50));
    assertThat(rows.get(1)).startsWith(" Nodes");
    assertThat(rows.get(2)).contains("alpha").contains("online");
    assertThat(rows.get(3)).contains("beta").contains("online");
    assertThat(rows.get(4)).startsWith(" [Sessions]"); // focused: in brackets
    term.resize(80, 24);
    Poll.until(WAIT, "wide layout", () -> term.screen().contains("Enter attach"));

    // beta dies: it is shown offline at the next refresh (its port refuses) or, if the question
    // hangs instead, when the time limit runs out: within REFRESH + TIMEOUT. Three times that, so
    // that
    // a slow two-core CI machine (a late tick, a slow SSH client) does not make it flaky.
    Process beta = nodes.get(1);
    beta.destroyForcibly().waitFor();
    term.waitFor("beta · offline", REFRESH.plus(TIMEOUT).multipliedBy(3));
    assertThat(term.screen()).contains("2 nodes (1 offline)");
    // the SSH client's log lines about the dead node go to tui.log, never over the screen
    assertThat(term.screen()).doesNotContain("WARN").doesNotContain("Connection reset");
    term.keys("k");
    Poll.until(WAIT, "still answering keys", () -> term.screen().contains("> ● a1"));

    term.keys("q");
    term.waitFor("tui-exit=0", WAIT);
    Poll.until(WAIT, "stty after", () -> Files.exists(dir.resolve("after")));
    String before =
        Files.readString(dir.resolve("before")).replaceAll("rows \\d+; columns \\d+;", "");
    String after =
        Poll.until(
            WAIT,
            "stty written",
            () -> {
              String s = Files.readString(dir.resolve("after"));
              return s.isEmpty() ? null : s;
            });
    assertThat(after.replaceAll("rows \\d+; columns \\d+;", "")).isEqualTo(before);
  }

  @Test
  void withoutATerminalItSaysSo() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(hackArgv("tui"));
    pb.environment().put("HACK_HOME", dir.resolve("home").toString());
    Process p = pb.start();
    p.getOutputStream().close();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err).contains("the TUI needs a terminal");
  }
}
