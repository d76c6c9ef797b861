package dev.hack.node.screen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VtScreenTest {
  private static final String ESC = "\033";
  private static final String CSI = "\033[";

  // Garbage a client terminal may have seen before it gets a repaint: every kind of state the
  // repaint must override, and sequences left unterminated.
  private static final List<String> GARBAGE =
      List.of(
          "",
          CSI
              + "?1049h"
              + CSI
              + "5;10r"
              + CSI
              + "?6h"
              + CSI
              + "4h"
              + CSI
              + "20h"
              + CSI
              + "?7l"
              + CSI
              + "1;31;48;2;1;2;3mgarbage 中文"
              + ESC
              + "(0"
              + "\016"
              + CSI
              + "3g"
              + ESC
              + "7"
              + CSI
              + "?1h"
              + ESC
              + "="
              + CSI
              + "?2004h"
              + CSI
              + "?1003h"
              + CSI
              + "?1006h"
              + CSI
              + "?25l"
              + CSI
              + "?5h"
              + CSI
              + "4 q"
              + CSI
              + "?1004h"
              + ESC
              + "N",
          "half a CSI " + CSI + "12;",
          "an unterminated OSC " + ESC + "]0;title without end",
          "a DCS " + ESC + "Pq#0;2;0;0;0#1!14~",
          "wide at the end 中"
              + CSI
              + "?1047h text on alt"
              + CSI
              + "?47l"
              + CSI
              + "r"
              + ESC
              + "8 \uD83D");

  // Behaviour

  @Test
  void plainTextAndLineBreaksAppearInLines() {
    VtScreen s = screen(20, 3, "hello\r\nworld  \r\n");
    assertThat(s.lines()).containsExactly("hello", "world", "");
    assertThat(s.cursorX()).isZero();
    assertThat(s.cursorY()).isEqualTo(2);
  }

  @Test
  void autowrapIsDeferredUntilTheNextPrintableCharacter() {
    VtScreen s = screen(5, 3, "abcde");
    assertThat(s.cursorX()).isEqualTo(4);
    assertThat(s.cursorY()).isZero();
    assertThat(s.wrapPending()).isTrue();
    s.write("f");
    assertThat(s.lines()).containsExactly("abcde", "f", "");
    assertThat(s.cursorX()).isEqualTo(1);
  }

  @Test
  void carriageReturnCancelsPendingWrap() {
    VtScreen s = screen(5, 3, "abcde\rX");
    assertThat(s.lines()).containsExactly("Xbcde", "", "");
  }

  @Test
  void autowrapOffOverwritesTheLastColumn() {
    VtScreen s = screen(5, 2, CSI + "?7labcdefg");
    assertThat(s.lines()).containsExactly("abcdg", "");
  }

  @Test
  void linesScrolledOffTheTopAreDiscarded() {
    VtScreen s = new VtScreen(10, 3);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      sb.append("line ").append(i).append("\r\n");
    }
    s.write(sb);
    assertThat(s.lines()).containsExactly("line 99998", "line 99999", "");
  }

  @Test
  void cursorMovementIsClamped() {
    VtScreen s = screen(10, 5, CSI + "999;999H");
    assertThat(s.cursorX()).isEqualTo(9);
    assertThat(s.cursorY()).isEqualTo(4);
    s.write(CSI + "999A" + CSI + "999D");
    assertThat(s.cursorX()).isZero();
    assertThat(s.cursorY()).isZero();
    s.write(CSI + ";x" + CSI + ";5H" + CSI + "99999999999999999999G");
    assertThat(s.cursorX()).isEqualTo(9);
    s.write(CSI + "2147483647C" + CSI + "2147483648B" + CSI + "1000000@" + CSI + "1000000P");
    assertThat(s.cursorY()).isEqualTo(4);
  }

  @Test
  void cursorMovementCommandsMoveTheCursor() {
    VtScreen s = screen(20, 10, CSI + "5;5H" + CSI + "2A" + CSI + "3C" + CSI + "B" + CSI + "2D");
    assertThat(position(s)).containsExactly(5, 3);
    s.write(CSI + "2E");
    assertThat(position(s)).containsExactly(0, 5);
    s.write(CSI + "7G" + CSI + "F");
    assertThat(position(s)).containsExactly(0, 4);
    s.write(CSI + "3d" + CSI + "12`" + CSI + "2a" + CSI + "e");
    assertThat(position(s)).containsExactly(13, 3);
    s.write(CSI + "2;3f");
    assertThat(position(s)).containsExactly(2, 1);
  }

  @Test
  void originModeAddressesTheScrollRegion() {
    VtScreen s = screen(10, 10, CSI + "3;6r" + CSI + "?6h");
    assertThat(position(s)).containsExactly(0, 2);
    s.write(CSI + "2;4H");
    assertThat(position(s)).containsExactly(3, 3);
    s.write(CSI + "99;1H");
    assertThat(position(s)).containsExactly(0, 5);
    s.write(CSI + "6n");
    assertThat(s.takeReplies()).isEqualTo(CSI + "4;1R");
  }

  @Test
  void sgr49ResetsOnlyTheBackground() {
    VtScreen s = screen(10, 1, CSI + "1;31;42mA" + CSI + "49mB");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;1;31;42");
    assertThat(s.sgrAt(1, 0)).isEqualTo("0;1;31");
    s.write(CSI + "39mC");
    assertThat(s.sgrAt(2, 0)).isEqualTo("0;1");
  }

  @Test
  void sgr22TurnsBoldAndDimOff() {
    VtScreen s = screen(10, 1, CSI + "1;2;3mA" + CSI + "22mB");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;1;2;3");
    assertThat(s.sgrAt(1, 0)).isEqualTo("0;3");
  }

  @Test
  void allAttributesAreKeptAndResetIndividually() {
    VtScreen s = screen(10, 1, CSI + "1;2;3;4;5;7;8;9mA");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;1;2;3;4;5;7;8;9");
    s.write(CSI + "23;24;25;27;28;29mB" + CSI + "0;21mC" + CSI + "mD");
    assertThat(s.sgrAt(1, 0)).isEqualTo("0;1;2");
    assertThat(s.sgrAt(2, 0)).isEqualTo("0;4");
    assertThat(s.sgrAt(3, 0)).isEqualTo("0");
  }

  @Test
  void coloursAreStoredLosslessly() {
    VtScreen s =
        screen(
            10,
            1,
            CSI
                + "31;42mA"
                + CSI
                + "91;102mB"
                + CSI
                + "38;5;17;48;5;255mC"
                + CSI
                + "38;5;1mD"
                + CSI
                + "38;2;1;2;3;48;2;254;253;252mE");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;31;42");
    assertThat(s.sgrAt(1, 0)).isEqualTo("0;91;102");
    assertThat(s.sgrAt(2, 0)).isEqualTo("0;38;5;17;48;5;255");
    assertThat(s.sgrAt(3, 0)).isEqualTo("0;31;48;5;255");
    assertThat(s.sgrAt(4, 0)).isEqualTo("0;38;2;1;2;3;48;2;254;253;252");
  }

  @Test
  void truecolourDoesNotCorruptOtherAttributes() {
    VtScreen s = screen(10, 1, CSI + "4;38;2;255;0;255;1mA");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;1;4;38;2;255;0;255");
  }

  @Test
  void colonSubParametersSelectColoursAndUnderline() {
    VtScreen s =
        screen(
            10,
            1,
            CSI
                + "38:2::10:20:30mA"
                + CSI
                + "48:2:1:2:3mB"
                + CSI
                + "0;38:5:200mC"
                + CSI
                + "4:3mD"
                + CSI
                + "4:0mE"
                + CSI
                + "58:2::1:2:3mF");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;38;2;10;20;30");
    assertThat(s.sgrAt(1, 0)).isEqualTo("0;38;2;10;20;30;48;2;1;2;3");
    assertThat(s.sgrAt(2, 0)).isEqualTo("0;38;5;200");
    assertThat(s.sgrAt(3, 0)).isEqualTo("0;4;38;5;200");
    assertThat(s.sgrAt(4, 0)).isEqualTo("0;38;5;200");
    assertThat(s.sgrAt(5, 0)).isEqualTo("0;38;5;200");
  }

  @Test
  void longParameterListsAreParsedCompletely() {
    StringBuilder sgr = new StringBuilder(CSI);
    for (int i = 0; i < 40; i++) {
      sgr.append("0;");
    }
    sgr.append("1;38;2;100;150;200;3m");
    VtScreen s = screen(10, 1, sgr + "A");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;1;3;38;2;100;150;200");
    s.write(CSI + "00000000000000000000000000000000000000000000000000004mB");
    assertThat(s.sgrAt(1, 0)).isEqualTo("0;1;3;4;38;2;100;150;200");
  }

  @Test
  void csiWithPrefixOrIntermediateIsNotMistakenForAPlainOne() {
    VtScreen s = screen(10, 3, CSI + "2;3H" + CSI + "s" + CSI + "1;1H");
    s.write(CSI + ">4;2m" + CSI + "?u" + CSI + ">1u" + CSI + "=5u" + CSI + "?25$p" + CSI + "2 qX");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0");
    assertThat(s.lines().get(0)).isEqualTo("X");
    assertThat(s.takeReplies()).isEqualTo(CSI + "?25;1$y");
    s.write(CSI + "u");
    assertThat(position(s)).containsExactly(2, 1);
  }

  @Test
  void stringsAreSwallowedUntilBelOrStringTerminator() {
    VtScreen s =
        screen(
            30,
            1,
            "a"
                + ESC
                + "]0;title\007b"
                + ESC
                + "]8;;http://x\033\\c"
                + ESC
                + "Pq#0;2;0\033\\d"
                + ESC
                + "_apc\033\\e"
                + ESC
                + "^pm\007f"
                + ESC
                + "Xsos\033\\g");
    assertThat(s.lines()).containsExactly("abcdefg");
    s.write(ESC + "]0;unterminated" + ESC + "[1mh");
    assertThat(s.lines()).containsExactly("abcdefgh");
    assertThat(s.sgrAt(7, 0)).isEqualTo("0;1");
  }

  @Test
  void cancelAbortsASequence() {
    VtScreen s = screen(10, 1, CSI + "1;3\030m" + ESC + "]0;x\032n");
    assertThat(s.lines()).containsExactly("mn");
  }

  @Test
  void alternateScreen1049SavesCursorAndClearsTheAlternateScreen() {
    VtScreen s = screen(10, 3, "main" + CSI + "?1049h");
    assertThat(s.alternateScreen()).isTrue();
    assertThat(s.lines()).containsExactly("", "", "");
    s.write(CSI + "Hold alt" + CSI + "?1049l");
    assertThat(s.lines()).containsExactly("main", "", "");
    assertThat(position(s)).containsExactly(4, 0);
    s.write(CSI + "?1049h");
    assertThat(s.lines()).containsExactly("", "", "");
  }

  @Test
  void alternateScreenModes47And1047SwitchWithoutMovingTheCursor() {
    VtScreen s = screen(10, 2, "main" + CSI + "?47halt");
    assertThat(s.alternateScreen()).isTrue();
    assertThat(s.lines()).containsExactly("    alt", "");
    s.write(CSI + "?47l");
    assertThat(s.lines()).containsExactly("main", "");
    assertThat(position(s)).containsExactly(7, 0);
    s.write(CSI + "?1047h");
    assertThat(s.alternateScreen()).isTrue();
    s.write(CSI + "?1047l" + CSI + "?1048h" + CSI + "2;2H" + CSI + "?1048l");
    assertThat(s.alternateScreen()).isFalse();
    assertThat(position(s)).containsExactly(7, 0);
  }

  @Test
  void eraseInDisplayAndLineCoverTheRightCells() {
    String fill = "abcdefghij\r\nklmnopqrst\r\nuvwxyz0123";
    VtScreen s = screen(10, 3, fill + CSI + "2;5H" + CSI + "J");
    assertThat(s.lines()).containsExactly("abcdefghij", "klmn", "");
    s = screen(10, 3, fill + CSI + "2;5H" + CSI + "1J");
    assertThat(s.lines()).containsExactly("", "     pqrst", "uvwxyz0123");
    s = screen(10, 3, fill + CSI + "2;5H" + CSI + "2J");
    assertThat(s.lines()).containsExactly("", "", "");
    s = screen(10, 3, fill + CSI + "2;5H" + CSI + "3J");
    assertThat(s.lines()).containsExactly("abcdefghij", "klmnopqrst", "uvwxyz0123");
    s =
        screen(
            10,
            3,
            fill + CSI + "2;5H" + CSI + "K" + CSI + "3;3H" + CSI + "1K" + CSI + "H" + CSI + "2K");
    assertThat(s.lines()).containsExactly("", "klmn", "   xyz0123");
  }

  @Test
  void erasingOneCellWorks() {
    VtScreen s = screen(5, 1, "abcde" + CSI + "3G" + CSI + "X");
    assertThat(s.lines()).containsExactly("ab de");
    s.write(CSI + "5G" + CSI + "K");
    assertThat(s.lines()).containsExactly("ab d");
    s.write(CSI + "G" + CSI + "1K");
    assertThat(s.lines()).containsExactly(" b d");
  }

  @Test
  void erasingUsesTheBackgroundColourOnly() {
    VtScreen s = screen(5, 2, CSI + "1;4;31;44m" + CSI + "2J");
    assertThat(s.sgrAt(3, 1)).isEqualTo("0;44");
  }

  @Test
  void insertAndDeleteCharactersShiftTheRestOfTheLine() {
    VtScreen s = screen(6, 1, "abcdef" + CSI + "2G" + CSI + "2@");
    assertThat(s.lines()).containsExactly("a  bcd");
    s.write(CSI + "2P");
    assertThat(s.lines()).containsExactly("abcd");
    s.write(CSI + "4h" + "XY" + CSI + "4l");
    assertThat(s.lines()).containsExactly("aXYbcd");
  }

  @Test
  void scrollUpOfSeveralLinesOnTheFullScreenLeavesBlankRows() {
    VtScreen s = screen(5, 4, "1\r\n2\r\n3\r\n4" + CSI + "2S");
    assertThat(s.lines()).containsExactly("3", "4", "", "");
    assertThat(s.codePointAt(0, 3)).isEqualTo(' ');
    s.write(CSI + "3T");
    assertThat(s.lines()).containsExactly("", "", "", "3");
    s.write(CSI + "99S");
    assertThat(s.lines()).containsExactly("", "", "", "");
  }

  @Test
  void scrollRegionConfinesScrollingInsertAndDelete() {
    String fill = "0\r\n1\r\n2\r\n3\r\n4\r\n5";
    VtScreen s = screen(5, 6, fill + CSI + "2;4r" + CSI + "4Hx\ny\n");
    assertThat(s.lines()).containsExactly("0", "x", " y", "", "4", "5");
    s = screen(5, 6, fill + CSI + "2;4r" + CSI + "2H" + ESC + "M");
    assertThat(s.lines()).containsExactly("0", "", "1", "2", "4", "5");
    s = screen(5, 6, fill + CSI + "2;4r" + CSI + "3H" + CSI + "L");
    assertThat(s.lines()).containsExactly("0", "1", "", "2", "4", "5");
    s = screen(5, 6, fill + CSI + "2;4r" + CSI + "2H" + CSI + "2M");
    assertThat(s.lines()).containsExactly("0", "3", "", "", "4", "5");
    s = screen(5, 6, fill + CSI + "2;4r" + CSI + "S");
    assertThat(s.lines()).containsExactly("0", "2", "3", "", "4", "5");
    s = screen(5, 6, fill + CSI + "2;4r" + CSI + "2T");
    assertThat(s.lines()).containsExactly("0", "", "", "1", "4", "5");
    s = screen(5, 6, fill + CSI + "2;4r" + CSI + "6H" + CSI + "L\n\n");
    assertThat(s.lines()).containsExactly("0", "1", "2", "3", "4", "5");
  }

  @Test
  void indexNextLineAndReverseIndexMoveOrScroll() {
    VtScreen s = screen(5, 3, "a" + ESC + "Db" + ESC + "Ec");
    assertThat(s.lines()).containsExactly("a", " b", "c");
    s.write(ESC + "Ed");
    assertThat(s.lines()).containsExactly(" b", "c", "d");
    s.write(CSI + "H" + ESC + "Me");
    assertThat(s.lines()).containsExactly("e", " b", "c");
  }

  @Test
  void saveAndRestoreCursorKeepPenOriginAndCharsets() {
    VtScreen s = screen(10, 5, CSI + "3;4H" + CSI + "1;32m" + ESC + "(0" + ESC + "7");
    s.write(CSI + "m" + ESC + "(B" + CSI + "H" + ESC + "8q");
    assertThat(s.lines().get(2)).isEqualTo("   \u2500");
    assertThat(s.sgrAt(3, 2)).isEqualTo("0;1;32");
    s.write(CSI + "5;5H" + CSI + "s" + CSI + "H" + CSI + "u");
    assertThat(position(s)).containsExactly(4, 4);
  }

  @Test
  void decSpecialGraphicsMapToBoxDrawingCharacters() {
    VtScreen s = screen(20, 2, ESC + "(0lqqkxmj" + ESC + "(B" + "lq" + ESC + ")0\016x\017x");
    assertThat(s.lines().get(0)).isEqualTo("\u250c\u2500\u2500\u2510\u2502\u2514\u2518lq\u2502x");
    s.write(ESC + "(A#");
    assertThat(s.lines().get(0)).endsWith("\u00a3");
  }

  @Test
  void tabStopsCanBeSetClearedAndFollowedBothWays() {
    VtScreen s = screen(40, 1, "\tA");
    assertThat(s.cursorX()).isEqualTo(9);
    s.write(CSI + "3g" + CSI + "5G" + ESC + "H" + CSI + "20G" + ESC + "H" + CSI + "G\t");
    assertThat(s.cursorX()).isEqualTo(4);
    s.write(CSI + "I");
    assertThat(s.cursorX()).isEqualTo(19);
    s.write("\t");
    assertThat(s.cursorX()).isEqualTo(39);
    s.write(CSI + "Z");
    assertThat(s.cursorX()).isEqualTo(19);
    s.write(CSI + "0g" + CSI + "2Z");
    assertThat(s.cursorX()).isEqualTo(0);
  }

  @Test
  void repeatRepeatsTheLastCharacter() {
    VtScreen s = screen(10, 2, "ab" + CSI + "3b" + CSI + "12b");
    assertThat(s.lines()).containsExactly("abbbbbbbbb", "bbbbbbb");
    s.write(CSI + "99999b");
    assertThat(s.lines()).containsExactly("bbbbbbbbbb", "bbbbbbb");
  }

  @Test
  void lineFeedNewLineModeAlsoReturnsTheCarriage() {
    VtScreen s = screen(10, 3, CSI + "20hab\ncd" + CSI + "20l\nef");
    assertThat(s.lines()).containsExactly("ab", "cd", "  ef");
  }

  @Test
  void wideCharacterTakesTwoCells() {
    VtScreen s = screen(10, 2, "a中b\uD83D\uDE00c");
    assertThat(s.lines().get(0)).isEqualTo("a中b\uD83D\uDE00c");
    assertThat(s.codePointAt(1, 0)).isEqualTo('中');
    assertThat(s.codePointAt(2, 0)).isEqualTo(Line.SPACER);
    assertThat(s.codePointAt(3, 0)).isEqualTo('b');
    assertThat(s.codePointAt(4, 0)).isEqualTo(0x1F600);
    assertThat(s.cursorX()).isEqualTo(7);
  }

  @Test
  void wideCharacterAtTheLastColumnWrapsToTheNextLine() {
    VtScreen s = screen(5, 2, "abcd中");
    assertThat(s.lines()).containsExactly("abcd", "中");
    assertThat(s.cursorX()).isEqualTo(2);
  }

  @Test
  void overwritingHalfAWideCharacterBlanksTheOtherHalf() {
    VtScreen s = screen(6, 1, "中文字" + CSI + "2GX" + CSI + "3GY");
    assertThat(s.lines()).containsExactly(" XY 字");
    s.write(CSI + "5G" + CSI + "X");
    assertThat(s.lines()).containsExactly(" XY");
    s.checkInvariants();
  }

  @Test
  void nonBmpCharactersSplitAcrossWritesAreKept() {
    VtScreen s = new VtScreen(10, 1);
    s.write("x\uD83D");
    s.write("\uDE80y");
    assertThat(s.lines()).containsExactly("x\uD83D\uDE80y");
    s.write("\uDE80\uD83Dz");
    assertThat(s.lines()).containsExactly("x\uD83D\uDE80yz");
  }

  @Test
  void combiningMarksAttachToThePreviousCell() {
    VtScreen s = screen(5, 1, "e\u0301a\u0308\u0323b");
    assertThat(s.lines()).containsExactly("e\u0301a\u0308\u0323b");
    assertThat(s.cursorX()).isEqualTo(3);
    VtScreen copy = screen(5, 1, s.repaint());
    assertThat(copy.lines()).isEqualTo(s.lines());
  }

  @Test
  void resizeKeepsBothScreens() {
    VtScreen s = screen(10, 4, "main text" + CSI + "?1049h" + CSI + "4;1Halt text");
    s.resize(20, 6);
    assertThat(s.lines()).containsExactly("", "", "", "alt text", "", "");
    s.write(CSI + "?1049l");
    assertThat(s.lines()).containsExactly("main text", "", "", "", "", "");
    assertThat(position(s)).containsExactly(9, 0);
  }

  @Test
  void resizeDropsTopRowsWhenTheCursorRowWouldFallOff() {
    VtScreen s = screen(10, 5, "1\r\n2\r\n3\r\n4\r\n5");
    s.resize(4, 3);
    assertThat(s.lines()).containsExactly("3", "4", "5");
    assertThat(position(s)).containsExactly(1, 2);
    s = screen(10, 5, "1\r\n2\r\n3" + CSI + "H");
    s.resize(10, 2);
    assertThat(s.lines()).containsExactly("1", "2");
  }

  @Test
  void resizeCutsWideCharactersCleanly() {
    VtScreen s = screen(6, 1, "ab中文");
    s.resize(5, 1);
    assertThat(s.lines()).containsExactly("ab中");
    s.resize(3, 1);
    assertThat(s.lines()).containsExactly("ab");
    s.checkInvariants();
  }

  @Test
  void largeSizesAreAccepted() {
    VtScreen s = new VtScreen(10_000, 10_000);
    s.write(CSI + "10000;10000HZ");
    assertThat(position(s)).containsExactly(9_999, 9_999);
    s.resize(300, 10_000);
    assertThat(s.columns()).isEqualTo(300);
    assertThatThrownBy(() -> new VtScreen(0, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.resize(10_001, 5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void repliesAreQueuedInOrder() {
    VtScreen s = screen(10, 5, CSI + "c" + CSI + ">c" + CSI + "5n" + CSI + "3;4H" + CSI + "6n");
    s.write(ESC + "Z" + CSI + "?6n");
    assertThat(s.takeReplies())
        .isEqualTo(
            CSI
                + "?62;22c"
                + CSI
                + ">1;10;0c"
                + CSI
                + "0n"
                + CSI
                + "3;4R"
                + CSI
                + "?62;22c"
                + CSI
                + "?3;4;1R");
    assertThat(s.takeReplies()).isEmpty();
  }

  @Test
  void modesAreTracked() {
    VtScreen s =
        screen(
            10, 2, CSI + "?1h" + CSI + "?2004h" + CSI + "?1002h" + CSI + "?1006h" + CSI + "?25l");
    assertThat(s.applicationCursorKeys()).isTrue();
    assertThat(s.bracketedPaste()).isTrue();
    assertThat(s.mouseTracking()).isEqualTo(1002);
    assertThat(s.cursorVisible()).isFalse();
    s.write(CSI + "?1000l" + CSI + "!p");
    assertThat(s.mouseTracking()).isZero();
    assertThat(s.cursorVisible()).isTrue();
    assertThat(s.applicationCursorKeys()).isFalse();
  }

  @Test
  void fullResetClearsEverything() {
    VtScreen s = screen(10, 3, CSI + "31mabc" + CSI + "?1049hxyz" + CSI + "?25l" + ESC + "c");
    assertThat(s.alternateScreen()).isFalse();
    assertThat(s.lines()).containsExactly("", "", "");
    assertThat(s.cursorVisible()).isTrue();
    assertThat(s.pen()).isEqualTo("0");
    assertThat(position(s)).containsExactly(0, 0);
  }

  @Test
  void softResetKeepsTheScreen() {
    VtScreen s = screen(10, 3, "abc" + CSI + "1m" + CSI + "2;3r" + CSI + "4h" + CSI + "!p");
    assertThat(s.lines()).containsExactly("abc", "", "");
    assertThat(s.pen()).isEqualTo("0");
    s.write(CSI + "1;4Hd");
    assertThat(s.lines()).containsExactly("abcd", "", "");
  }

  @Test
  void alignmentTestFillsTheScreen() {
    VtScreen s = screen(3, 2, "x" + ESC + "#8");
    assertThat(s.lines()).containsExactly("EEE", "EEE");
  }

  // Repaint

  @Test
  void repaintStartsWithASoftResetAndNeverClearsScrollback() {
    VtScreen s = screen(10, 3, "abc");
    String r = s.repaint();
    assertThat(r).startsWith("\030" + ESC + "\\" + CSI + "!p");
    assertThat(r).doesNotContain(CSI + "3J").doesNotContain(ESC + "c");
  }

  @Test
  void repaintOfVimCaptureReproducesScreen() throws IOException {
    String out = beforeAltScreenExit(capture("vim.raw"));
    VtScreen s = screen(80, 24, out);
    assertThat(s.alternateScreen()).isTrue();
    assertThat(s.lines().get(0)).isEqualTo("     30 import java.util.List;");
    assertThat(s.lines().get(22)).isEqualTo("     52 import org.jline.terminal.Terminal;");
    assertThat(s.sgrAt(5, 0)).isEqualTo("0;38;5;130");
    assertThat(s.sgrAt(8, 0)).isEqualTo("0;35");
    assertRoundTrip(s);
    assertRoundTrip(screen(80, 24, "$ vim Sample.java\r\n" + out));
    assertRoundTrip(screen(80, 24, "$ vim Sample.java\r\n" + capture("vim.raw")));
  }

  @Test
  void repaintOfVimCaptureWithWideCharactersReproducesScreen() throws IOException {
    VtScreen s = screen(80, 24, beforeAltScreenExit(capture("vim-wide.raw")));
    assertThat(s.lines().get(1)).isEqualTo("      2 中文字符测试：你好，世界！");
    assertThat(s.lines().get(4)).isEqualTo("      5 Emoji: 😀 🎉 👍 🚀 ✅ ⌚");
    assertThat(s.lines().get(5)).isEqualTo("      6 Combining: é → é, a̐ n̈ o͂");
    assertRoundTrip(s);
  }

  @Test
  void repaintOfLessCaptureReproducesScreen() throws IOException {
    VtScreen s = screen(80, 24, beforeAltScreenExit(capture("less.raw")));
    assertThat(s.lines().get(0))
        .isEqualTo("        private List<VirtualConsole> panes = new CopyOnWriteArrayList<>();");
    assertRoundTrip(s);
    s = screen(80, 24, beforeAltScreenExit(capture("less-colour.raw")));
    assertThat(s.lines().get(0))
        .isEqualTo("truecolour 24  idx 168  bold ital under strike inv 中文 😀 end");
    assertThat(s.sgrAt(0, 0)).isEqualTo("0;38;2;96;159;216");
    assertRoundTrip(s);
  }

  @Test
  void repaintOfHtopCaptureReproducesScreen() throws IOException {
    VtScreen s = screen(80, 24, beforeAltScreenExit(capture("htop.raw")));
    assertThat(s.lines().get(1)).startsWith("    0[|||||||||||                30.2%] Tasks: 20");
    assertRoundTrip(s);
    assertRoundTrip(screen(80, 24, capture("htop.raw")));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 64, 4096})
  void captureFedInChunksGivesTheSameScreen(int chunk) throws IOException {
    for (String name : List.of("vim.raw", "vim-wide.raw", "less-colour.raw", "htop.raw")) {
      String out = capture(name);
      VtScreen whole = screen(80, 24, out);
      VtScreen parts = new VtScreen(80, 24);
      for (int i = 0; i < out.length(); i += chunk) {
        parts.write(out.substring(i, Math.min(out.length(), i + chunk)));
      }
      assertThat(parts.dumpState()).as(name).isEqualTo(whole.dumpState());
    }
  }

  @Test
  void truecolourSurvivesRepaint() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      sb.append(CSI)
          .append("38;2;")
          .append(i * 4)
          .append(';')
          .append(255 - i)
          .append(";7;48:2::")
          .append(i)
          .append(':')
          .append(i * 2)
          .append(':')
          .append(i * 3)
          .append('m')
          .append('#');
    }
    VtScreen s = screen(40, 4, sb + CSI + "1;3;38;2;9;8;7m");
    assertThat(s.sgrAt(10, 0)).isEqualTo("0;38;2;40;245;7;48;2;10;20;30");
    assertRoundTrip(s);
  }

  @Test
  void wideCharactersSurviveRepaint() {
    assertRoundTrip(screen(11, 3, "中文字符测试ab😀c\r\n한국어 テスト ｶﾀｶﾅ 🎉 ✅\u0301 e\u0301"));
  }

  @Test
  void scrollRegionsOriginModeAndPendingWrapSurviveRepaint() {
    VtScreen s = screen(10, 6, "top\r\n" + CSI + "2;5r" + CSI + "?6h" + CSI + "4;1H0123456789");
    assertThat(s.wrapPending()).isTrue();
    assertRoundTrip(s);
    VtScreen copy = screen(10, 6, s.repaint() + "x\n\ny");
    s.write("x\n\ny");
    assertThat(copy.dumpState()).isEqualTo(s.dumpState());
  }

  @Test
  void alternateScreenWithADifferentMainScreenSurvivesRepaint() {
    VtScreen s =
        screen(
            20,
            5,
            CSI
                + "32m$ "
                + CSI
                + "mls\r\nfile1 file2\r\n"
                + CSI
                + "1;44m$ "
                + ESC
                + "(0"
                + ESC
                + "7"
                + CSI
                + "?1049h"
                + CSI
                + "1;31mALT"
                + CSI
                + "3;4H"
                + ESC
                + "7"
                + CSI
                + "5;1H"
                + ESC
                + "(B"
                + CSI
                + "0;7mstatus");
    assertRoundTrip(s);
    VtScreen copy = screen(20, 5, s.repaint());
    s.write(CSI + "?1049l" + ESC + "(Bback" + ESC + "8");
    copy.write(CSI + "?1049l" + ESC + "(Bback" + ESC + "8");
    assertThat(copy.dumpState()).isEqualTo(s.dumpState());
    assertThat(copy.lines().get(2)).isEqualTo("$ back");
  }

  @Test
  void modesSurviveRepaint() {
    assertRoundTrip(
        screen(
            10,
            3,
            CSI + "?1h" + ESC + "=" + CSI + "?2004h" + CSI + "?1003h" + CSI + "?1015h" + CSI
                + "?1004h" + CSI + "?25l" + CSI + "?5h" + CSI + "5 q" + CSI + "4h" + CSI + "20h"
                + CSI + "?7l" + CSI + "3g" + CSI + "3G" + ESC + "H" + ESC + ")0" + ESC + "*A"
                + "\016" + CSI + "4mx"));
  }

  @Test
  void repaintIsIdempotent() throws IOException {
    VtScreen s = screen(80, 24, beforeAltScreenExit(capture("vim-wide.raw")));
    String once = s.repaint();
    VtScreen copy = screen(80, 24, once);
    assertThat(copy.repaint()).isEqualTo(once);
  }

  // Robustness

  @Test
  void randomInputNeverThrowsAndKeepsTheCursorOnScreen() {
    Random rnd = new Random(20_251_121L);
    VtScreen s = new VtScreen(80, 24);
    for (int i = 0; i < 20_000; i++) {
      if (i % 500 == 0) {
        s = new VtScreen(1 + rnd.nextInt(100), 1 + rnd.nextInt(40));
      }
      String input = randomInput(rnd);
      VtScreen screen = s;
      assertThatCode(() -> screen.write(input))
          .as("input %d: %s", i, input)
          .doesNotThrowAnyException();
      if (rnd.nextInt(200) == 0) {
        s.resize(1 + rnd.nextInt(100), 1 + rnd.nextInt(40));
      }
      assertThat(s.cursorX()).isBetween(0, s.columns() - 1);
      assertThat(s.cursorY()).isBetween(0, s.rows() - 1);
      s.checkInvariants();
      if (i % 20 == 0) {
        assertRoundTrip(s);
      }
    }
  }

  // Helpers

  private static VtScreen screen(int columns, int rows, String output) {
    VtScreen s = new VtScreen(columns, rows);
    s.write(output);
    s.checkInvariants();
    return s;
  }

  private static int[] position(VtScreen s) {
    return new int[] {s.cursorX(), s.cursorY()};
  }

  /** Repaints {@code a} onto fresh screens that first saw garbage; they must end up identical. */
  private static void assertRoundTrip(VtScreen a) {
    String repaint = a.repaint();
    for (String garbage : GARBAGE) {
      VtScreen b = new VtScreen(a.columns(), a.rows());
      b.write(garbage);
      b.write(repaint);
      b.checkInvariants();
      assertThat(b.dumpState()).as("after garbage %s", garbage).isEqualTo(a.dumpState());
      assertThat(b.lines()).isEqualTo(a.lines());
    }
  }

  private static String capture(String name) throws IOException {
    try (InputStream in = VtScreenTest.class.getResourceAsStream("/screen/" + name)) {
      assertThat(in).as(name).isNotNull();
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      // Drop the header and footer lines that script(1) adds.
      if (s.startsWith("Script started")) {
        s = s.substring(s.indexOf('\n') + 1);
      }
      int done = s.lastIndexOf("\nScript done");
      return done >= 0 ? s.substring(0, done) : s;
    }
  }

  /** The output up to the moment the application leaves the alternate screen. */
  private static String beforeAltScreenExit(String output) {
    int cut = output.lastIndexOf(CSI + "?1049l");
    return cut > 0 ? output.substring(0, cut) : output;
  }

  private static final String[] PIECES = {
    ESC,
    CSI,
    CSI + "?",
    CSI + ">",
    CSI + "=",
    ESC + "]",
    ESC + "P",
    ESC + "_",
    ESC + "(",
    ESC + ")",
    ESC + "#",
    ";",
    ":",
    "\007",
    "\030",
    "\033\\",
    "\r",
    "\n",
    "\t",
    "\b",
    "\016",
    "\017",
    " ",
    "中",
    "😀",
    "\u0301",
    "\uD83D",
    "\uDE00",
    "\u009b",
    "\u200d",
    "é",
    "ｶ",
    "m",
    "H",
    "J",
    "K",
    "r",
    "h",
    "l",
    "@",
    "P",
    "L",
    "M",
    "S",
    "T",
    "X",
    "b",
    "g",
    "s",
    "u",
    "7",
    "8",
    "D",
    "E",
    "0",
    "1",
    "2",
    "5",
    "38;2;",
    "48;5;",
    "1049",
    "47",
    "1047",
    "1048",
    "6",
    "25",
    "4",
    "20",
    " q",
    "!p",
    "$p",
    "c",
    "n",
    "Z",
    "I",
    "d",
    "G",
    "`",
    "A",
    "B",
    "C",
    "N",
    "O",
    "=",
    ">",
    "q",
    "x",
    "\u007f",
    "999999999",
    "65535",
    "12",
    "3",
  };

  private static String randomInput(Random rnd) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + rnd.nextInt(60);
    if (rnd.nextInt(4) == 0) {
      for (int i = 0; i < n; i++) {
        sb.append((char) rnd.nextInt(rnd.nextInt(8) == 0 ? 0x10000 : 0x100));
      }
      return sb.toString();
    }
    for (int i = 0; i < n; i++) {
      if (rnd.nextInt(5) == 0) {
        sb.append((char) (0x20 + rnd.nextInt(0x5f)));
      } else {
        sb.append(PIECES[rnd.nextInt(PIECES.length)]);
      }
    }
    return sb.toString();
  }
}
