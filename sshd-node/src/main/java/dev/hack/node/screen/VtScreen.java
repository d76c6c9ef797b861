/*
 * Copyright (c) 2002-2025, the original author(s).
 *
 * This software is distributable under the BSD license. See the terms of the
 * BSD license in the documentation provided with this software.
 *
 * https://opensource.org/licenses/BSD-3-Clause
 */
package dev.hack.node.screen;

/*
 * Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements.  See the NOTICE file distributed with
 * this work for additional information regarding copyright ownership.
 * The ASF licenses this file to You under the Apache License, Version 2.0
 * (the "License"); you may not use this file except in compliance with
 * the License.  You may obtain a copy of the License at
 *
 *      http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/*
 * Based on http://antony.lesuisse.org/software/ajaxterm/
 *  Public Domain License
 */

/*
 * See http://www.ecma-international.org/publications/standards/Ecma-048.htm
 *       and http://vt100.net/docs/vt510-rm/
 */

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/*
 * Fork of org.jline.builtins.ScreenTerminal from JLine 3.30.6, reworked into the headless screen
 * model of hack. The parser and the screen operations were rewritten; the fixes against the
 * original are:
 *  - no scrollback history (the original kept every scrolled-off line forever);
 *  - all cursor movement and edits clamp, so no input can throw (the original threw
 *    ArrayIndexOutOfBoundsException on unclamped columns and on "CSI ; x");
 *  - a real state machine for ESC, CSI (any length, private prefixes and intermediates, colon
 *    sub-parameters) and OSC/DCS/APC/PM/SOS strings; unknown sequences such as "CSI > 4;2 m" or
 *    "CSI ? u" are ignored instead of being misread as SGR or cursor restore;
 *  - colours are kept losslessly (default, 256-colour index or 24-bit RGB) instead of a lossy
 *    12-bit RGB; SGR 38/48 with ;2; and :2: truecolour forms, SGR 49 and SGR 22 work; bold, dim,
 *    italic, underline, blink, inverse, conceal and strikethrough are kept;
 *  - alternate screen modes 47, 1047, 1048 and 1049 (the latter clears the alternate screen);
 *  - ED 0 no longer wipes the start of the row, a one-cell erase works, SU/SD of more than one
 *    line on the full screen no longer leave NUL rows;
 *  - wide characters take two cells, non-BMP code points are kept, combining marks are attached
 *    to the previous cell;
 *  - resize keeps both the main and the alternate screen and accepts any size up to 10000;
 *  - replies (DA, DSR, CPR, DECRQM) are queued instead of overwriting each other;
 *  - saved cursors (one per screen, as in xterm) also keep origin mode, character sets and the
 *    pending wrap; DEC special graphics map to Unicode box drawing characters;
 *  - no per-cell dirty flag, lock or notifyAll: the class is not thread-safe and much faster;
 *  - repaint() renders the whole state (both screens, saved cursors, modes, pen, tab stops) as
 *    an escape sequence that reproduces it on an xterm-compatible terminal.
 */

/**
 * A headless model of an xterm-compatible terminal screen: feed it an application's output with
 * {@link #write} and it keeps the visible cells, the cursor and the terminal modes, so that {@link
 * #repaint} can redraw the screen on a terminal that attaches later.
 *
 * <p>Behaviour worth knowing:
 *
 * <ul>
 *   <li>No scrollback: lines scrolled off the top are discarded (the raw output is kept elsewhere).
 *       ED 3 (erase saved lines) is therefore a no-op.
 *   <li>Wide characters (East Asian Wide/Fullwidth, emoji) take two cells, the right one a spacer.
 *       Zero-width characters (combining marks, ZWJ, variation selectors) are attached to the
 *       previously written cell and repainted with it; they are dropped when there is no such cell.
 *   <li>{@link #resize} keeps the content anchored top-left, except that when the cursor row would
 *       fall off the bottom, the top lines are dropped so that the cursor stays on the last row (as
 *       xterm does). For the main screen while the alternate screen is shown, the cursor saved on
 *       entering the alternate screen is used. Both screens are kept; the scroll region is reset.
 *   <li>Leaving the alternate screen clears it, so its content never needs repainting while the
 *       main screen is shown.
 *   <li>Where terminals disagree, xterm is followed: a saved cursor per screen, including the
 *       pending wrap; IL and DL move the cursor to the first column and are ignored outside the
 *       scroll region; DECSTBM homes the cursor (to the top margin in origin mode); {@code ?1049l}
 *       restores the saved cursor even on the main screen. REP repeats a graphic character only if
 *       it came right before the sequence, at most 65535 times. A wide character that does not fit
 *       at the right margin with autowrap off is dropped (as tmux does).
 *   <li>Character widths follow Unicode 14 East Asian Width; {@link #repaint} re-synchronises the
 *       column after wide characters (emoji, mostly) on which terminals may disagree.
 *   <li>C1 control code points (U+0080 to U+009F) are ignored, except U+009C which ends a string.
 *       Colon sub-parameters are understood in SGR only; other sequences with them are ignored.
 *   <li>Replies are capped at 64 KiB between calls of {@link #takeReplies}.
 *   <li>Memory is about 12 bytes per cell for the rows of each screen that were written to.
 * </ul>
 *
 * <p>Not thread-safe: the caller serialises all access.
 */
public final class VtScreen {
  static final int MAX_SIZE = 10_000;

  // A style packs into a long: foreground colour in bits 0-25, background in bits 26-51 and the
  // attribute flags above. A colour is kind << 24 | value with kind 0 = default, 1 = palette index
  // (value 0-255), 2 = 24-bit RGB (value 0xRRGGBB).
  private static final int COLOR_BITS = 26;
  private static final long COLOR_MASK = (1L << COLOR_BITS) - 1;
  private static final long BG_MASK = COLOR_MASK << COLOR_BITS;
  private static final int INDEXED = 1 << 24;
  private static final int RGB = 2 << 24;
  static final long BOLD = 1L << 52;
  static final long DIM = 1L << 53;
  static final long ITALIC = 1L << 54;
  static final long UNDERLINE = 1L << 55;
  static final long BLINK = 1L << 56;
  static final long INVERSE = 1L << 57;
  static final long INVISIBLE = 1L << 58;
  static final long STRIKE = 1L << 59;

  private static final int GROUND = 0;
  private static final int ESCAPE = 1;
  private static final int ESCAPE_INTERMEDIATE = 2;
  private static final int CSI_PARAM = 3;
  private static final int STRING = 4;
  private static final int STRING_ESCAPE = 5;

  private static final int MAX_PARAMS = 256;
  private static final int MAX_PARAM_VALUE = 1_000_000;
  private static final int MAX_REPLIES = 64 * 1024;
  private static final int MAX_REPEAT = 65_535;

  private static final int CS_ASCII = 0;
  private static final int CS_DEC_GRAPHICS = 1;
  private static final int CS_UK = 2;
  private static final char[] CHARSET_FINAL = {'B', '0', 'A'};

