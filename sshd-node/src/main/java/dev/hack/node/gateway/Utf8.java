package dev.hack.node.gateway;

import java.nio.charset.StandardCharsets;

/**
 * Terminal output is bytes, WebSocket text frames are strings: these helpers cut byte streams at
 * character boundaries so a multi-byte character split across two reads is never mangled. Bytes
 * that are not UTF-8 at all become U+FFFD.
 */
final class Utf8 {
  private Utf8() {}

  /**
   * How many of the {@code len} bytes at {@code off} can be decoded now: all of them, except an
   * incomplete character at the end (at most 3 bytes), which should wait for the next read.
   */
  static int completeLength(byte[] b, int off, int len) {
    int back = 0;
    for (int i = off + len - 1; i >= off && back < 4; i--, back++) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        return len; // ASCII: everything before it is complete or invalid anyway
      }
      if (c >= 0xc0) {
        int need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        return back + 1 >= need ? len : len - back - 1;
      }
    }
    return len; // only continuation bytes: invalid, decode as is
  }

  /** A stateful decoder: {@link #decode} returns the complete characters, keeping the rest. */
  static final class Decoder {
    private byte[] carry = new byte[0];

    String decode(byte[] data, int off, int len) {
      byte[] all;
      int start;
      int n;
      if (carry.length == 0) {
        all = data;
        start = off;
        n = len;
      } else {
        all = new byte[carry.length + len];
        System.arraycopy(carry, 0, all, 0, carry.length);
        System.arraycopy(data, off, all, carry.length, len);
        start = 0;
        n = all.length;
      }
      int complete = completeLength(all, start, n);
      String s = new String(all, start, complete, StandardCharsets.UTF_8);
      carry = java.util.Arrays.copyOfRange(all, start + complete, start + n);
      return s;
    }
  }
}
