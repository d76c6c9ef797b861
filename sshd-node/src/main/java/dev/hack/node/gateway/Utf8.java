package dev.hack.node.gateway;

import dev.hack.node.supervisor.LogSource;
import java.io.IOException;
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

  /**
   * {@code log}, read in whole characters: a read that would end inside a character stops before
   * it, and the character is read with the bytes that complete it. A character cut short by the end
   * of a complete log, and a read that came back short holding nothing but the start of one (the
   * file has less than the log's end says), are handed over as they are (they become U+FFFD), so a
   * follower never waits for bytes that will not come.
   */
  static LogSource whole(LogSource log) {
    return new LogSource() {
      @Override
      public long end() {
        return log.end();
      }

      @Override
      public boolean complete() {
        return log.complete();
      }

      @Override
      public int read(long from, byte[] dst, int off, int len) throws IOException {
        boolean last = log.complete(); // before the end: once complete, the end read after is final
        long end = log.end();
        int n = log.read(from, dst, off, len);
        if (n <= 0) {
          return n;
        }
        int complete = completeLength(dst, off, n);
        if (complete < n && ((complete == 0 && n < len) || (last && from + n >= end))) {
          // the log is over, or the file ends early: nothing will complete the character
          complete = n;
        }
        return complete;
      }
    };
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