  /** DEC special graphics for 0x5f to 0x7e. */
  private static final String DEC_GRAPHICS =
      " \u25c6\u2592\u2409\u240c\u240d\u240a\u00b0\u00b1\u2424\u240b\u2518\u2510\u250c\u2514"
          + "\u253c\u23ba\u23bb\u2500\u23bc\u23bd\u251c\u2524\u2534\u252c\u2502\u2264\u2265\u03c0"
          + "\u2260\u00a3\u00b7";

  private int cols;
  private int rows;

  /** Rows of the main and alternate screens; a null row is blank with the default style. */
  private Line[] main;

  private Line[] alt;

  /** The screen shown: {@link #main} or {@link #alt}. */
  private Line[] lines;

  private boolean altActive;
  private Line[] scratch;

  private int cx;
  private int cy;

  /** The last column was written and autowrap is pending for the next printable character. */
  private boolean wrapPending;

  private long pen;
  private int top;

  /** Bottom margin, exclusive. */
  private int bottom;

  private boolean[] tabs;

  private boolean autowrap;
  private boolean origin;
  private boolean insert;
  private boolean newline;
  private boolean appCursorKeys;
  private boolean appKeypad;
  private boolean cursorVisible;
  private boolean bracketedPaste;
  private boolean reverseVideo;
  private boolean focusEvents;
  private int mouseTracking;
  private int mouseEncoding;
  private int cursorStyle;

  private final int[] charsets = new int[4];
  private int gl;
  private int singleShift;
  private final Saved savedMain = new Saved();
  private final Saved savedAlt = new Saved();
  private int lastChar;
  private int repeatable;

  private final StringBuilder replies = new StringBuilder();

  private int state;
  private final int[] params = new int[MAX_PARAMS];
  private final boolean[] subParam = new boolean[MAX_PARAMS];
  private int paramCount;
  private int param;
  private boolean nextIsSub;
  private boolean anySub;
  private boolean separatorSeen;
  private char prefix;
  private char intermediate;
  private boolean malformed;
  private char pendingHigh;

  /** Creates a blank screen; both sizes must be 1 to 10000. */
  public VtScreen(int columns, int rows) {
    checkSize(columns, rows);
    this.cols = columns;
    this.rows = rows;
    main = new Line[rows];
    alt = new Line[rows];
    scratch = new Line[rows];
    tabs = new boolean[columns];
    resetHard();
  }

  private static void checkSize(int columns, int rows) {
    if (columns < 1 || columns > MAX_SIZE || rows < 1 || rows > MAX_SIZE) {
      throw new IllegalArgumentException("size out of range: " + columns + "x" + rows);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Public API

  /**
   * Feeds output text (already UTF-8 decoded). Never throws on any input; malformed sequences are
   * skipped.
   */
  public void write(CharSequence text) {
    String s = text.toString();
    int n = s.length();
    int i = 0;
    if (pendingHigh != 0 && n > 0) {
      char c = s.charAt(0);
      if (Character.isLowSurrogate(c)) {
        consume(Character.toCodePoint(pendingHigh, c));
        i = 1;
      }
      pendingHigh = 0;
    }
    while (i < n) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f && state == GROUND) {
        i = printAscii(s, i, n);
        continue;
      }
      i++;
      if (Character.isSurrogate(c)) {
        if (Character.isLowSurrogate(c)) {
          continue; // unpaired
        }
        if (i == n) {
          pendingHigh = c;
          return;
        }
        char d = s.charAt(i);
        if (!Character.isLowSurrogate(d)) {
          continue; // unpaired
        }
        i++;
        consume(Character.toCodePoint(c, d));
      } else {
        consume(c);
      }
    }
  }

  /**
   * Resizes like xterm: the content stays anchored top-left, except that when the cursor row would
   * fall off the bottom the top rows are dropped so that the cursor ends on the last row. Both the
   * main and the alternate screen are kept; the scroll region is reset to the full screen. Both
   * sizes must be 1 to 10000.
   */
  public void resize(int columns, int rows) {
    checkSize(columns, rows);
    if (columns == cols && rows == this.rows) {
      return;
    }
    int mainAnchor = altActive ? savedMain.y : cy;
    int altAnchor = altActive ? cy : savedAlt.y;
    int mainShift = Math.max(0, mainAnchor - rows + 1);
    int altShift = Math.max(0, altAnchor - rows + 1);
    main = resized(main, columns, rows, mainShift);
    alt = resized(alt, columns, rows, altShift);
    lines = altActive ? alt : main;
    scratch = new Line[rows];
    cy = clamp(cy - (altActive ? altShift : mainShift), 0, rows - 1);
    cx = Math.min(cx, columns - 1);
    wrapPending = false;
    savedMain.y = clamp(savedMain.y - mainShift, 0, rows - 1);
    savedMain.x = Math.min(savedMain.x, columns - 1);
    savedAlt.y = clamp(savedAlt.y - altShift, 0, rows - 1);
    savedAlt.x = Math.min(savedAlt.x, columns - 1);
    savedMain.wrapPending = false;
    savedAlt.wrapPending = false;
    boolean[] t = new boolean[columns];
    for (int x = 0; x < columns; x++) {
      t[x] = x < cols ? tabs[x] : x % 8 == 0;
    }
    tabs = t;
    this.cols = columns;
    this.rows = rows;
    top = 0;
    bottom = rows;
  }

  private Line[] resized(Line[] old, int columns, int newRows, int shift) {
    Line[] r = new Line[newRows];
    for (int y = 0; y < newRows; y++) {
      int src = y + shift;
      if (src < old.length && old[src] != null) {
        r[y] = columns == cols ? old[src] : old[src].resized(columns);
      }
    }
    return r;
  }

  public int columns() {
    return cols;
  }

  public int rows() {
    return rows;
  }

  /** Cursor column, 0-based; the last column while a wrap is pending. */
  public int cursorX() {
    return cx;
  }

  /** Cursor row, 0-based. */
  public int cursorY() {
    return cy;
  }

  public boolean cursorVisible() {
    return cursorVisible;
  }

  public boolean alternateScreen() {
    return altActive;
  }

  /** Whether the application asked for bracketed paste (mode ?2004). */
  public boolean bracketedPaste() {
    return bracketedPaste;
  }

  /** Whether the application asked for application cursor keys (DECCKM, mode ?1). */
  public boolean applicationCursorKeys() {
    return appCursorKeys;
  }

  /** Mouse tracking mode asked for: 0 (none), 9, 1000, 1002 or 1003. */
  public int mouseTracking() {
    return mouseTracking;
  }

