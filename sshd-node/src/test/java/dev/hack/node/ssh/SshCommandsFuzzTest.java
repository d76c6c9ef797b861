package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Fuzzes the SSH command table: a line is split as {@link ChannelCommand} splits it and parsed with
 * picocli over {@link SshCommands}, with and without an {@code @FILE} word naming a canary file.
 * Parsing fails only with picocli's {@link ParameterException}; usage and the role a command needs
 * are always computed; and the canary's content never shows up in a parsed value or an error
 * (docs/fuzzing.md). Production's {@code @FILE} behaviour is checked by {@link SshAtFilesTest}.
 */
class SshCommandsFuzzTest {
  static final String MARKER = "canary-7f3a9c1e-was-read";
  static final Path CANARY = canary();

  private static Path canary() {
    try {
      Path dir = Files.createTempDirectory("hack-fuzz-canary");
      Path file = dir.resolve("canary");
      // if it were expanded, its words would read as a command a view login may run
      Files.writeString(file, "attach " + MARKER + " --read-only\n");
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Built once: constructing the table takes picocli 10 to 40 ms, and parseArgs resets every value
   * it holds before it parses again.
   */
  private static final CommandLine TABLE = commandLine();

  /** The command table as {@code ChannelCommand.dispatch} builds it. */
  static CommandLine commandLine() {
    return SshCommands.parser();
  }

  @FuzzTest(maxDuration = "3m")
  void parse(byte[] input) {
    List<String> words;
    try {
      words = ShellWords.split(new String(input, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return; // ShellWordsFuzzTest covers the splitter
    }
    if (words.isEmpty()) {
      assertThat(SshCommands.needs(words).role()).isEqualTo(TailnetRole.VIEW);
      return;
    }
    List<String> withCanary = new ArrayList<>(words);
    withCanary.add(input.length % (words.size() + 1), "@" + CANARY);
    check(words);
    check(withCanary);
    if (Arrays.hashCode(input) % 8 == 0 && words.stream().noneMatch(w -> w.startsWith("@"))) {
      // production's own CommandLine, new on each call, so only on one input in eight (its @FILE
      // words are SshAtFilesTest's)
      assertThat(SshCommands.needs(words).role()).isEqualTo(reference(words).role());
    }
  }

  private static void check(List<String> words) {
    CommandLine cl = TABLE;
    String name = words.get(0);
    ParseResult parsed;
    try {
      parsed = cl.parseArgs(words.toArray(String[]::new));
    } catch (ParameterException e) {
      // the line ChannelCommand prints for it
      String line = "hack: " + name + ": " + e.getMessage() + " (see: help " + name + ")";
      assertThat(line).doesNotContain(MARKER);
      return;
    }
    assertThat(parsed.originalArgs()).isEqualTo(words);
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      for (var arg : p.matchedArgs()) {
        assertThat(String.valueOf((Object) arg.getValue())).doesNotContain(MARKER);
      }
      if (p.isUsageHelpRequested()) {
        StringWriter w = new StringWriter();
        p.commandSpec().commandLine().usage(new PrintWriter(w), CommandLine.Help.Ansi.OFF);
        assertThat(w.toString()).isNotEmpty();
      }
      if (!p.hasSubcommand()) {
        break;
      }
    }
    SshCommands.Needs needs = SshCommands.needs(parsed);
    assertThat(needs.role()).isNotNull();
    assertThat(needs.what()).doesNotContain(MARKER);
  }

  /**
   * What {@link SshCommands#needs(List)} should answer for a line the parser takes: what the parse
   * says (the raw words decide before parsing, and the parse is checked again, so the two must
   * agree). A line the parser refuses ends with exit status 2 whatever the role, and a line asking
   * for help is allowed to any role: for those only the raw answer counts.
   */
  private static SshCommands.Needs reference(List<String> words) {
    ParseResult parsed;
    try {
      parsed = SshCommands.parser().parseArgs(words.toArray(String[]::new));
    } catch (ParameterException e) {
      return SshCommands.needs(words);
    }
    for (ParseResult p = parsed; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
      if (p.isUsageHelpRequested()) {
        return SshCommands.needs(words);
      }
    }
    return SshCommands.needs(parsed);
  }
}
