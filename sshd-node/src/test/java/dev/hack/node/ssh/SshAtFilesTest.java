package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote input is data, never a file name to expand (DESIGN.md): picocli's {@code @FILE} expansion
 * must be off wherever the node parses an SSH command line. These tests fail until every such
 * {@code CommandLine} calls {@code setExpandAtFiles(false)} (fuzzing's canary, docs/fuzzing.md).
 */
class SshAtFilesTest {
  @TempDir Path dir;

  private Path canary() throws Exception {
    Path file = dir.resolve("canary");
    Files.writeString(file, "attach " + SshCommandsFuzzTest.MARKER + " --read-only\n");
    return file;
  }

  @Test
  void rolesAreDecidedWithoutReadingAnArgumentAsAFile() throws Exception {
    // expanded, the file would read "attach X --read-only": a command a view login may run
    SshCommands.Needs needs = SshCommands.needs(List.of("@" + canary()));
    assertThat(needs.role()).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs.what()).doesNotContain(SshCommandsFuzzTest.MARKER);
  }

  @Test
  void anArgumentNamingADirectoryIsAnUnknownCommandNotACrash() {
    // picocli tries to read "@." as an argument file and throws InitializationException
    assertThat(SshCommands.needs(List.of("@.")).role()).isEqualTo(TailnetRole.CONTROL);
  }

  @Test
  void errorsNeverQuoteTheContentOfAFileNamedByAnArgument() throws Exception {
    Path canary = canary();
    try (TestNode node = TestNode.start(dir.resolve("node"))) {
      for (String line : List.of("ls @" + canary, "attach @" + canary, "logs x @" + canary)) {
        Result r = node.mina(line);
        assertThat(r.exit()).as(line).isEqualTo(2);
        assertThat(r.out() + r.err()).as(line).doesNotContain(SshCommandsFuzzTest.MARKER);
      }
    }
  }
}
