package dev.hack.node.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both platforms' new-session helpers, run here: Linux's {@code setsid(1)} and macOS's Perl, which
 * is the same Perl with the same {@code POSIX} module on Linux. What a caller relies on: the pid
 * the JVM sees is the program's, it leads a new session and process group, the argv arrives as
 * given, and a program that cannot run exits as a shell would say.
 */
@EnabledOnOs(OS.LINUX)
class NewSessionTest {
  static Stream<Platform> platforms() {
    return Stream.of(LinuxPlatform.INSTANCE, MacPlatform.INSTANCE);
  }

  @ParameterizedTest
  @MethodSource("platforms")
  void theProgramKeepsItsPidAndLeadsANewSessionAndGroup(Platform platform) throws Exception {
    List<String> argv = helper(platform);
    argv.addAll(List.of("sleep", "30"));
    Process p = new ProcessBuilder(argv).start();
    try {
      Poll.until(
          RealProcesses.TIMEOUT, "sleep", () -> "sleep".equals(RealProcesses.command(p.pid())));
      List<String> stat = RealProcesses.stat(p.pid());
      String pid = Long.toString(p.pid());
      assertThat(stat.get(2)).as("pgrp").isEqualTo(pid);
      assertThat(stat.get(3)).as("session").isEqualTo(pid);
      assertThat(stat.get(4)).as("tty_nr: no controlling terminal").isEqualTo("0");
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  @ParameterizedTest
  @MethodSource("platforms")
  void argumentsThatLookLikeOptionsReachTheProgramUnchanged(Platform platform) throws Exception {
    List<String> argv = helper(platform);
    argv.addAll(List.of("sh", "-c", "printf '%s|' \"$@\"", "sh", "-e", "--", "-x", "a b", ""));
    RealProcesses.Ran r = RealProcesses.run(argv);
    assertThat(r.status()).isZero();
    assertThat(r.output()).isEqualTo("-e|--|-x|a b||");
  }

  @ParameterizedTest
  @MethodSource("platforms")
  void theProgramIsLookedUpOnPathAndExitsWithItsOwnStatus(Platform platform) throws Exception {
    List<String> argv = helper(platform);
    argv.addAll(List.of("sh", "-c", "exit 7"));
    assertThat(RealProcesses.run(argv).status()).isEqualTo(7);
  }

  @ParameterizedTest
  @MethodSource("platforms")
  void aProgramThatIsNotThereExits127(Platform platform) throws Exception {
    List<String> argv = helper(platform);
    argv.add("/nonexistent/program");
    assertThat(RealProcesses.run(argv).status()).isEqualTo(127);
  }

  private static List<String> helper(Platform platform) {
    List<String> prefix = platform.newSessionCommand();
    Assumptions.assumeFalse(prefix.isEmpty(), "no new-session helper for " + platform + " here");
    return new ArrayList<>(prefix);
  }
}
