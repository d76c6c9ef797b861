package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QrCodesTest {
  /** Pixels per module in the picture handed to the decoder, as a phone camera would see it. */
  private static final int SCALE = 4;

  /** Terminal background, in modules, around what was printed. */
  private static final int TERMINAL = 3;

  /**
   * Reads half-block text back the way a phone reads the screen: every character is two modules, a
   * block is lit (light), anything else is the terminal's background, dark unless {@code
   * lightTerminal}.
   */
  static String decode(String rendered, boolean lightTerminal) throws Exception {
    List<String> rows = rendered.lines().filter(l -> !l.isEmpty()).toList();
    int cols = rows.stream().mapToInt(String::length).max().orElseThrow();
    int w = (cols + 2 * TERMINAL) * SCALE;
    int h = (rows.size() * 2 + 2 * TERMINAL) * SCALE;
    int lit = 0xFFFFFFFF;
    int unlit = 0xFF000000;
    int fg = lightTerminal ? unlit : lit;
    int bg = lightTerminal ? lit : unlit;
    int[] pixels = new int[w * h];
    java.util.Arrays.fill(pixels, bg);
    for (int r = 0; r < rows.size(); r++) {
      String row = rows.get(r);
      for (int c = 0; c < row.length(); c++) {
        char ch = row.charAt(c);
        boolean top = ch == QrCodes.FULL || ch == QrCodes.UPPER;
        boolean bottom = ch == QrCodes.FULL || ch == QrCodes.LOWER;
        assertThat(ch).isIn(QrCodes.FULL, QrCodes.UPPER, QrCodes.LOWER, ' ');
        paint(pixels, w, c + TERMINAL, 2 * r + TERMINAL, top ? fg : bg);
        paint(pixels, w, c + TERMINAL, 2 * r + 1 + TERMINAL, bottom ? fg : bg);
      }
    }
    BinaryBitmap bitmap =
        new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(w, h, pixels)));
    return new QRCodeReader().decode(bitmap, Map.of(DecodeHintType.TRY_HARDER, true)).getText();
  }

  private static void paint(int[] pixels, int w, int mx, int my, int colour) {
    for (int y = my * SCALE; y < (my + 1) * SCALE; y++) {
      for (int x = mx * SCALE; x < (mx + 1) * SCALE; x++) {
        pixels[y * w + x] = colour;
      }
    }
  }

  @Test
  void gatewayPayloadRoundTripsThroughTheHalfBlocksOnADarkTerminal() throws Exception {
    String payload =
        RemotePayloads.gateway(
            "https://gateway.example.com/",
            "hk_3f9a1c2b4d5e_Jq3xY7fK2mN9pQ4rS8tU1vW5xZ0aB6cD3eF7gH2iJ4k",
            "p_0123456789ab");
    String qr = QrCodes.render(payload, false);
    assertThat(decode(qr, false)).isEqualTo(payload);
  }

  @Test
  void invertedCodeScansOnALightTerminal() throws Exception {
    String payload = RemotePayloads.ssh("me", "laptop.tailnet.ts.net", 2222);
    assertThat(decode(QrCodes.render(payload, true), true)).isEqualTo(payload);
  }

  @Test
  void codeIsSquareWithALitQuietZoneTwoModulesPerCharacter() {
    String qr = QrCodes.render("ssh://me@host", false);
    List<String> rows = qr.lines().toList();
    int modules = QrCodes.modules("ssh://me@host").length + 2 * QrCodes.QUIET_ZONE;
    assertThat(rows).hasSize((modules + 1) / 2).allSatisfy(r -> assertThat(r).hasSize(modules));
    // the quiet zone is drawn (light) on every side; the half row below the code is the terminal
    assertThat(rows.get(0)).matches("█+");
    assertThat(rows.get(rows.size() - 1)).matches("▀+");
    assertThat(rows.subList(0, rows.size() - 1))
        .allSatisfy(r -> assertThat(r).startsWith("██").endsWith("██"));
    assertThat(qr).endsWith("\n");
  }

  @Test
  void nonAsciiTextRoundTripsAsUtf8() throws Exception {
    String text = "https://gäteway.example.com ✓";
    assertThat(decode(QrCodes.render(text, false), false)).isEqualTo(text);
  }

  @Test
  void emptyOrOversizedTextIsRefusedWithTheReason() {
    assertThatThrownBy(() -> QrCodes.render("", false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nothing");
    assertThatThrownBy(() -> QrCodes.render("x".repeat(5000), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("5000 characters");
  }

  @Test
  void payloadDecodesToTheDocumentedFields() {
    JsonObject o =
        JsonParser.parseString(RemotePayloads.gateway("http://127.0.0.1:7788", "hk_a_b", null))
            .getAsJsonObject();
    assertThat(o.keySet()).containsExactly("type", "version", "url", "token");
    assertThat(o.get("type").getAsString()).isEqualTo("hack-gateway");
    assertThat(o.get("version").getAsInt()).isEqualTo(1);
  }
}