  /**
   * A sequence that, written to an xterm-compatible terminal of the same size in any prior state,
   * makes it show exactly this screen and continue correctly with later output: it aborts any
   * half-received sequence, soft-resets the terminal (without touching its scrollback), paints the
   * main screen and its saved cursor, switches to and paints the alternate screen if it is shown,
   * and then restores the scroll region, tab stops, character sets, modes, cursor (including a
   * pending autowrap) and pen.
   */
  public String repaint() {
    StringBuilder sb = new StringBuilder(cols * rows * 2 + 512);
    sb.append("\u0018\033\\"); // CAN ends a sequence, ST a string
    sb.append("\033[!p"); // DECSTR
    sb.append("\033[r\033[?6l\033[?7h\033[4l\033[20l\033[0m\033(B\033)B\033*B\033+B\017");
    // The alternate screen (cleared) with its saved cursor, then the main screen with its own.
    sb.append("\033[?1049h");
    paintSaved(sb, savedAlt, "\0337", alt);
    sb.append("\033[?1049l");
    sb.append("\033[3g");
    for (int x = 0; x < cols; x++) {
      if (tabs[x]) {
        sb.append("\033[").append(x + 1).append("G\033H");
      }
    }
    paint(sb, main);
    if (altActive) {
      paintSaved(sb, savedMain, "\033[?1049h", main); // saves the cursor as DECSC does
      paint(sb, alt);
    } else {
      paintSaved(sb, savedMain, "\0337", main);
    }
    if (top != 0 || bottom != rows) {
      sb.append("\033[").append(top + 1).append(';').append(bottom).append('r');
    }
    if (origin) {
      sb.append("\033[?6h");
    }
    int oy = origin ? top : 0;
    if (wrapPending) {
      rewriteLastCell(sb, lines, cy, cy - oy);
    } else {
      cup(sb, cy - oy, cx);
    }
    appendCharsets(sb, charsets, gl);
    appendSgr(sb, pen);
    mode(sb, "?7", autowrap);
    mode(sb, "4", insert);
    mode(sb, "20", newline);
    mode(sb, "?1", appCursorKeys);
    sb.append(appKeypad ? "\033=" : "\033>");
    mode(sb, "?2004", bracketedPaste);
    sb.append("\033[?9l\033[?1000l\033[?1002l\033[?1003l");
    if (mouseTracking != 0) {
      mode(sb, "?" + mouseTracking, true);
    }
    sb.append("\033[?1005l\033[?1006l\033[?1015l\033[?1016l");
    if (mouseEncoding != 0) {
      mode(sb, "?" + mouseEncoding, true);
    }
    mode(sb, "?1004", focusEvents);
    mode(sb, "?5", reverseVideo);
    sb.append("\033[").append(cursorStyle).append(" q");
    mode(sb, "?25", cursorVisible);
    if (singleShift >= 0) {
      sb.append(singleShift == 2 ? "\033N" : "\033O");
    }
    return sb.toString();
  }

  /**
   * Plain text of each visible row: wide characters once (spacer cells omitted), combining marks
   * kept, trailing blanks removed.
   */
  public List<String> lines() {
    List<String> out = new ArrayList<>(rows);
    StringBuilder sb = new StringBuilder(cols);
    for (int y = 0; y < rows; y++) {
      Line l = lines[y];
      sb.setLength(0);
      if (l != null) {
        for (int x = 0; x < cols; x++) {
          int c = l.cp[x];
          if (c != Line.SPACER) {
            sb.appendCodePoint(c);
            String m = l.mark(x);
            if (m != null) {
              sb.append(m);
            }
          }
        }
      }
      int end = sb.length();
      while (end > 0 && sb.charAt(end - 1) == ' ') {
        end--;
      }
      out.add(sb.substring(0, end));
    }
    return out;
  }

  /** Replies the app asked for (DA, DSR/CPR, DECRQM) since the last call, in order; "" if none. */
  public String takeReplies() {
    String r = replies.toString();
    replies.setLength(0);
    return r;
  }

  // ---------------------------------------------------------------------------------------------
  // Repaint helpers

  private void paint(StringBuilder sb, Line[] buf) {
    sb.append("\033[0m");
    long cur = 0;
    for (int y = 0; y < rows; y++) {
      cup(sb, y, 0);
      Line l = buf[y];
      if (l == null) {
        if (cur != 0) {
          sb.append("\033[0m");
          cur = 0;
        }
        sb.append("\033[K");
        continue;
      }
      // A trailing run of blanks that an erase would produce is painted with EL.
      int end = cols;
      long tail = l.st[cols - 1];
      if ((tail & ~BG_MASK) == 0) {
        while (end > 0
            && l.cp[end - 1] == ' '
            && l.st[end - 1] == tail
            && l.mark(end - 1) == null) {
          end--;
        }
      }
      for (int x = 0; x < end; x++) {
        long st = l.st[x];
        if (st != cur) {
          appendSgr(sb, st);
          cur = st;
        }
        int c = appendCell(sb, l, x);
        if (c != Line.SPACER && x + 1 < cols && l.cp[x + 1] == Line.SPACER) {
          x++;
          if (x + 1 < end && !surelyWide(c)) {
            // Re-sync in case the terminal disagrees about the width of this character.
            sb.append("\033[").append(x + 2).append('G');
          }
        }
      }
      if (end < cols) {
        if (tail != cur) {
          appendSgr(sb, tail);
          cur = tail;
        }
        sb.append("\033[K");
      }
    }
    sb.append("\033[0m");
  }

  /**
   * Rewrites the last cell of {@code row} of {@code buf} (addressed as {@code cupRow}) so that the
   * terminal ends up with the cursor there and a pending wrap.
   */
  private void rewriteLastCell(StringBuilder sb, Line[] buf, int row, int cupRow) {
    Line l = buf[row];
    int x = cols - 1;
    if (l != null && l.cp[x] == Line.SPACER) {
      x--;
    }
    cup(sb, cupRow, x);
    appendSgr(sb, l == null ? 0 : l.st[x]);
    appendCell(sb, l, x);
  }

  /** Whether every terminal agrees the code point is wide: CJK, Hangul, fullwidth forms. */
  private static boolean surelyWide(int c) {
    return (c >= 0x2e80 && c <= 0xa4cf)
        || (c >= 0xac00 && c <= 0xd7a3)
        || (c >= 0xf900 && c <= 0xfaff)
        || (c >= 0xff00 && c <= 0xff60)
        || (c >= 0x20000 && c <= 0x3fffd);
  }

  private static int appendCell(StringBuilder sb, Line l, int x) {
    if (l == null) {
      sb.append(' ');
      return ' ';
    }
    int c = l.cp[x];
    if (c == Line.SPACER) {
      sb.append(' '); // an orphan spacer cannot happen; never emit garbage for it
      return c;
    }
    sb.appendCodePoint(c);
    String m = l.mark(x);
    if (m != null) {
      sb.append(m);
    }
    return c;
  }

  /** Sets up the saved cursor state {@code s}, saves it with {@code save} and undoes the setup. */
  private void paintSaved(StringBuilder sb, Saved s, String save, Line[] buf) {
    // The scroll region is the full screen here, so CUP is absolute even with origin mode set.
    if (s.origin) {
      sb.append("\033[?6h");
    }
    if (s.wrapPending) {
      rewriteLastCell(sb, buf, s.y, s.y);
    } else {
      cup(sb, s.y, s.x);
    }
    appendSgr(sb, s.pen);
    appendCharsets(sb, s.charsets, s.gl);
    sb.append(save);
    if (s.origin) {
      sb.append("\033[?6l");
    }
    sb.append("\033[0m\033(B\033)B\033*B\033+B\017");
  }

