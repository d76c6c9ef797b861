package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hack.node.api.PtySize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a program started on a PTY finds, by either spawn ({@code posix_spawn} on Linux, pty4j's as
 * the fallback): the terminal as its controlling terminal and its stdio, a session of its own, the
 * size it was given, its directory and environment, no descriptor of the node's, and its end reaped
 * with the right code by one thread for all programs.
 */
@Timeout(60) // output() reads until the program's end: a program that never ends fails, not hangs
class LocalPtyTest {
  @TempDir Path dir;

  private final List<LocalPty> started = new ArrayList<>();

  @AfterEach
  void end() {
    System.clearProperty("hack.spawn.pty4j");
    for (LocalPty p : started) {
      p.close();
    }
  }

  private LocalPty start(String script) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("HACK_TEST", "from-env");
    LocalPty p = LocalPty.start(List.of("sh", "-c", script), dir, env, new PtySize(91, 27));
    started.add(p);
    return p;
  }

  /** Everything the program prints until its end. */
  private static String output(LocalPty p) throws Exception {
    StringBuilder out = new StringBuilder();
    byte[] buf = new byte[4096];
    while (true) {
      int n;
      try {
        n = p.read(buf);
      } catch (IOException e) {
        break; // EIO: the program's side is closed
      }
      if (n <= 0) {
        break;
      }
      out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  @ParameterizedTest(name = "pty4j spawn: {0}")
  @ValueSource(booleans = {false, true})
  void theProgramLeadsASessionOnItsTerminalWithNothingOfTheNodes(boolean pty4j) throws Exception {
    if (pty4j) {
      System.setProperty("hack.spawn.pty4j", "true");
    }
    Files.writeString(dir.resolve("here"), "");
    LocalPty p =
        start(
            "echo tty=$(tty); echo size=$(stty size); echo sid=$(ps -o sid= -p $$) pid=$$;"
                + " echo ctty=$(ps -o tty= -p $$); ls here; echo env=$HACK_TEST;"
                + " printf fds=; ls /proc/$$/fd | tr '\\n' ' '; echo; exit 7");
    String out = output(p).replace("\r", "");
    assertThat(p.waitFor(Duration.ofSeconds(10))).isEqualTo(7);
    assertThat(out).contains("tty=/dev/pts/").contains("size=27 91").contains("env=from-env");
    assertThat(out).containsPattern("ctty=pts/\\d+").contains("\nhere\n");
    String sid = out.replaceAll("(?s).*sid=\\s*(\\d+) pid=(\\d+).*", "$1 $2");
    assertThat(sid.split(" ")[0]).as("a session leader: " + out).isEqualTo(sid.split(" ")[1]);
    // the shell's own 0 1 2 (and 255 for bash); nothing of the node's
    assertThat(out).containsPattern("fds=0 1 2 (255 )?\n");
    assertThat(p.isAlive()).isFalse();
  }

  @ParameterizedTest(name = "pty4j spawn: {0}")
  @ValueSource(booleans = {false, true})
  void theProgramStartsWithNoSignalBlockedOrIgnored(boolean pty4j) throws Exception {
    if (pty4j) {
      System.setProperty("hack.spawn.pty4j", "true");
    }
    LocalPty p = start("grep -E '^Sig(Blk|Ign)' /proc/self/status");
    String out = output(p).replace("\r", "");
    assertThat(p.waitFor(Duration.ofSeconds(10))).isZero();
    // 1 to 31; glibc's own two real-time signals (32, 33) are its business
    assertThat(mask(out, "SigBlk") & 0x7fffffffL).as(out).isZero();
    assertThat(mask(out, "SigIgn") & 0x7fffffffL).as(out).isZero();
  }

  private static long mask(String status, String name) {
    return Long.parseUnsignedLong(
        status.replaceAll("(?s).*" + name + ":\\s*([0-9a-f]+).*", "$1"), 16);
  }

  @Test
  void manyEndsAtOnceAreEachReapedWithTheirCode() throws Exception {
    List<LocalPty> ps = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ps.add(start("read x; exit " + i));
    }
    for (int i = 0; i < 100; i += 2) {
      ps.get(i).write(new byte[] {'\n'}, 0, 1);
    }
    for (int i = 1; i < 100; i += 2) {
      ps.get(i).signalGroup(Signals.SIGTERM);
    }
    for (int i = 0; i < 100; i++) {
      Integer code = ps.get(i).onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(code).as("program " + i).isEqualTo(i % 2 == 0 ? i : 128 + Signals.SIGTERM);
    }
    // reaped: no zombie left behind
    for (LocalPty p : ps) {
      assertThat(Files.exists(Path.of("/proc/" + p.pid()))).isFalse();
    }
  }

  @Test
  void aProgramThatCannotStartSaysWhy() {
    assertThatThrownBy(
            () ->
                LocalPty.start(
                    List.of("no-such-program-here"),
                    dir,
                    Map.of("PATH", System.getenv("PATH")),
                    new PtySize(80, 24)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot start 'no-such-program-here'")
        .hasMessageContaining("not found on PATH");
    assertThatThrownBy(
            () ->
                LocalPty.start(
                    List.of("sh"),
                    dir.resolve("gone"),
                    Map.of("PATH", System.getenv("PATH")),
                    new PtySize(80, 24)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot start");
  }
}
