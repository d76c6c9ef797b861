package dev.hack.cli;

import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * The fast path's wire format, spoken over {@code HACK_HOME/run/cli.sock} between a thin {@code
 * hack} client ({@link FastPath}) and the local node ({@link FastPathServer}).
 *
 * <p>A frame is a big-endian {@code u32} length (of what follows), a type byte and a payload.
 * Strings are a {@code u32} byte count and UTF-8. The client sends one {@link #REQUEST}: {@link
 * #MAGIC}, its build id, its {@code HACK_HOME}, the charsets of its stdout and stderr, then argv.
 * The node answers {@link #REFUSE} (with a reason; the client then runs the command itself) or
 * {@link #ACCEPT} (with how long the client should wait, in milliseconds), then {@link #OUT} and
 * {@link #ERR} frames in the order the command wrote them, and {@link #EXIT} with the exit status.
 * A {@link #REFUSE} can also come after {@link #ACCEPT}, instead of the output.
 *
 * <p>Client code runs before anything else in the JVM, so this class uses only {@code java.base}
 * and no lambdas, records or string concatenation ({@code +} on strings is an {@code invokedynamic}
 * that loads a hundred classes on first use).
 */
final class FastPathWire {
  /** "HCK1": the protocol; a client and a node that differ here refuse each other. */
  static final int MAGIC = 0x48434b31;

  static final byte REQUEST = 'Q';
  static final byte ACCEPT = 'A';
  static final byte REFUSE = 'R';
  static final byte OUT = 'O';
  static final byte ERR = 'E';
  static final byte EXIT = 'X';

  /** The largest request a node reads; argv of a listing is a few hundred bytes. */
  static final int MAX_REQUEST = 64 * 1024;

  /** The most output a command may send back; past it the node refuses and the client runs it. */
  static final int MAX_OUTPUT = 64 * 1024 * 1024;

  private FastPathWire() {}

  /** {@code HACK_HOME/run/cli.sock}. */
  static Path socket(Path home) {
    return home.resolve("run").resolve("cli.sock");
  }

  /** Writes one frame; blocks until it is written. */
  static void write(WritableByteChannel ch, byte type, ByteBuffer payload) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(5);
    head.putInt(1 + payload.remaining()).put(type).flip();
    while (head.hasRemaining()) {
      ch.write(head);
    }
    while (payload.hasRemaining()) {
      ch.write(payload);
    }
  }

  /**
   * Reads one frame of at most {@code max} bytes; returns it with the type byte at position 0.
   *
   * @throws EOFException when the other side closed first
   * @throws IOException when the frame is empty or longer than {@code max}
   */
  static ByteBuffer read(ReadableByteChannel ch, int max) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(4);
    fill(ch, head);
    int length = head.getInt(0);
    if (length < 1 || length > max) {
      throw new IOException(
          new StringBuilder("a frame of ")
              .append(Integer.toUnsignedString(length))
              .append(" bytes (at most ")
              .append(max)
              .append(')')
              .toString());
    }
    ByteBuffer frame = ByteBuffer.allocate(length);
    fill(ch, frame);
    frame.flip();
    return frame;
  }

  private static void fill(ReadableByteChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new EOFException("closed by the other side");
      }
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Puts a string encoded with {@link #utf8}. */
  static void putString(ByteBuffer b, byte[] utf8) {
    b.putInt(utf8.length).put(utf8);
  }

  /**
   * @throws IOException when the string claims more bytes than are left
   */
  static String getString(ByteBuffer b) throws IOException {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw new IOException("a string runs past the end of its frame");
    }
    String s = new String(b.array(), b.arrayOffset() + b.position(), n, StandardCharsets.UTF_8);
    b.position(b.position() + n);
    return s;
  }

  /** A frame's payload that holds one string. */
  static ByteBuffer stringPayload(String s) {
    byte[] bytes = utf8(s);
    ByteBuffer b = ByteBuffer.allocate(4 + bytes.length);
    putString(b, bytes);
    return b.flip();
  }

  /**
   * This build's identity: the CRC-32 of the jar's central directory (which holds every entry's
   * CRC), so two copies of one jar agree and any rebuild that changes a class differs. Null when
   * the classes do not come from exactly one jar (an IDE, the unit tests), or the jar cannot be
   * read: then there is no fast path.
   */
  static String buildId() {
    String cp = System.getProperty("java.class.path", "");
    if (cp.isEmpty() || cp.indexOf(File.pathSeparatorChar) >= 0 || !cp.endsWith(".jar")) {
      return null;
    }
    return buildId(cp);
  }

  /** The build id of the jar at {@code path}; null when it cannot be read as a zip. */
  static String buildId(String path) {
    try (RandomAccessFile jar = new RandomAccessFile(path, "r")) {
      long size = jar.length();
      long[] dir = centralDirectory(jar, size);
      if (dir == null || dir[1] > 64L * 1024 * 1024) {
        return null;
      }
      byte[] cd = new byte[(int) dir[1]];
      jar.seek(dir[0]);
      jar.readFully(cd);
      CRC32 crc = new CRC32();
      crc.update(cd, 0, cd.length);
      return new StringBuilder("jar-")
          .append(Long.toHexString(crc.getValue()))
          .append('-')
          .append(Long.toHexString(size))
          .toString();
    } catch (IOException | RuntimeException e) {
      return null; // no identity, no fast path: the normal path runs
    }
  }

  /** {offset, size} of the zip's central directory, or null when it is not a plain zip. */
  private static long[] centralDirectory(RandomAccessFile jar, long size) throws IOException {
    // the end record is the last 22 bytes when the zip has no comment (jars do not)
    if (size < 22) {
      return null;
    }
    ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
    jar.seek(size - 22);
    jar.readFully(end.array());
    if (end.getInt(0) != 0x06054b50) {
      return null;
    }
    long cdSize = Integer.toUnsignedLong(end.getInt(12));
    long cdOffset = Integer.toUnsignedLong(end.getInt(16));
    if (cdSize == 0xffffffffL || cdOffset == 0xffffffffL || end.getShort(10) == (short) 0xffff) {
      // zip64: the locator sits before the end record and points at the zip64 end record
      if (size < 42) {
        return null;
      }
      ByteBuffer loc = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
      jar.seek(size - 42);
      jar.readFully(loc.array());
      if (loc.getInt(0) != 0x07064b50) {
        return null;
      }
      ByteBuffer end64 = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
      jar.seek(loc.getLong(8));
      jar.readFully(end64.array());
      if (end64.getInt(0) != 0x06064b50) {
        return null;
      }
      cdSize = end64.getLong(40);
      cdOffset = end64.getLong(48);
    }
    if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > size) {
      return null;
    }
    return new long[] {cdOffset, cdSize};
  }
}
