package dev.hack.cli;

import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.google.zxing.qrcode.encoder.ByteMatrix;
import com.google.zxing.qrcode.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;

/**
 * QR codes drawn in a terminal with Unicode half blocks: each character cell holds two modules, one
 * above the other ({@code ▀ ▄ █} and space). ZXing encodes; this class only draws.
 *
 * <p>By default the code is drawn for a dark terminal: blocks are the <em>light</em> modules and
 * the terminal's own background shows through as the dark ones, so a phone sees dark modules on a
 * light quiet zone, as the QR standard wants. {@code invert} draws the dark modules as blocks
 * instead, for terminals with a light background.
 */
final class QrCodes {
  /** Light modules around the symbol. The standard asks for 4; 2 scans reliably off a screen. */
  static final int QUIET_ZONE = 2;

  static final char UPPER = '▀';
  static final char LOWER = '▄';
  static final char FULL = '█';

  private QrCodes() {}

  /**
   * The symbol's modules, without a quiet zone: {@code [y][x]}, true for dark.
   *
   * @throws IllegalArgumentException if the text is too long for a QR code
   */
  static boolean[][] modules(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("nothing to put in a QR code");
    }
    Map<EncodeHintType, Object> hints = new EnumMap<>(EncodeHintType.class);
    // plain ISO-8859-1 byte mode for ASCII; UTF-8 (with its ECI marker) only when it is needed,
    // since some phone scanners mishandle the marker
    if (!StandardCharsets.US_ASCII.newEncoder().canEncode(text)) {
      hints.put(EncodeHintType.CHARACTER_SET, StandardCharsets.UTF_8.name());
    }
    ByteMatrix m;
    try {
      // L: a code on a screen is not scuffed or torn, and a lower level keeps it small
      m = Encoder.encode(text, ErrorCorrectionLevel.L, hints).getMatrix();
    } catch (WriterException e) {
      throw new IllegalArgumentException(
          "cannot make a QR code of " + text.length() + " characters: " + e.getMessage(), e);
    }
    boolean[][] out = new boolean[m.getHeight()][m.getWidth()];
    for (int y = 0; y < m.getHeight(); y++) {
      for (int x = 0; x < m.getWidth(); x++) {
        out[y][x] = m.get(x, y) == 1;
      }
    }
    return out;
  }

  /** {@code text} as a QR code in half blocks, one line per two module rows, each ending in \n. */
  static String render(String text, boolean invert) {
    boolean[][] symbol = modules(text);
    int size = symbol.length + 2 * QUIET_ZONE;
    StringBuilder sb = new StringBuilder((size + 1) * (size / 2 + 1));
    for (int y = 0; y < size; y += 2) {
      for (int x = 0; x < size; x++) {
        boolean top = block(symbol, x, y, size, invert);
        boolean bottom = block(symbol, x, y + 1, size, invert);
        sb.append(top ? (bottom ? FULL : UPPER) : (bottom ? LOWER : ' '));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /**
   * Whether the module at ({@code x}, {@code y}) of the code with its quiet zone is drawn as a
   * block. Below the last row (the height is odd) nothing is drawn: that is the terminal.
   */
  private static boolean block(boolean[][] symbol, int x, int y, int size, boolean invert) {
    if (y >= size) {
      return false;
    }
    int sx = x - QUIET_ZONE;
    int sy = y - QUIET_ZONE;
    boolean dark = sy >= 0 && sy < symbol.length && sx >= 0 && sx < symbol.length && symbol[sy][sx];
    return dark == invert;
  }
}
