package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hack.keys.HackHome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LaunchAgent plist {@code hack daemon install} writes on macOS, parsed by the JDK's XML parser
 * and, where Python is installed, by its {@code plistlib} (a real plist reader; {@code plutil
 * -lint} exists only on macOS). {@code launchctl} is not run: no launchd here (docs/daemon.md).
 */
class LaunchdTest {
  @TempDir Path dir;

  private NodeLaunch launch(HackHome home) {
    return new NodeLaunch(
        Path.of("/usr/bin/java"),
        NodeLaunch.NODE_JVM_OPTIONS,
        NodeLaunch.jarIn(home),
        home,
        List.of("--name", "Tom & Jerry's <mac>"),
        Map.of("HACK_HOME", home.root().toString(), "PATH", "/opt/homebrew/bin:/usr/bin"),
        null);
  }

  @Test
  void thePlistParsesKeepsTheNodeAliveAndNamesItsHome() throws Exception {
    HackHome home = HackHome.at(dir.resolve("a & b <c>/.hack"));
    Path plist = dir.resolve("LaunchAgents/dev.hack.node.plist");
    Launchd agent = new Launchd(plist, "gui/501");
    String text = agent.unitText(launch(home));
    Map<String, Object> p = Launchd.parse(text);
    assertThat(p.get("Label")).isEqualTo("dev.hack.node");
    assertThat(p.get("ProgramArguments")).isEqualTo(launch(home).argv());
    assertThat(p.get("RunAtLoad")).isEqualTo(Boolean.TRUE);
    assertThat(p.get("KeepAlive")).isEqualTo(Boolean.TRUE);
    assertThat(p.get("AbandonProcessGroup")).isEqualTo(Boolean.TRUE);
    assertThat(p.get("StandardErrorPath")).isEqualTo(NodeLaunch.log(home).toString());
    assertThat(p.get("EnvironmentVariables"))
        .isEqualTo(
            Map.of("HACK_HOME", home.root().toString(), "PATH", "/opt/homebrew/bin:/usr/bin"));

    Files.createDirectories(plist.getParent());
    Files.writeString(plist, text);
    assertThat(agent.installedFor(home)).isTrue();
    assertThat(agent.installedFor(HackHome.at(dir.resolve("other")))).isFalse();
    plistlib(plist, launch(home).argv());
  }

  @Test
  void notAPlistIsSaidSoAndControlCharactersAreRefused() {
    assertThatThrownBy(() -> Launchd.parse("<plist><dict><key>a</key></dict></plist>"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("a key and no value");
    assertThatThrownBy(() -> Launchd.parse("<html/>")).hasMessageContaining("not a plist");
    assertThatThrownBy(() -> Launchd.parse("<plist><dict>")).hasMessageContaining("well-formed");
    assertThatThrownBy(() -> Launchd.xml("a\u0007b")).isInstanceOf(IllegalArgumentException.class);
  }

  /** Python's plist reader loads the file, and reads the same program arguments. */
  private void plistlib(Path plist, List<String> argv) throws Exception {
    Assumptions.assumeTrue(Background.onPath("python3").isPresent(), "python3 is not installed");
    Process p =
        new ProcessBuilder(
                "python3",
                "-c",
                "import plistlib,sys,json\n"
                    + "d = plistlib.load(open(sys.argv[1], 'rb'))\n"
                    + "assert d['KeepAlive'] is True and d['RunAtLoad'] is True, d\n"
                    + "print(json.dumps(d['ProgramArguments']))",
                plist.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(com.google.gson.JsonParser.parseString(out).getAsJsonArray().asList())
        .map(e -> e.getAsString())
        .isEqualTo(argv);
  }
}
