package dev.hack.node.screen;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzzes the screen model with terminal output at small sizes, with resizes in between
 * (docs/fuzzing.md). An input is three header bytes, then output bytes:
 *
 * <ul>
 *   <li>byte 0: columns - 1 (mod 128), byte 1: rows - 1 (mod 64), byte 2: how many characters each
 *       {@link VtScreen#write} gets, minus 1 (so sequences and surrogate pairs are cut anywhere);
 *   <li>the bytes {@code FF FE c r} (never in UTF-8 text) resize the screen to {@code c} x {@code
 *       r} (same encoding as the header); other bytes are UTF-8 output, invalid sequences as
 *       U+FFFD.
 * </ul>
 *
 * <p>After every write the structural invariants hold ({@link VtScreen#checkInvariants}: cursor and
 * region on the screen, every row as wide as the screen, no orphan wide-character halves), and
 * {@link VtScreen#lines}, {@link VtScreen#repaint} and {@link VtScreen#takeReplies} do not throw;
 * at the end a repaint makes a screen that first saw garbage identical to this one.
 */
class VtScreenFuzzTest {
  private static final String GARBAGE =
      "\033[?1049h\033[5;10r\033[?6h\033[4h\033[?7l\033[1;31mgarbage \u4e2d\033(0\016\033[3g half a CSI \033[12;";

  @FuzzTest(maxDuration = "3m")
  void output(byte[] input) {
    if (input.length < 3) {
      return;
    }
    VtScreen screen = new VtScreen(columns(input[0]), rows(input[1]));
    int chunk = 1 + (input[2] & 0xff);
    int start = 3;
    for (int i = 3; i <= input.length; i++) {
      boolean resize =
          i + 3 < input.length && (input[i] & 0xff) == 0xff && (input[i + 1] & 0xff) == 0xfe;
      if (i == input.length || resize) {
        feed(screen, Arrays.copyOfRange(input, start, i), chunk);
        if (resize) {
          screen.resize(columns(input[i + 2]), rows(input[i + 3]));
          check(screen);
          i += 3;
          start = i + 1;
        }
      }
    }
    VtScreen copy = new VtScreen(screen.columns(), screen.rows());
    copy.write(GARBAGE);
    copy.write(screen.repaint());
    copy.checkInvariants();
    assertThat(copy.dumpState()).isEqualTo(screen.dumpState());
    assertThat(copy.lines()).isEqualTo(screen.lines());
  }

  private static void feed(VtScreen screen, byte[] bytes, int chunk) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    int writes = (text.length() + chunk - 1) / chunk;
    int every = Math.max(1, writes / 32); // a check walks every cell: about 32 per input
    for (int at = 0, n = 0; at < text.length(); at += chunk, n++) {
      screen.write(text.substring(at, Math.min(text.length(), at + chunk)));
      if (n % every == 0 || at + chunk >= text.length()) {
        check(screen);
      } else {
        assertThat(screen.cursorX()).isBetween(0, screen.columns() - 1);
        assertThat(screen.cursorY()).isBetween(0, screen.rows() - 1);
      }
    }
  }

  private static void check(VtScreen s) {
    s.checkInvariants();
    assertThat(s.cursorX()).isBetween(0, s.columns() - 1);
    assertThat(s.cursorY()).isBetween(0, s.rows() - 1);
    assertThat(s.lines()).hasSize(s.rows());
    assertThat(s.repaint()).isNotEmpty();
    assertThat(s.takeReplies().length()).isLessThanOrEqualTo(64 * 1024);
  }

  private static int columns(byte b) {
    return 1 + (b & 0x7f);
  }

  private static int rows(byte b) {
    return 1 + (b & 0x3f);
  }
}