  private static void appendCharsets(StringBuilder sb, int[] cs, int gl) {
    sb.append("\033(").append(CHARSET_FINAL[cs[0]]);
    sb.append("\033)").append(CHARSET_FINAL[cs[1]]);
    sb.append("\033*").append(CHARSET_FINAL[cs[2]]);
    sb.append("\033+").append(CHARSET_FINAL[cs[3]]);
    sb.append(gl == 0 ? "\017" : gl == 1 ? "\016" : gl == 2 ? "\033n" : "\033o");
  }

  private static void cup(StringBuilder sb, int y, int x) {
    sb.append("\033[").append(y + 1);
    if (x != 0) {
      sb.append(';').append(x + 1);
    }
    sb.append('H');
  }

  private static void mode(StringBuilder sb, String mode, boolean on) {
    sb.append("\033[").append(mode).append(on ? 'h' : 'l');
  }

  static void appendSgr(StringBuilder sb, long s) {
    sb.append("\033[0");
    if ((s & BOLD) != 0) {
      sb.append(";1");
    }
    if ((s & DIM) != 0) {
      sb.append(";2");
    }
    if ((s & ITALIC) != 0) {
      sb.append(";3");
    }
    if ((s & UNDERLINE) != 0) {
      sb.append(";4");
    }
    if ((s & BLINK) != 0) {
      sb.append(";5");
    }
    if ((s & INVERSE) != 0) {
      sb.append(";7");
    }
    if ((s & INVISIBLE) != 0) {
      sb.append(";8");
    }
    if ((s & STRIKE) != 0) {
      sb.append(";9");
    }
    appendColor(sb, (int) (s & COLOR_MASK), 30);
    appendColor(sb, (int) ((s >>> COLOR_BITS) & COLOR_MASK), 40);
    sb.append('m');
  }

