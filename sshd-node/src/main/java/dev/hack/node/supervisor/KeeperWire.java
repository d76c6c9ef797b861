package dev.hack.node.supervisor;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.node.platform.UnixSocket;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The keeper's protocol on the wire: frames of a 4-byte big-endian length and a JSON object with a
 * {@code type}, over a {@link UnixSocket}; a frame may carry descriptors (a PTY master), which
 * travel with its first byte. A frame is read exactly (header, then body, never more), so the
 * descriptors a read brings belong to the frame being read. Versioned by {@link #VERSION} in the
 * {@code hello} each side sends first; a side speaks the lower of the two.
 */
final class KeeperWire {
  /** The protocol this build speaks. A newer node must work with a running older keeper. */
  static final int VERSION = 1;

  /** The largest frame either side accepts (a spawn's argv and environment fit easily). */
  static final int MAX_FRAME = 1 << 20;

  /** One frame: the message and the descriptors that came with it (owned by the receiver). */
  record Frame(JsonObject message, int[] fds) {
    String type() {
      return message.has("type") ? message.get("type").getAsString() : "";
    }
  }

  private final UnixSocket socket;
  private final Object writeLock = new Object();

  KeeperWire(UnixSocket socket) {
    this.socket = socket;
  }

  UnixSocket socket() {
    return socket;
  }

  /** Sends {@code message} with {@code fds}. Thread-safe: frames never interleave. */
  void send(JsonObject message, int... fds) throws IOException {
    byte[] body = message.toString().getBytes(StandardCharsets.UTF_8);
    if (body.length > MAX_FRAME) {
      throw new IOException("keeper frame too large: " + body.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.allocate(4 + body.length);
    b.putInt(body.length).put(body);
    synchronized (writeLock) {
      socket.send(b.array(), 0, b.capacity(), fds);
    }
  }

  /** Reads the next frame; {@link EOFException} at the end of the stream. One reader only. */
  Frame receive() throws IOException {
    List<Integer> fds = new ArrayList<>();
    byte[] header = readExactly(4, fds);
    int len = ByteBuffer.wrap(header).getInt();
    if (len < 0 || len > MAX_FRAME) {
      closeAll(fds);
      throw new IOException("bad keeper frame length " + len);
    }
    byte[] body = readExactly(len, fds);
    JsonObject message;
    try {
      message = JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (RuntimeException e) {
      closeAll(fds);
      throw new IOException("bad keeper frame: " + e.getMessage(), e);
    }
    return new Frame(message, fds.stream().mapToInt(Integer::intValue).toArray());
  }

  private byte[] readExactly(int n, List<Integer> fds) throws IOException {
    byte[] out = new byte[n];
    int got = 0;
    while (got < n) {
      byte[] buf = new byte[n - got];
      UnixSocket.Received r = socket.receive(buf);
      for (int fd : r.fds()) {
        fds.add(fd);
      }
      if (r.length() < 0) {
        closeAll(fds);
        throw new EOFException("the keeper connection ended");
      }
      System.arraycopy(buf, 0, out, got, r.length());
      got += r.length();
    }
    return out;
  }

  private static void closeAll(List<Integer> fds) {
    for (int fd : fds) {
      UnixSocket.closeFd(fd);
    }
  }

  static JsonObject message(String type) {
    JsonObject o = new JsonObject();
    o.addProperty("type", type);
    return o;
  }
}
