package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.keys.KeyFiles;
import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TmuxTerminal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session picker as it ships: {@code hack node serve} from the packaged jar, in a temp {@code
 * HACK_HOME}, and the OpenSSH client asking it for a shell with no command, in a real terminal
 * (tmux), as a phone's SSH app does.
 */
class PickerServeIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final List<String> IDS = List.of("first-job", "second-job");

  @TempDir Path dir;
  private CliNodes cli;
  private TmuxTerminal term;

  @BeforeEach
  void setUp() {
    cli = new CliNodes(dir);
  }

  @AfterEach
  void stop() throws Exception {
    if (term != null) {
      term.close();
    }
    cli.close();
  }

  /** Starts {@code hack node serve} with both ports picked by the system; returns the SSH port. */
  private int serve(Path home) throws Exception {
    return cli.serve(home, "solo", 0); // stopped by cli.close()
  }

  @Test
  void bareSshShowsThePickerAttachesWithTheSessionsScreenComesBackAndQuits() throws Exception {
    Path home = dir.resolve("home");
    Path key = dir.resolve("id_ed25519");
    KeyFiles.loadOrCreate(key, "me");
    CliNodes.Run auth = cli.hack(home, "keys", "authorize", key + ".pub");
    assertThat(auth.exit()).as(auth.err()).isZero();
    int port = serve(home);
    for (String id : IDS) {
      CliNodes.Run made =
          CliNodes.run(
              TestNode.sshArgv(
                  key,
                  port,
                  "127.0.0.1",
                  "new --name " + id + " -- sh -c 'echo " + id + "-said-this; exec cat'"));
      assertThat(made.exit()).as(made.out() + made.err()).isZero();
    }

    StringBuilder cmd = new StringBuilder();
    for (String a : TestNode.sshArgv(key, port, "-tt", "127.0.0.1")) {
      cmd.append('\'').append(a.replace("'", "'\\''")).append("' ");
    }
    cmd.append("; echo ssh-exit=$?; sleep 60");
    term = TmuxTerminal.start(80, 24, List.of("sh", "-c", cmd.toString()));

    // the picker, with the first session selected and previewed
    String picker = term.waitFor("first-job-said-this", WAIT);
    assertThat(picker).contains("hack · 1 node · 2 sessions").contains("solo · 2 sessions");
    assertThat(picker).contains("> ● first-job").contains("Preview · first-job@solo");
    assertThat(term.alternateScreen()).isTrue();

    // Enter: the picker leaves its screen and the session's screen is drawn, earlier output too
    term.keys("Enter");
    Poll.until(WAIT, "attached", () -> !term.alternateScreen());
    term.waitFor("first-job-said-this", WAIT); // on the main screen: the session's, redrawn
    assertThat(term.screen()).doesNotContain("Sessions").doesNotContain("q quit");
    term.type("typed-into-cat");
    term.keys("Enter");
    Poll.until(WAIT, "cat's echo", () -> term.screen().split("typed-into-cat", -1).length > 2);

    // Ctrl-\ comes back to the picker, where it was
    term.keys("C-\\");
    Poll.until(WAIT, "back in the picker", () -> term.alternateScreen());
    term.waitFor("[Sessions]", WAIT);
    assertThat(term.screen()).contains("> ● first-job");

    // a phone in portrait: the panes stack, each title on its own row, every id whole
    term.resize(50, 20);
    Poll.until(WAIT, "narrow layout", () -> term.screen().contains(" ↵ attach"));
    List<String> rows = term.screen().lines().toList();
    assertThat(rows).allSatisfy(r -> assertThat(r.length()).isLessThanOrEqualTo(50));
    int nodes = indexOf(rows, "^ Nodes ─+$");
    int sessions = indexOf(rows, "^ \\[Sessions\\]\\s*$");
    int preview = indexOf(rows, "^ Preview · first-job@solo ─+$");
    assertThat(nodes).isEqualTo(1);
    assertThat(sessions).isGreaterThan(nodes);
    assertThat(preview).isGreaterThan(sessions);
    assertThat(rows.get(nodes + 1)).startsWith("> ● solo").contains("online");
    for (String id : IDS) {
      int at = indexOf(rows, "^[> ] [●○✕] " + Pattern.quote(id) + " +proc +running .*");
      assertThat(at).as(id + "\n" + String.join("\n", rows)).isBetween(sessions + 1, preview - 1);
    }
    for (int i = 0; i < preview; i++) {
      String r = rows.get(i);
      if (i != nodes + 1) {
        assertThat(r).as("row %d", i).doesNotContain("online");
      }
      if (i <= sessions) {
        assertThat(r).as("row %d", i).doesNotContain("first-job").doesNotContain("second-job");
      }
    }
    assertThat(rows.get(19)).contains("? help").contains("q quit");

    // q ends the SSH session, with status 0; the sessions keep running
    term.keys("q");
    term.waitFor("ssh-exit=0", WAIT);
    CliNodes.Run ls = CliNodes.run(TestNode.sshArgv(key, port, "127.0.0.1", "ls"));
    assertThat(ls.out()).containsPattern("first-job +process +running");
  }

  /** The one row matching {@code regex}; fails when none or several do. */
  private static int indexOf(List<String> rows, String regex) {
    int at = -1;
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).matches(regex)) {
        assertThat(at)
            .as("a second row for " + regex + ":\n" + String.join("\n", rows))
            .isEqualTo(-1);
        at = i;
      }
    }
    assertThat(at).as("a row for " + regex + ":\n" + String.join("\n", rows)).isNotNegative();
    return at;
  }
}