  private static void appendColor(StringBuilder sb, int color, int base) {
    int value = color & 0xffffff;
    if ((color & RGB) != 0) {
      sb.append(';').append(base + 8).append(";2;");
      sb.append(value >> 16)
          .append(';')
          .append((value >> 8) & 0xff)
          .append(';')
          .append(value & 0xff);
    } else if ((color & INDEXED) != 0) {
      if (value < 8) {
        sb.append(';').append(base + value);
      } else if (value < 16) {
        sb.append(';').append(base + 60 + value - 8);
      } else {
        sb.append(';').append(base + 8).append(";5;").append(value);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Parser

  private void consume(int c) {
    switch (state) {
      case GROUND:
        if (c < 0x20) {
          control(c);
        } else if (c >= 0x7f && c < 0xa0) {
          return; // DEL and C1 controls
        } else {
          print(c);
        }
        return;
      case ESCAPE:
        escape(c);
        return;
      case ESCAPE_INTERMEDIATE:
        if (c < 0x20) {
          control(c);
        } else if (c < 0x30) {
          malformed = true;
        } else if (c < 0x7f) {
          state = GROUND;
          if (!malformed) {
            escDispatch(intermediate, c);
          }
        } else if (c != 0x7f) {
          state = GROUND;
        }
        return;
      case CSI_PARAM:
        csiChar(c);
        return;
      case STRING:
        if (c == 0x1b) {
          state = STRING_ESCAPE;
        } else if (c == 0x07 || c == 0x18 || c == 0x1a || c == 0x9c) {
          state = GROUND;
        }
        return;
      case STRING_ESCAPE:
        if (c == '\\') {
          state = GROUND;
        } else {
          // ESC ends the string and starts a new sequence.
          state = ESCAPE;
          intermediate = 0;
          malformed = false;
          escape(c);
        }
        return;
      default:
        state = GROUND;
    }
  }

  private void control(int c) {
    // REP repeats a graphic character only if it immediately precedes the sequence (ECMA-48).
    repeatable = c == 0x1b && state == GROUND ? lastChar : -1;
    lastChar = -1;
    switch (c) {
      case 0x07: // BEL
        break;
      case 0x08: // BS
        if (cx > 0) {
          cx--;
        }
        wrapPending = false;
        break;
      case 0x09: // HT
        tabForward(1);
        break;
      case 0x0a: // LF
      case 0x0b: // VT
      case 0x0c: // FF
        index();
        if (newline) {
          cx = 0;
        }
        wrapPending = false;
        break;
      case 0x0d: // CR
        cx = 0;
        wrapPending = false;
        break;
      case 0x0e: // SO
        gl = 1;
        break;
      case 0x0f: // SI
        gl = 0;
        break;
      case 0x18: // CAN
      case 0x1a: // SUB
        state = GROUND;
        break;
      case 0x1b:
        state = ESCAPE;
        intermediate = 0;
        malformed = false;
        break;
      default:
        break;
    }
  }

  private void escape(int c) {
    if (c < 0x20) {
      control(c);
    } else if (c < 0x30) {
      intermediate = (char) c;
      state = ESCAPE_INTERMEDIATE;
    } else if (c == '[') {
      state = CSI_PARAM;
      paramCount = 0;
      param = -1;
      nextIsSub = false;
      anySub = false;
      separatorSeen = false;
      prefix = 0;
      intermediate = 0;
      malformed = false;
    } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
      state = STRING;
    } else if (c < 0x7f) {
      state = GROUND;
      escDispatch((char) 0, c);
    } else if (c != 0x7f) {
      state = GROUND;
    }
  }

  private void csiChar(int c) {
    if (c >= '0' && c <= '9') {
      if (intermediate != 0) {
        malformed = true;
      } else {
        param = Math.min(MAX_PARAM_VALUE, (param < 0 ? 0 : param * 10) + (c - '0'));
      }
    } else if (c == ';' || c == ':') {
      if (intermediate != 0) {
        malformed = true;
      } else {
        pushParam();
        nextIsSub = c == ':';
        separatorSeen = true;
      }
    } else if (c >= 0x40 && c < 0x7f) {
      state = GROUND;
      if (!malformed) {
        if (param >= 0 || separatorSeen) {
          pushParam();
        }
        csiDispatch((char) c);
      }
    } else if (c >= '<' && c <= '?') {
      if (prefix == 0 && paramCount == 0 && param < 0 && !separatorSeen && intermediate == 0) {
        prefix = (char) c;
      } else {
        malformed = true;
      }
    } else if (c >= 0x20 && c < 0x30) {
      if (intermediate != 0) {
        malformed = true;
      }
      intermediate = (char) c;
    } else if (c < 0x20) {
      control(c);
    } else if (c != 0x7f) {
      malformed = true;
    }
  }

  private void pushParam() {
    if (paramCount < MAX_PARAMS) {
      params[paramCount] = param;
      subParam[paramCount] = nextIsSub;
      anySub |= nextIsSub;
      paramCount++;
    }
    param = -1;
  }

  /** Parameter {@code i}, or {@code def} when missing or 0 (for counts and positions). */
  private int arg(int i, int def) {
    return i < paramCount && params[i] > 0 ? params[i] : def;
  }

  /** Parameter {@code i}, or {@code def} when missing (for selectors where 0 counts). */
  private int sel(int i, int def) {
    return i < paramCount && params[i] >= 0 ? params[i] : def;
  }

  private void escDispatch(char inter, int c) {
    if (inter == 0) {
      switch (c) {
        case '7' -> saveCursor();
        case '8' -> restoreCursor();
        case 'D' -> {
          index();
          wrapPending = false;
        }
        case 'E' -> {
          index();
          cx = 0;
          wrapPending = false;
        }
        case 'H' -> tabs[cx] = true;
        case 'M' -> {
          reverseIndex();
          wrapPending = false;
        }
        case 'c' -> resetHard();
        case '=' -> appKeypad = true;
        case '>' -> appKeypad = false;
        case 'N' -> singleShift = 2;
        case 'O' -> singleShift = 3;
        case 'n' -> gl = 2;
        case 'o' -> gl = 3;
        case 'Z' -> reply("\033[?62;22c");
        default -> {}
      }
    } else if (inter >= '(' && inter <= '+') {
      charsets[inter - '('] = c == '0' ? CS_DEC_GRAPHICS : c == 'A' ? CS_UK : CS_ASCII;
    } else if (inter == '#' && c == '8') {
      decaln();
    }
  }

  private void csiDispatch(char f) {
    if (anySub && (f != 'm' || prefix != 0 || intermediate != 0)) {
      return; // like xterm, colon sub-parameters are only understood in SGR
    }
    if (prefix == 0 && intermediate == 0) {
      csiStandard(f);
    } else if (prefix == '?' && intermediate == 0) {
      switch (f) {
        case 'h' -> setPrivateModes(true);
        case 'l' -> setPrivateModes(false);
        case 'J' -> eraseDisplay(sel(0, 0));
        case 'K' -> eraseLine(sel(0, 0));
        case 'n' -> {
          if (sel(0, 0) == 6) {
            reply("\033[?" + (cy + 1 - (origin ? top : 0)) + ";" + (cx + 1) + ";1R");
          }
        }
        default -> {}
      }
    } else if (prefix == '>' && intermediate == 0 && f == 'c' && sel(0, 0) == 0) {
      reply("\033[>1;10;0c");
    } else if (prefix == 0 && intermediate == ' ' && f == 'q') {
      int s = sel(0, 0);
      if (s <= 6) {
        cursorStyle = s;
      }
    } else if (prefix == 0 && intermediate == '!' && f == 'p') {
      resetSoft();
    } else if (intermediate == '$' && f == 'p' && (prefix == 0 || prefix == '?')) {
      int m = sel(0, 0);
      int v = prefix == '?' ? privateMode(m) : m == 4 ? on(insert) : m == 20 ? on(newline) : 0;
      reply("\033[" + (prefix == '?' ? "?" : "") + m + ";" + v + "$y");
    }
  }

  private static int on(boolean b) {
    return b ? 1 : 2;
  }

  private void csiStandard(char f) {
    switch (f) {
      case '@' -> {
        line(cy).insertCells(cx, arg(0, 1), eraseStyle());
        wrapPending = false;
      }
      case 'A' -> cursorUp(arg(0, 1));
      case 'B', 'e' -> cursorDown(arg(0, 1));
      case 'C', 'a' -> moveTo(cx + Math.min(arg(0, 1), cols), cy);
      case 'D' -> moveTo(cx - Math.min(arg(0, 1), cols), cy);
      case 'E' -> {
        cursorDown(arg(0, 1));
        cx = 0;
      }
      case 'F' -> {
        cursorUp(arg(0, 1));
        cx = 0;
      }
      case 'G', '`' -> moveTo(arg(0, 1) - 1, cy);
      case 'H', 'f' -> cursorPosition(arg(0, 1), arg(1, 1));
      case 'I' -> tabForward(arg(0, 1));
      case 'J' -> eraseDisplay(sel(0, 0));
      case 'K' -> eraseLine(sel(0, 0));
      case 'L' -> {
        if (cy >= top && cy < bottom) {
          scrollDown(cy, bottom, arg(0, 1));
          cx = 0;
          wrapPending = false;
        }
      }
      case 'M' -> {
        if (cy >= top && cy < bottom) {
          scrollUp(cy, bottom, arg(0, 1));
          cx = 0;
          wrapPending = false;
        }
      }
      case 'P' -> {
        line(cy).deleteCells(cx, arg(0, 1), eraseStyle());
        wrapPending = false;
      }
      case 'S' -> scrollUp(top, bottom, arg(0, 1));
      case 'T' -> {
        if (paramCount <= 1) {
          scrollDown(top, bottom, arg(0, 1));
        }
      }
      case 'X' -> {
        erase(cy, cx, cx + Math.min(arg(0, 1), cols - cx));
        wrapPending = false;
      }
      case 'Z' -> tabBackward(arg(0, 1));
      case 'b' -> repeat(arg(0, 1));
      case 'c' -> {
        if (sel(0, 0) == 0) {
          reply("\033[?62;22c");
        }
      }
      case 'd' -> {
        int y = arg(0, 1) - 1;
        moveTo(cx, origin ? Math.min(top + y, bottom - 1) : y);
      }
      case 'g' -> {
        int s = sel(0, 0);
        if (s == 0) {
          tabs[cx] = false;
        } else if (s == 3) {
          Arrays.fill(tabs, false);
        }
      }
      case 'h', 'l' -> {
        for (int i = 0; i < paramCount; i++) {
          if (params[i] == 4) {
            insert = f == 'h';
          } else if (params[i] == 20) {
            newline = f == 'h';
          }
        }
      }
      case 'm' -> sgr();
      case 'n' -> {
        int s = sel(0, 0);
        if (s == 5) {
          reply("\033[0n");
        } else if (s == 6) {
          reply("\033[" + (cy + 1 - (origin ? top : 0)) + ";" + (cx + 1) + "R");
        }
      }
      case 'r' -> {
        int t = arg(0, 1);
        int b = Math.min(arg(1, rows), rows);
        if (t < b) {
          top = t - 1;
          bottom = b;
          home();
        }
      }
      case 's' -> saveCursor();
      case 'u' -> restoreCursor();
      default -> {}
    }
  }

  private void setPrivateModes(boolean set) {
    for (int i = 0; i < paramCount; i++) {
      switch (params[i]) {
        case 1 -> appCursorKeys = set;
        case 5 -> reverseVideo = set;
        case 6 -> {
          origin = set;
          home();
        }
        case 7 -> autowrap = set;
        case 25 -> cursorVisible = set;
        case 66 -> appKeypad = set;
        case 9, 1000, 1002, 1003 -> mouseTracking = set ? params[i] : 0;
        case 1005, 1006, 1015, 1016 -> {
          if (set) {
            mouseEncoding = params[i];
          } else if (mouseEncoding == params[i]) {
            mouseEncoding = 0;
          }
        }
        case 1004 -> focusEvents = set;
        case 2004 -> bracketedPaste = set;
        case 47, 1047 -> {
          if (set) {
            showAlt();
          } else {
            showMain();
          }
        }
        case 1048 -> {
          if (set) {
            saveCursor();
          } else {
            restoreCursor();
          }
        }
        case 1049 -> {
          if (set) {
            // Like xterm: save (into the alternate slot if already there), switch, clear (BCE).
            saveCursor();
            showAlt();
            eraseRows(0, rows);
            wrapPending = false;
          } else {
            showMain();
            restoreCursor();
          }
        }
        default -> {}
      }
    }
  }

  /** DECRQM value of a private mode: 1 set, 2 reset, 0 unknown. */
  private int privateMode(int m) {
    return switch (m) {
      case 1 -> on(appCursorKeys);
      case 5 -> on(reverseVideo);
      case 6 -> on(origin);
      case 7 -> on(autowrap);
      case 25 -> on(cursorVisible);
      case 66 -> on(appKeypad);
      case 9, 1000, 1002, 1003 -> on(mouseTracking == m);
      case 1005, 1006, 1015, 1016 -> on(mouseEncoding == m);
      case 1004 -> on(focusEvents);
      case 2004 -> on(bracketedPaste);
      case 47, 1047, 1049 -> on(altActive);
      default -> 0;
    };
  }

  private void sgr() {
    if (paramCount == 0) {
      pen = 0;
      return;
    }
    long p = pen;
    int i = 0;
    while (i < paramCount) {
      int a = params[i];
      int j = i + 1;
      while (j < paramCount && subParam[j]) {
        j++;
      }
      boolean hasSub = j > i + 1;
      switch (a) {
        case -1, 0 -> p = 0;
        case 1 -> p |= BOLD;
        case 2 -> p |= DIM;
        case 3 -> p |= ITALIC;
        case 4 -> p = hasSub && params[i + 1] == 0 ? p & ~UNDERLINE : p | UNDERLINE;
        case 5, 6 -> p |= BLINK;
        case 7 -> p |= INVERSE;
        case 8 -> p |= INVISIBLE;
        case 9 -> p |= STRIKE;
        case 21 -> p |= UNDERLINE; // double underline
        case 22 -> p &= ~(BOLD | DIM);
        case 23 -> p &= ~ITALIC;
        case 24 -> p &= ~UNDERLINE;
        case 25 -> p &= ~BLINK;
        case 27 -> p &= ~INVERSE;
        case 28 -> p &= ~INVISIBLE;
        case 29 -> p &= ~STRIKE;
        case 39 -> p &= ~COLOR_MASK;
        case 49 -> p &= ~BG_MASK;
        case 38, 48, 58 -> {
          int color;
          if (hasSub) {
            color = extendedColor(i + 1, j, true);
          } else {
            // Semicolon form: the colour's parameters follow as plain parameters.
            int mode = i + 1 < paramCount ? params[i + 1] : -1;
            int need = mode == 5 ? 1 : mode == 2 ? 3 : -1;
            if (need < 0 || i + 2 + need > paramCount) {
              pen = p;
              return; // malformed: ignore the rest, like xterm
            }
            color = extendedColor(i + 1, i + 2 + need, false);
            j = i + 2 + need;
          }
          if (color >= 0 && a == 38) {
            p = (p & ~COLOR_MASK) | color;
          } else if (color >= 0 && a == 48) {
            p = (p & ~BG_MASK) | ((long) color << COLOR_BITS);
          }
        }
        default -> {
          if (a >= 30 && a <= 37) {
            p = (p & ~COLOR_MASK) | INDEXED | (a - 30);
          } else if (a >= 40 && a <= 47) {
            p = (p & ~BG_MASK) | ((long) (INDEXED | (a - 40)) << COLOR_BITS);
          } else if (a >= 90 && a <= 97) {
            p = (p & ~COLOR_MASK) | INDEXED | (a - 90 + 8);
          } else if (a >= 100 && a <= 107) {
            p = (p & ~BG_MASK) | ((long) (INDEXED | (a - 100 + 8)) << COLOR_BITS);
          }
        }
      }
      i = j;
    }
    pen = p;
  }

  /**
   * Decodes the colour in parameters {@code [from, to)}: {@code 5, index} or {@code 2, r, g, b};
   * the colon form may also carry a colour space id before r (2:id:r:g:b). Returns -1 if invalid.
   */
  private int extendedColor(int from, int to, boolean colon) {
    int n = to - from;
    if (n < 2) {
      return -1;
    }
    int mode = params[from];
    if (mode == 5) {
      int idx = params[from + 1];
      return idx >= 0 && idx <= 255 ? INDEXED | idx : -1;
    }
    if (mode == 2 && n >= 4) {
      int k = colon && n >= 5 ? from + 2 : from + 1;
      int r = Math.max(0, params[k]);
      int g = Math.max(0, params[k + 1]);
      int b = Math.max(0, params[k + 2]);
      return r <= 255 && g <= 255 && b <= 255 ? RGB | r << 16 | g << 8 | b : -1;
    }
    return -1;
  }

  private void reply(String s) {
    if (replies.length() + s.length() <= MAX_REPLIES) {
      replies.append(s);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Printing

  /** Prints the run of printable ASCII starting at {@code i}; returns the index after it. */
  private int printAscii(String s, int i, int n) {
    if (insert || singleShift >= 0 || charsets[gl] != CS_ASCII) {
      print(s.charAt(i));
      return i + 1;
    }
    while (i < n) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x7f) {
        break;
      }
      if (wrapPending && autowrap) {
        cx = 0;
        index();
      }
      wrapPending = false;
      int x = cx;
      int end = i + 1;
      int limit = Math.min(n, i + cols - x);
      while (end < limit) {
        char d = s.charAt(end);
        if (d < 0x20 || d >= 0x7f) {
          break;
        }
        end++;
      }
      int len = end - i;
      int xe = x + len;
      Line l = line(cy);
      l.breakWide(x);
      l.breakWide(xe);
      int[] cp = l.cp;
      for (int k = 0; k < len; k++) {
        cp[x + k] = s.charAt(i + k);
      }
      Arrays.fill(l.st, x, xe, pen);
      if (l.marks != null) {
        Arrays.fill(l.marks, x, xe, null);
      }
      lastChar = s.charAt(end - 1);
      i = end;
      if (xe >= cols) {
        cx = cols - 1;
        wrapPending = autowrap;
      } else {
        cx = xe;
      }
    }
    return i;
  }

  private void print(int c) {
    int cs = charsets[singleShift >= 0 ? singleShift : gl];
    singleShift = -1;
    if (cs == CS_DEC_GRAPHICS && c >= 0x5f && c <= 0x7e) {
      c = DEC_GRAPHICS.charAt(c - 0x5f);
    } else if (cs == CS_UK && c == '#') {
      c = 0xa3;
    }
    put(c);
  }

  /** Writes one (already mapped) code point at the cursor. */
  private void put(int c) {
    int w = CharWidth.of(c);
    if (w == 0) {
      attachMark(c);
      lastChar = -1;
      return;
    }
    if (w == 2 && cols < 2) {
      return;
    }
    if (wrapPending && autowrap) {
      cx = 0;
      index();
    }
    wrapPending = false;
    if (w == 2 && cx == cols - 1) {
      if (!autowrap) {
        return; // does not fit and cannot wrap: dropped, as tmux does
      }
      cx = 0;
      index();
    }
    Line l = line(cy);
    if (insert) {
      l.insertCells(cx, w, eraseStyle());
    }
    l.breakWide(cx);
    l.breakWide(cx + w);
    l.set(cx, c, pen);
    if (w == 2) {
      l.set(cx + 1, Line.SPACER, pen);
    }
    lastChar = c;
    cx += w;
    if (cx >= cols) {
      cx = cols - 1;
      wrapPending = autowrap;
    }
  }

  private void attachMark(int c) {
    int x = wrapPending ? cx : cx - 1;
    Line l = lines[cy];
    if (x < 0 || l == null) {
      return;
    }
    if (l.cp[x] == Line.SPACER) {
      x--;
    }
    if (x >= 0) {
      l.addMark(x, c);
    }
  }

  private void repeat(int n) {
    if (repeatable < 0) {
      return;
    }
    n = (int) Math.min(Math.min(n, MAX_REPEAT), (long) cols * rows);
    int c = repeatable;
    repeatable = -1;
    for (int k = 0; k < n; k++) {
      put(c);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Screen operations

  private Line line(int y) {
    Line l = lines[y];
    if (l == null) {
      l = new Line(cols, 0);
      lines[y] = l;
    }
    return l;
  }

  /** Style of erased cells: the background colour of the pen only. */
  private long eraseStyle() {
    return pen & BG_MASK;
  }

  private Line blank(Line reuse, long style) {
    if (reuse != null) {
      reuse.clear(style);
      return reuse;
    }
    return style == 0 ? null : new Line(cols, style);
  }

  /** Scrolls rows {@code [t, b)} up by {@code n}, blank rows entering at the bottom. */
  private void scrollUp(int t, int b, int n) {
    n = Math.min(n, b - t);
    long es = eraseStyle();
    System.arraycopy(lines, t, scratch, 0, n);
    System.arraycopy(lines, t + n, lines, t, b - t - n);
    for (int k = 0; k < n; k++) {
      lines[b - n + k] = blank(scratch[k], es);
      scratch[k] = null;
    }
  }

  /** Scrolls rows {@code [t, b)} down by {@code n}, blank rows entering at the top. */
  private void scrollDown(int t, int b, int n) {
    n = Math.min(n, b - t);
    long es = eraseStyle();
    System.arraycopy(lines, b - n, scratch, 0, n);
    System.arraycopy(lines, t, lines, t + n, b - t - n);
    for (int k = 0; k < n; k++) {
      lines[t + k] = blank(scratch[k], es);
      scratch[k] = null;
    }
  }

  private void index() {
    if (cy == bottom - 1) {
      scrollUp(top, bottom, 1);
    } else if (cy < rows - 1) {
      cy++;
    }
  }

  private void reverseIndex() {
    if (cy == top) {
      scrollDown(top, bottom, 1);
    } else if (cy > 0) {
      cy--;
    }
  }

  /** Blanks cells {@code [x0, x1)} of row {@code y} with the erase style. */
  private void erase(int y, int x0, int x1) {
    long es = eraseStyle();
    Line l = lines[y];
    if (x0 >= x1 || (l == null && es == 0)) {
      return;
    }
    l = line(y);
    l.breakWide(x0);
    l.breakWide(x1);
    l.fill(x0, x1, es);
  }

  private void eraseRows(int y0, int y1) {
    long es = eraseStyle();
    for (int y = y0; y < y1; y++) {
      lines[y] = blank(lines[y], es);
    }
  }

  private void eraseDisplay(int mode) {
    switch (mode) {
      case 0 -> {
        erase(cy, cx, cols);
        eraseRows(cy + 1, rows);
      }
      case 1 -> {
        eraseRows(0, cy);
        erase(cy, 0, cx + 1);
      }
      case 2 -> eraseRows(0, rows);
      default -> {
        return;
      }
    }
    wrapPending = false;
  }

  private void eraseLine(int mode) {
    switch (mode) {
      case 0 -> erase(cy, cx, cols);
      case 1 -> erase(cy, 0, cx + 1);
      case 2 -> erase(cy, 0, cols);
      default -> {
        return;
      }
    }
    wrapPending = false;
  }

  private void clearScreen(Line[] buf) {
    for (int y = 0; y < rows; y++) {
      buf[y] = null;
    }
  }

  private void showAlt() {
    if (!altActive) {
      altActive = true;
      lines = alt;
    }
  }

  private void showMain() {
    if (altActive) {
      altActive = false;
      lines = main;
      clearScreen(alt);
    }
  }

  private void decaln() {
    for (int y = 0; y < rows; y++) {
      Line l = blank(lines[y], 0);
      if (l == null) {
        l = new Line(cols, 0);
      }
      Arrays.fill(l.cp, 'E');
      lines[y] = l;
    }
    top = 0;
    bottom = rows;
    cx = 0;
    cy = 0;
    wrapPending = false;
  }

  // ---------------------------------------------------------------------------------------------
  // Cursor

  private void moveTo(int x, int y) {
    cx = clamp(x, 0, cols - 1);
    cy = clamp(y, 0, rows - 1);
    wrapPending = false;
  }

  private void home() {
    moveTo(0, origin ? top : 0);
  }

  private void cursorPosition(int row, int col) {
    int y = origin ? Math.min(top + row - 1, bottom - 1) : row - 1;
    moveTo(col - 1, y);
  }

  private void cursorUp(int n) {
    int min = cy >= top ? top : 0;
    moveTo(cx, Math.max(min, cy - n));
  }

  private void cursorDown(int n) {
    int max = cy < bottom ? bottom - 1 : rows - 1;
    moveTo(cx, Math.min(max, cy + Math.min(n, rows)));
  }

  private void tabForward(int n) {
    int x = cx;
    for (int k = 0; k < n && x < cols - 1; k++) {
      x++;
      while (x < cols - 1 && !tabs[x]) {
        x++;
      }
    }
    cx = x;
    wrapPending = false;
  }

  private void tabBackward(int n) {
    int x = cx;
    for (int k = 0; k < n && x > 0; k++) {
      x--;
      while (x > 0 && !tabs[x]) {
        x--;
      }
    }
    cx = x;
    wrapPending = false;
  }

  private Saved saved() {
    return altActive ? savedAlt : savedMain;
  }

  private void saveCursor() {
    Saved s = saved();
    s.x = cx;
    s.y = cy;
    s.pen = pen;
    s.origin = origin;
    System.arraycopy(charsets, 0, s.charsets, 0, 4);
    s.gl = gl;
    s.wrapPending = wrapPending;
  }

  private void restoreCursor() {
    Saved s = saved();
    cx = Math.min(s.x, cols - 1);
    cy = Math.min(s.y, rows - 1);
    pen = s.pen;
    origin = s.origin;
    System.arraycopy(s.charsets, 0, charsets, 0, 4);
    gl = s.gl;
    if (origin) {
      cy = clamp(cy, top, bottom - 1); // like xterm, which restores the row relative to the margin
    }
    wrapPending = s.wrapPending && cx == cols - 1;
  }

  private static int clamp(int v, int min, int max) {
    return v < min ? min : Math.min(v, max);
  }

  // ---------------------------------------------------------------------------------------------
  // Resets

  /** DECSTR: modes, margins, pen, character sets and the saved cursor; the screen is kept. */
  private void resetSoft() {
    cursorVisible = true;
    insert = false;
    origin = false;
    autowrap = true;
    appKeypad = false;
    appCursorKeys = false;
    top = 0;
    bottom = rows;
    pen = 0;
    Arrays.fill(charsets, CS_ASCII);
    gl = 0;
    singleShift = -1;
    saved().reset();
  }

  /** RIS: everything back to the initial state, both screens blank. */
  private void resetHard() {
    clearScreen(main);
    clearScreen(alt);
    lines = main;
    altActive = false;
    cx = 0;
    cy = 0;
    wrapPending = false;
    resetSoft();
    savedMain.reset();
    savedAlt.reset();
    newline = false;
    bracketedPaste = false;
    reverseVideo = false;
    focusEvents = false;
    mouseTracking = 0;
    mouseEncoding = 0;
    cursorStyle = 0;
    lastChar = -1;
    repeatable = -1;
    for (int x = 0; x < cols; x++) {
      tabs[x] = x % 8 == 0;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Testing support

  /** SGR parameters that select the style of cell ({@code x}, {@code y}), e.g. "0;1;38;5;130". */
  String sgrAt(int x, int y) {
    Line l = lines[y];
    StringBuilder sb = new StringBuilder();
    appendSgr(sb, l == null ? 0 : l.st[x]);
    return sb.substring(2, sb.length() - 1);
  }

  /** The pen as SGR parameters, e.g. "0;4". */
  String pen() {
    StringBuilder sb = new StringBuilder();
    appendSgr(sb, pen);
    return sb.substring(2, sb.length() - 1);
  }

  /** Code point of cell ({@code x}, {@code y}); -1 for the right half of a wide character. */
  int codePointAt(int x, int y) {
    Line l = lines[y];
    return l == null ? ' ' : l.cp[x];
  }

  /** Whether the last column was written and the next printable character wraps first. */
  boolean wrapPending() {
    return wrapPending;
  }

  /**
   * Every piece of state that affects what the screen shows or how later output lands, as text (so
   * that tests can compare two screens and show a readable difference). The parser state, the
   * queued replies and the character REP would repeat are left out.
   */
  String dumpState() {
    StringBuilder sb = new StringBuilder();
    sb.append("size ").append(cols).append('x').append(rows);
    sb.append(" cursor ").append(cx).append(',').append(cy);
    sb.append(wrapPending ? " wrap-pending" : "").append(altActive ? " alt" : " main");
    sb.append(" region ").append(top).append('-').append(bottom);
    sb.append(" pen ").append(Long.toHexString(pen)).append('\n');
    sb.append("modes autowrap=").append(autowrap).append(" origin=").append(origin);
    sb.append(" insert=").append(insert).append(" lnm=").append(newline);
    sb.append(" decckm=").append(appCursorKeys).append(" keypad=").append(appKeypad);
    sb.append(" cursor=").append(cursorVisible).append(" paste=").append(bracketedPaste);
    sb.append(" reverse=").append(reverseVideo).append(" focus=").append(focusEvents);
    sb.append(" mouse=").append(mouseTracking).append('/').append(mouseEncoding);
    sb.append(" shape=").append(cursorStyle).append('\n');
    sb.append("charsets ").append(Arrays.toString(charsets)).append(" gl=").append(gl);
    sb.append(" ss=").append(singleShift).append('\n');
    sb.append("saved main ").append(savedMain).append('\n');
    sb.append("saved alt ").append(savedAlt).append('\n');
    sb.append("tabs");
    for (int x = 0; x < cols; x++) {
      if (tabs[x]) {
        sb.append(' ').append(x);
      }
    }
    sb.append('\n');
    dumpScreen(sb, "main", main);
    dumpScreen(sb, "alt", alt);
    return sb.toString();
  }

  private void dumpScreen(StringBuilder sb, String name, Line[] buf) {
    for (int y = 0; y < rows; y++) {
      Line l = buf[y] == null ? new Line(cols, 0) : buf[y];
      sb.append(name).append(' ').append(y).append(": ");
      long cur = 0;
      for (int x = 0; x < cols; x++) {
        if (l.st[x] != cur) {
          cur = l.st[x];
          sb.append('\u00ab').append(Long.toHexString(cur)).append('\u00bb');
        }
        int c = l.cp[x];
        if (c == Line.SPACER) {
          sb.append("\u00abwide\u00bb");
        } else {
          sb.appendCodePoint(c);
        }
        String m = l.mark(x);
        if (m != null) {
          sb.append("\u00ab+").append(m).append('\u00bb');
        }
      }
      sb.append('\n');
    }
  }

  /** Throws if a structural invariant does not hold (for tests). */
  void checkInvariants() {
    if (cx < 0 || cx >= cols || cy < 0 || cy >= rows || top < 0 || top >= bottom || bottom > rows) {
      throw new IllegalStateException("cursor or region out of bounds: " + dumpState());
    }
    if (origin && (cy < top || cy >= bottom)) {
      throw new IllegalStateException("cursor outside the region in origin mode: " + dumpState());
    }
    for (Line[] buf : new Line[][] {main, alt}) {
      for (int y = 0; y < rows; y++) {
        Line l = buf[y];
        if (l == null) {
          continue;
        }
        if (l.length() != cols || l.st.length != cols) {
          throw new IllegalStateException("row " + y + " has " + l.length() + " cells");
        }
        for (int x = 0; x < cols; x++) {
          int c = l.cp[x];
          boolean spacer = c == Line.SPACER;
          boolean head = !spacer && CharWidth.of(c) == 2;
          if (spacer && (x == 0 || l.cp[x - 1] == Line.SPACER || CharWidth.of(l.cp[x - 1]) != 2)) {
            throw new IllegalStateException("orphan spacer at " + x + "," + y);
          }
          if (head && (x + 1 >= cols || l.cp[x + 1] != Line.SPACER)) {
            throw new IllegalStateException("wide char without spacer at " + x + "," + y);
          }
          if (!spacer && (c < 0x20 || CharWidth.of(c) == 0)) {
            throw new IllegalStateException("bad code point " + c + " at " + x + "," + y);
          }
        }
      }
    }
  }

  /** Cursor state saved by DECSC, one per screen. */
  private static final class Saved {
    int x;
    int y;
    long pen;
    boolean origin;
    final int[] charsets = new int[4];
    int gl;
    boolean wrapPending;

    void reset() {
      x = 0;
      y = 0;
      pen = 0;
      origin = false;
      Arrays.fill(charsets, CS_ASCII);
      gl = 0;
      wrapPending = false;
    }

    @Override
    public String toString() {
      return x
          + ","
          + y
          + " pen "
          + Long.toHexString(pen)
          + " origin="
          + origin
          + " charsets "
          + Arrays.toString(charsets)
          + " gl="
          + gl
          + (wrapPending ? " wrap-pending" : "");
    }
  }
}
