package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code help} is read from the verbs' own declarations, so it cannot leave a command or an option
 * out; and every command the table has is in docs/ssh.md.
 */
class SshHelpTest {
  @TempDir Path dir;

  /** Every command that runs, as {@code help} names it: {@code ls}, {@code job start}, ... */
  private static Map<String, CommandLine> leaves() {
    Map<String, CommandLine> out = new java.util.LinkedHashMap<>();
    for (CommandLine c : SshCommands.parser().getSubcommands().values()) {
      if (c.getSubcommands().isEmpty()) {
        out.put(c.getCommandName(), c);
      }
      for (CommandLine sub : c.getSubcommands().values()) {
        out.put(c.getCommandName() + " " + sub.getCommandName(), sub);
      }
    }
    return out;
  }

  @Test
  void helpNamesEveryCommandWithEveryOptionWithinTheWidth() {
    String usage = SshCommands.usage();
    List<String> lines = usage.lines().toList();
    assertThat(lines.get(0)).isEqualTo("usage: ssh NODE COMMAND");
    for (String line : lines) {
      assertThat(line.length()).as(line).isLessThanOrEqualTo(100);
    }
    for (Map.Entry<String, CommandLine> e : leaves().entrySet()) {
      String entry = entry(lines, e.getKey());
      assertThat(entry).as("help has %s", e.getKey()).isNotNull();
      for (OptionSpec o : e.getValue().getCommandSpec().options()) {
        if (!o.usageHelp()) {
          assertThat(entry).as(e.getKey()).contains(o.longestName());
        }
      }
      assertThat(entry.substring(e.getKey().length()).strip())
          .as("%s says what it does", e.getKey())
          .isNotEmpty();
    }
  }

  /** The lines of the entry that starts with {@code " " + name + " "}, joined, or null. */
  private static String entry(List<String> lines, String name) {
    for (int i = 1; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.startsWith("  " + name + " ") || l.equals("  " + name)) {
        StringBuilder sb = new StringBuilder(l.strip());
        for (int j = i + 1; j < lines.size() && lines.get(j).startsWith("    "); j++) {
          sb.append(' ').append(lines.get(j).strip());
        }
        return sb.toString();
      }
    }
    return null;
  }

  @Test
  void theDocsListEveryCommand() throws Exception {
    Path docs = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/ssh.md");
    String text = Files.readString(docs, StandardCharsets.UTF_8);
    List<String> missing = new ArrayList<>();
    for (String name : leaves().keySet()) {
      if (!text.contains("`" + name + " ") && !text.contains("`" + name + "`")) {
        missing.add(name);
      }
    }
    assertThat(missing).as("commands docs/ssh.md does not name").isEmpty();
  }

  @Test
  void helpOverSshIsTheTableAndEachCommandHasItsOwn() throws Exception {
    try (TestNode node = TestNode.start(dir)) {
      Result help = node.ssh("127.0.0.1", "help");
      assertThat(help.exit()).as(help.err()).isZero();
      assertThat(help.out()).isEqualTo(SshCommands.usage());

      Result jobStart = node.ssh("127.0.0.1", "help", "job");
      assertThat(jobStart.exit()).isZero();
      assertThat(jobStart.out()).contains("start").contains("cancel");

      Result group = node.ssh("127.0.0.1", "job");
      assertThat(group.exit()).isEqualTo(2);
      assertThat(group.out()).isEmpty();
      assertThat(group.err()).contains("start").contains("cancel");

      Result own = node.ssh("127.0.0.1", "job", "start", "--help");
      assertThat(own.exit()).isZero();
      assertThat(own.out()).contains("--project").contains("--env");
    }
  }
}
