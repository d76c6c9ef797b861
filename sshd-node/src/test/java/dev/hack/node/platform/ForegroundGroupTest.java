package dev.hack.node.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.pty4j.PtyProcess;
import dev.hack.node.testing.Poll;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The foreground process group of a real shell on a real PTY, as Ctrl-C would reach it, from both
 * implementations: Linux's reads {@code /proc}, macOS's runs {@code ps -o tpgid=}, which Linux's
 * procps answers too. The expected answers come from {@code /proc} and the shell's own children.
 */
@EnabledOnOs(OS.LINUX)
class ForegroundGroupTest {
  static Stream<Platform> platforms() {
    return Stream.of(LinuxPlatform.INSTANCE, MacPlatform.INSTANCE);
  }

  @ParameterizedTest
  @MethodSource("platforms")
  void aProgramRunningUnderAShellIsTheForegroundGroupNotTheShell(Platform platform)
      throws Exception {
    assumeTools(platform);
    PtyProcess shell = RealProcesses.interactiveShell();
    try {
      RealProcesses.Output out = new RealProcesses.Output(shell.getInputStream());
      out.await("$ ");
      assertThat(platform.foregroundProcessGroup(shell.pid())).hasValue(shell.pid());

      shell.getOutputStream().write("sleep 30\n".getBytes(StandardCharsets.US_ASCII));
      shell.getOutputStream().flush();
      long sleep =
          Poll.until(
              RealProcesses.TIMEOUT,
              "the shell's sleep",
              () ->
                  ProcessHandle.of(shell.pid())
                      .orElseThrow()
                      .children()
                      .filter(this::isSleep)
                      .map(ProcessHandle::pid)
                      .findFirst()
                      .orElse(null));
      // job control gives the job a group of its own, led by its first process
      Poll.until(
          RealProcesses.TIMEOUT,
          "sleep's group in the foreground",
          () -> platform.foregroundProcessGroup(shell.pid()).equals(OptionalLong.of(sleep)));
      assertThat(RealProcesses.stat(sleep).get(2)).isEqualTo(Long.toString(sleep)); // its pgrp
      assertThat(platform.foregroundProcessGroup(sleep)).hasValue(sleep); // same terminal

      shell.getOutputStream().write(3); // Ctrl-C: the kernel ends sleep, the shell stays
      shell.getOutputStream().flush();
      Poll.until(
          RealProcesses.TIMEOUT,
          "the shell back in the foreground",
          () -> platform.foregroundProcessGroup(shell.pid()).equals(OptionalLong.of(shell.pid())));
      assertThat(shell.isAlive()).isTrue();
    } finally {
      shell.destroyForcibly();
      shell.waitFor();
    }
  }

  @ParameterizedTest
  @MethodSource("platforms")
  void aProcessWithoutATerminalHasNoForegroundGroup(Platform platform) throws Exception {
    assumeTools(platform);
    List<String> argv = new ArrayList<>(LinuxPlatform.INSTANCE.newSessionCommand());
    argv.addAll(List.of("sleep", "30"));
    Process p = new ProcessBuilder(argv).start(); // a new session: no controlling terminal
    try {
      Poll.until(
          RealProcesses.TIMEOUT, "sleep", () -> "sleep".equals(RealProcesses.command(p.pid())));
      assertThat(RealProcesses.stat(p.pid()).get(5)).isEqualTo("-1"); // what /proc says: none
      assertThat(platform.foregroundProcessGroup(p.pid())).isEmpty();
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  @ParameterizedTest
  @MethodSource("platforms")
  void aProcessThatIsGoneHasNoForegroundGroup(Platform platform) throws Exception {
    assumeTools(platform);
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    assertThat(platform.foregroundProcessGroup(p.pid())).isEmpty();
  }

  private boolean isSleep(ProcessHandle h) {
    try {
      return "sleep".equals(RealProcesses.command(h.pid()));
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static void assumeTools(Platform platform) {
    Assumptions.assumeTrue(
        platform != MacPlatform.INSTANCE || Files.isExecutable(Path.of(MacPlatform.PS)),
        "no " + MacPlatform.PS);
    Assumptions.assumeTrue(!LinuxPlatform.INSTANCE.newSessionCommand().isEmpty(), "no setsid");
  }
}
