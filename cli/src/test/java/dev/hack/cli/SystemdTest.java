package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hack.keys.HackHome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unit {@code hack daemon install} writes, checked by systemd's own {@code systemd-analyze
 * verify} (Debian's {@code systemd} package; it runs without systemd as PID 1), and the {@code
 * systemctl} calls it makes, against a stand-in {@code systemctl} that records them: no systemd
 * runs here to enable a unit in.
 */
class SystemdTest {
  @TempDir Path dir;

  /** A home whose path has what a unit file must quote or escape: a space, %, $ and a quote. */
  private HackHome awkwardHome() throws IOException {
    return HackHome.at(Files.createDirectories(dir.resolve("my home/100% \"$HOME\"/.hack")));
  }

  private NodeLaunch launch(HackHome home) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HACK_HOME", home.root().toString());
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("LANG", "C.UTF-8");
    return new NodeLaunch(
        Path.of(System.getProperty("java.home"), "bin", "java"),
        NodeLaunch.NODE_JVM_OPTIONS,
        NodeLaunch.jarIn(home),
        home,
        List.of("--ssh-port", "2200", "--name", "my node"),
        env,
        null);
  }

  @Test
  void theUserUnitPassesSystemdAnalyzeVerifyAndRunsTheNodeOfItsHome() throws Exception {
    HackHome home = awkwardHome();
    Path unitFile = dir.resolve("user/hack-node.service");
    Systemd user = new Systemd(false, unitFile, List.of("systemctl", "--user"), "alice");
    String unit = user.unitText(launch(home));
    assertThat(unit)
        .contains("\nType=simple\n")
        .contains("\nRestart=on-failure\n")
        .contains("\nSuccessExitStatus=143\n")
        .contains("\nKillMode=process\n")
        .contains("\nWantedBy=default.target\n")
        .doesNotContain("User=");
    Files.createDirectories(unitFile.getParent());
    Files.writeString(unitFile, unit);
    assertThat(user.installedFor(home)).isTrue();
    assertThat(user.installedFor(HackHome.at(dir.resolve("other")))).isFalse();
    // what systemd will run is exactly the launch: split and unescaped as systemd does it
    assertThat(execStartWords(unit)).isEqualTo(launch(home).argv());
    verify(unitFile, true);
  }

  @Test
  void theSystemUnitRunsAsItsUserAfterTheNetworkAndPassesVerify() throws Exception {
    HackHome home = awkwardHome();
    Path unitFile = dir.resolve("system/hack-node.service");
    Systemd system = new Systemd(true, unitFile, List.of("systemctl"), "alice");
    String unit = system.unitText(launch(home));
    assertThat(unit)
        .contains("\nUser=alice\n")
        .contains("\nAfter=network-online.target\n")
        .contains("\nWantedBy=multi-user.target\n");
    Files.createDirectories(unitFile.getParent());
    Files.writeString(unitFile, unit);
    assertThat(system.installedFor(home)).isTrue();
    verify(unitFile, false);
  }

  @Test
  void quotingRoundTripsAndControlCharactersAreRefused() {
    for (String s :
        List.of("plain", "/a b/c", "100%", "say \"hi\"", "back\\slash", "$HOME", "", "a;b")) {
      assertThat(Systemd.unquote(Systemd.quote(s))).as(s).isEqualTo(s);
    }
    assertThat(Systemd.quote("/usr/bin/java")).isEqualTo("/usr/bin/java");
    assertThat(Systemd.quote("100%")).isEqualTo("100%%");
    assertThatThrownBy(() -> Systemd.quote("a\nExecStartPre=/bin/evil"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void installWritesEnablesAndHintsAtLingerThenUninstallUndoesIt() throws Exception {
    HackHome home = HackHome.at(dir.resolve("home"));
    Path calls = dir.resolve("calls");
    Path systemctl = fakeSystemctl(calls, 0);
    Path unitFile = dir.resolve("config/systemd/user/hack-node.service");
    Systemd user =
        new Systemd(false, unitFile, List.of(systemctl.toString(), "--user"), "nobody-x");
    Path jar = Files.writeString(dir.resolve("built.jar"), "a jar");
    NodeLaunch launch = withSource(launch(home), jar);

    ByteArrayOutputStream text = new ByteArrayOutputStream();
    user.install(launch, new PrintStream(text, true, StandardCharsets.UTF_8));
    assertThat(Files.readString(unitFile)).isEqualTo(user.unitText(launch));
    assertThat(Files.readString(NodeLaunch.jarIn(home))).isEqualTo("a jar");
    assertThat(Files.getPosixFilePermissions(home.daemonDir()))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.readAllLines(calls))
        .containsExactly("--user daemon-reload", "--user enable --now hack-node.service");
    assertThat(text.toString(StandardCharsets.UTF_8))
        .contains("wrote " + unitFile)
        .contains("loginctl enable-linger nobody-x");

    // start and restart put the hack that runs them in place first
    Files.writeString(jar, "a newer jar");
    Files.delete(calls);
    user.start(launch);
    assertThat(Files.readString(NodeLaunch.jarIn(home))).isEqualTo("a newer jar");
    user.restart(launch);
    user.stop(null);
    assertThat(Files.readAllLines(calls))
        .containsExactly(
            "--user reset-failed hack-node.service",
            "--user start hack-node.service",
            "--user reset-failed hack-node.service",
            "--user restart hack-node.service",
            "--user stop hack-node.service");

    // a unit for another home is left alone
    ByteArrayOutputStream none = new ByteArrayOutputStream();
    assertThatThrownBy(
            () ->
                user.uninstall(
                    dir.resolve("other"), new PrintStream(none, true, StandardCharsets.UTF_8)))
        .hasMessageContaining("runs the node of " + home.root());
    assertThatThrownBy(
            () ->
                user.install(
                    withSource(launch(HackHome.at(dir.resolve("other"))), jar),
                    new PrintStream(none, true, StandardCharsets.UTF_8)))
        .hasMessageContaining("already runs the node of " + home.root());

    Files.delete(calls);
    ByteArrayOutputStream gone = new ByteArrayOutputStream();
    user.uninstall(home.root(), new PrintStream(gone, true, StandardCharsets.UTF_8));
    assertThat(unitFile).doesNotExist();
    assertThat(Files.readAllLines(calls))
        .containsExactly("--user disable --now hack-node.service", "--user daemon-reload");
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    user.uninstall(home.root(), new PrintStream(again, true, StandardCharsets.UTF_8));
    assertThat(again.toString(StandardCharsets.UTF_8)).contains("nothing to do");
  }

  @Test
  void aFailingSystemctlIsReportedWithWhatItSaid() throws Exception {
    HackHome home = HackHome.at(dir.resolve("home"));
    Path systemctl = fakeSystemctl(dir.resolve("calls"), 1);
    Systemd user =
        new Systemd(
            false,
            dir.resolve("u/hack-node.service"),
            List.of(systemctl.toString(), "--user"),
            "nobody-x");
    assertThatThrownBy(
            () -> user.start(withSource(launch(home), Files.writeString(dir.resolve("j"), "j"))))
        .hasMessageContaining("--user start hack-node.service failed: Failed to connect to bus")
        .hasMessageContaining("log in as yourself");
  }

  private static NodeLaunch withSource(NodeLaunch l, Path jar) {
    return new NodeLaunch(l.java(), l.jvmOptions(), l.jar(), l.home(), l.serveArgs(), l.env(), jar);
  }

  /** A {@code systemctl} that appends its arguments to {@code calls} and exits {@code exit}. */
  private Path fakeSystemctl(Path calls, int exit) throws IOException {
    Path script = dir.resolve("systemctl");
    Files.writeString(
        script,
        "#!/bin/sh\necho \"$*\" >> '"
            + calls
            + "'\n"
            + (exit == 0 ? "" : "echo 'Failed to connect to bus: No medium found' >&2\n")
            + "exit "
            + exit
            + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  /**
   * Runs {@code systemd-analyze verify} on the unit (as a user unit with {@code --user}, which
   * wants a runtime directory) and expects no complaint at all: it exits 0 on warnings such as an
   * unknown key, so its output must be empty too.
   */
  private void verify(Path unitFile, boolean user) throws Exception {
    Assumptions.assumeTrue(
        Background.onPath("systemd-analyze").isPresent(),
        "systemd-analyze is not installed (Debian's systemd package)");
    List<String> cmd = new ArrayList<>(List.of("systemd-analyze"));
    if (user) {
      cmd.add("--user");
    }
    cmd.addAll(List.of("verify", unitFile.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Path runtime = Files.createDirectories(dir.resolve("runtime"));
    Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
    pb.environment().put("XDG_RUNTIME_DIR", runtime.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(Duration.ofSeconds(60).toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
        .isTrue();
    assertThat(out).as("systemd-analyze verify said").isEmpty();
    assertThat(p.exitValue()).isZero();
  }

  /** The words of the unit's ExecStart line, split and unescaped as systemd does. */
  private static List<String> execStartWords(String unit) {
    String line =
        unit.lines()
            .filter(l -> l.startsWith("ExecStart="))
            .findFirst()
            .orElseThrow()
            .substring(10);
    List<String> words = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean quoted = false;
    boolean inWord = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '\\') {
          w.append(line.charAt(++i));
        } else if (c == '"') {
          quoted = false;
        } else {
          w.append(c);
        }
      } else if (c == '"') {
        quoted = true;
        inWord = true;
      } else if (c == ' ') {
        if (inWord) {
          words.add(w.toString());
          w.setLength(0);
          inWord = false;
        }
      } else {
        w.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(w.toString());
    }
    words.replaceAll(s -> s.replace("%%", "%").replace("$$", "$"));
    return words;
  }
}
