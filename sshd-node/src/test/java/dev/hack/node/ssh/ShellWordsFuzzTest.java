package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Fuzzes the SSH command-line splitter and the {@code send} unescaper (docs/fuzzing.md). Under
 * {@code mvn test} each target runs only its checked-in inputs ({@code ShellWordsFuzzTestInputs/});
 * with {@code JAZZER_FUZZ=1} it fuzzes.
 */
class ShellWordsFuzzTest {

  /**
   * Any line splits into words or fails with IllegalArgumentException; the words, each quoted
   * again, split back into the same words (nothing is expanded or lost).
   */
  @FuzzTest(maxDuration = "2m")
  void split(byte[] input) {
    String line = new String(input, StandardCharsets.UTF_8);
    List<String> words;
    try {
      words = ShellWords.split(line);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    assertThat(words).doesNotContainNull();
    if (line.chars().allMatch(c -> c == ' ' || c == '\t' || c == '\n')) {
      assertThat(words).isEmpty(); // a shell's separators; \v or \f is a word, as in sh
    }
    String requoted =
        words.stream()
            .map(w -> "'" + w.replace("'", "'\\''") + "'")
            .collect(Collectors.joining(" "));
    assertThat(ShellWords.split(requoted)).isEqualTo(words);
  }

  /**
   * Any text unescapes to bytes without throwing; text without a backslash is its own UTF-8, and
   * {@code \\xHH} escapes give back every byte value.
   */
  @FuzzTest(maxDuration = "1m")
  void unescape(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    byte[] out = ShellWords.unescape(text);
    if (text.indexOf('\\') < 0) {
      assertThat(out).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
    }
    StringBuilder hex = new StringBuilder();
    for (byte b : input) {
      hex.append(String.format("\\x%02x", b & 0xff));
    }
    assertThat(ShellWords.unescape(hex.toString())).isEqualTo(input);
  }
}
