package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.keys.HackHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The parts of {@code hack daemon} that need no node: options passed on, pids checked. */
class DaemonCommandTest {
  @TempDir Path dir;

  @Test
  void onlyTheServeOptionsGivenArePassedOnAndRelativePathsMadeAbsolute() {
    DaemonCommand.Start start = new DaemonCommand.Start();
    new CommandLine(start)
        .parseArgs(
            "--ssh-port",
            "0",
            "--name",
            "my node",
            "--keeper",
            "--tmux-socket",
            "t.sock",
            "--timeout",
            "5s");
    assertThat(start.options.given())
        .containsExactly(
            "--ssh-port",
            "0",
            "--name",
            "my node",
            "--tmux-socket",
            Path.of("t.sock").toAbsolutePath().toString(),
            "--keeper"); // in the order node serve declares them
    DaemonCommand.Start bare = new DaemonCommand.Start();
    new CommandLine(bare).parseArgs();
    assertThat(bare.options.given()).isEmpty();
  }

  @Test
  void aNodeJsonLeftBehindNeverMakesAnotherProgramTheNode() throws Exception {
    HackHome home = HackHome.at(dir.resolve("home"));
    Files.createDirectories(home.daemonDir());
    // this test's JVM: alive, but not `node serve`
    long me = ProcessHandle.current().pid();
    Files.writeString(
        home.nodeFile(),
        "{\"pid\": " + me + ", \"started_at\": \"" + Instant.now() + "\", \"ssh\": {}}");
    RunningNode found = RunningNode.find(home).orElseThrow();
    assertThat(found.notThisNode())
        .hasValueSatisfying(w -> assertThat(w).contains("not a hack node"));
    assertThat(DaemonControl.running(home)).isEmpty();

    // a pid reused by a process that started after the node said it did
    Files.writeString(
        home.nodeFile(),
        "{\"pid\": "
            + me
            + ", \"started_at\": \""
            + Instant.now().minus(Duration.ofHours(1))
            + "\"}");
    assertThat(RunningNode.find(home).orElseThrow().notThisNode())
        .hasValueSatisfying(w -> assertThat(w).contains("its pid was reused"));

    assertThat(RunningNode.servesANode(List.of("java", "-jar", "hack.jar", "node", "serve")))
        .isTrue();
    assertThat(RunningNode.servesANode(List.of("vim", "node", "server.js"))).isFalse();
  }

  @Test
  void uptimeReadsLikeAPersonWouldSayIt() {
    assertThat(DaemonStatus.uptime(Duration.ofSeconds(12))).isEqualTo("12s");
    assertThat(DaemonStatus.uptime(Duration.ofSeconds(303))).isEqualTo("5m 3s");
    assertThat(DaemonStatus.uptime(Duration.ofMinutes(134))).isEqualTo("2h 14m");
    assertThat(DaemonStatus.uptime(Duration.ofHours(76))).isEqualTo("3d 4h");
  }
}
