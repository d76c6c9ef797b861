package dev.hack.tui;

import static org.assertj.core.api.Assertions.assertThat;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.TerminalScreen;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The byte side of the terminal: what SSH clients and raw ttys send, and what we write. */
class StreamTerminalTest {
  private final InputPipe in = new InputPipe();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final StreamTerminal term = new StreamTerminal(in, out, 80, 24);

  private void feed(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    in.write(b, 0, b.length);
  }

  private List<KeyStroke> keys() throws Exception {
    List<KeyStroke> got = new ArrayList<>();
    for (KeyStroke k; (k = term.pollInput()) != null; ) {
      got.add(k);
    }
    return got;
  }

  @Test
  void aLoneCarriageReturnIsEnterAndTheNextKeyIsKept() throws Exception {
    feed("\r");
    assertThat(keys()).extracting(KeyStroke::getKeyType).containsExactly(KeyType.Enter);
    feed("j");
    assertThat(keys()).extracting(KeyStroke::getCharacter).containsExactly('j');
  }

  @Test
  void anArrowKeySplitAcrossPacketsIsHeldUntilItsRestArrives() throws Exception {
    feed("\u001b");
    assertThat(in.pendingEscape(TuiLoop.ESC_GRACE_MS)).isTrue();
    feed("[");
    assertThat(in.pendingEscape(TuiLoop.ESC_GRACE_MS)).isTrue();
    feed("A");
    assertThat(in.pendingEscape(TuiLoop.ESC_GRACE_MS)).isFalse();
    assertThat(keys()).extracting(KeyStroke::getKeyType).containsExactly(KeyType.ArrowUp);
    feed("\u001b");
    assertThat(in.pendingEscape(0)).isFalse(); // once the grace is over, a lone ESC is Escape
    assertThat(keys()).extracting(KeyStroke::getKeyType).containsExactly(KeyType.Escape);
  }

  @Test
  void halfAUtf8CharacterIsNotOfferedSoPollingNeverBlocks() throws Exception {
    in.write(new byte[] {'a', (byte) 0xc3}, 0, 2);
    assertThat(in.available()).isEqualTo(1);
    assertThat(keys()).extracting(KeyStroke::getCharacter).containsExactly('a');
    in.write(new byte[] {(byte) 0xa9}, 0, 1);
    assertThat(keys()).extracting(KeyStroke::getCharacter).containsExactly('é');
  }

  @Test
  void backspaceAndControlKeysDecode() throws Exception {
    feed("\u007f\u0015\u0003\t");
    List<KeyStroke> k = keys();
    assertThat(k.get(0).getKeyType()).isEqualTo(KeyType.Backspace);
    assertThat(k.get(1).isCtrlDown()).isTrue();
    assertThat(k.get(1).getCharacter()).isEqualTo('u');
    assertThat(k.get(2).getCharacter()).isEqualTo('c');
    assertThat(k.get(3).getKeyType()).isEqualTo(KeyType.Tab);
  }

  @Test
  void textIsWrittenAsWholeUtf8WithoutControlsOrPadding() throws Exception {
    term.putString("é→\u001b[31mx\u0000");
    term.flush();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("é→[31mx");
  }

  @Test
  void theSizeIsOursWithoutProbingAndZeroMeansUnknown() throws Exception {
    assertThat(term.getTerminalSize().getColumns()).isEqualTo(80);
    term.resize(50, 20);
    assertThat(term.getTerminalSize().getRows()).isEqualTo(20);
    term.resize(0, 0);
    assertThat(term.getTerminalSize().getColumns()).isEqualTo(80);
    assertThat(out.size()).isZero(); // no cursor-position probe was written
  }

  @Test
  void theScreenComesBackWhole() throws Exception {
    TerminalScreen screen = new TerminalScreen(term);
    screen.startScreen();
    screen.newTextGraphics().putString(0, 0, "picker");
    screen.refresh();
    screen.stopScreen(false);
    String left = out.toString(StandardCharsets.UTF_8);
    assertThat(left).endsWith("\u001b[?1049l"); // back on the main screen for the session
    out.reset();
    screen.startScreen();
    screen.refresh();
    String back = out.toString(StandardCharsets.UTF_8);
    assertThat(back).startsWith("\u001b[?1049h").contains("picker");
  }
}
