package dev.hack.node.keeper;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A unix stream socket that can carry open file descriptors ({@code SCM_RIGHTS}), which Java's own
 * {@code SocketChannel} cannot: the keeper hands PTY masters to the node with it, so the node reads
 * and writes them itself and no byte takes an extra hop. Plain libc calls through JNA; the two
 * struct layouts that differ between Linux and macOS ({@code sockaddr_un}, {@code msghdr} with its
 * {@code cmsghdr}) are written out for each, for 64-bit only.
 *
 * <p>Blocking. One thread reads, one writes (or each side is used by one thread at a time).
 */
public final class UnixSocket implements AutoCloseable {
  static {
    Native.register(Platform.C_LIBRARY_NAME);
  }

  private static final int AF_UNIX = 1;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_CLOEXEC = Platform.isLinux() ? 0x80000 : 0;
  private static final int SOL_SOCKET = Platform.isMac() ? 0xffff : 1;
  private static final int SCM_RIGHTS = 1;
  private static final int EINTR = 4;
  private static final int MSG_CMSG_CLOEXEC = Platform.isLinux() ? 0x40000000 : 0;
  private static final int FD_CLOEXEC = 1;
  private static final int F_SETFD = 2;

  /** The most descriptors one message carries. */
  public static final int MAX_FDS = 16;

  private static native int socket(int domain, int type, int protocol);

  private static native int socketpair(int domain, int type, int protocol, int[] sv);

  private static native int bind(int fd, Pointer addr, int len);

  private static native int listen(int fd, int backlog);

  private static native int accept(int fd, Pointer addr, Pointer len);

  private static native int connect(int fd, Pointer addr, int len);

  private static native long sendmsg(int fd, Pointer msg, int flags);

  private static native long recvmsg(int fd, Pointer msg, int flags);

  private static native int close(int fd);

  private static native int fcntl(int fd, int cmd, int arg);

  private static native int shutdown(int fd, int how);

  private final int fd;
  private volatile boolean closed;

  private UnixSocket(int fd) {
    this.fd = fd;
  }

  /** A connected pair, for tests and for a keeper handing a socket to a child. */
  public static UnixSocket[] pair() throws IOException {
    int[] sv = new int[2];
    check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
    cloexec(sv[0]);
    cloexec(sv[1]);
    return new UnixSocket[] {new UnixSocket(sv[0]), new UnixSocket(sv[1])};
  }

  /** Connects to the socket listening at {@code path}. */
  public static UnixSocket connect(Path path) throws IOException {
    int fd = newSocket();
    Memory addr = address(path);
    if (connect(fd, addr, (int) addr.size()) < 0) {
      int errno = Native.getLastError();
      close(fd);
      throw new IOException("cannot connect to " + path + ": " + strerror(errno));
    }
    return new UnixSocket(fd);
  }

  /** Listens at {@code path}, which must not exist (the caller removes a stale one first). */
  public static UnixSocket listen(Path path, int backlog) throws IOException {
    int fd = newSocket();
    Memory addr = address(path);
    if (bind(fd, addr, (int) addr.size()) < 0 || listen(fd, backlog) < 0) {
      int errno = Native.getLastError();
      close(fd);
      throw new IOException("cannot listen at " + path + ": " + strerror(errno));
    }
    return new UnixSocket(fd);
  }

  /** Waits for the next connection to this listening socket. */
  public UnixSocket accept() throws IOException {
    while (true) {
      int c = accept(fd, null, null);
      if (c >= 0) {
        cloexec(c);
        return new UnixSocket(c);
      }
      int errno = Native.getLastError();
      if (errno != EINTR) {
        throw new IOException("accept: " + strerror(errno));
      }
    }
  }

  private static int newSocket() throws IOException {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd, "socket");
    cloexec(fd);
    return fd;
  }

  private static void cloexec(int fd) {
    fcntl(fd, F_SETFD, FD_CLOEXEC); // macOS has no SOCK_CLOEXEC; on Linux it is already set
  }

  /** {@code struct sockaddr_un} for {@code path}. */
  private static Memory address(Path path) throws IOException {
    byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
    int max = Platform.isMac() ? 104 : 108;
    if (p.length >= max) {
      throw new IOException(
          "socket path too long (" + p.length + " bytes; the limit is " + (max - 1) + "): " + path);
    }
    Memory m = new Memory(2 + max);
    m.clear();
    if (Platform.isMac()) {
      m.setByte(0, (byte) (2 + max)); // sun_len
      m.setByte(1, (byte) AF_UNIX);
    } else {
      m.setShort(0, (short) AF_UNIX);
    }
    m.write(2, p, 0, p.length);
    return m;
  }

  /**
   * Sends {@code len} bytes of {@code data} and, with the first of them, the descriptors {@code
   * fds} (duplicated into the receiver; the sender keeps its own). Returns once all is sent.
   */
  public void send(byte[] data, int off, int len, int... fds) throws IOException {
    if (len == 0 && fds.length > 0) {
      throw new IllegalArgumentException("descriptors travel with at least one byte");
    }
    if (fds.length > MAX_FDS) {
      throw new IllegalArgumentException("at most " + MAX_FDS + " descriptors at once");
    }
    Memory buf = new Memory(Math.max(1, len));
    buf.write(0, data, off, len);
    long sent = 0;
    boolean withFds = fds.length > 0;
    while (sent < len) {
      Message m = new Message(buf.share(sent), len - sent, withFds ? fds : new int[0]);
      long n = sendmsg(fd, m.msghdr, 0);
      if (n < 0) {
        int errno = Native.getLastError();
        if (errno == EINTR) {
          continue;
        }
        throw new IOException("sendmsg: " + strerror(errno));
      }
      sent += n;
      withFds = false; // they went with the first byte
    }
  }

  /** What one {@link #receive} got: bytes, and descriptors that came with them. */
  public record Received(int length, int[] fds) {}

  /**
   * Receives up to {@code buf.length} bytes, and any descriptors that came with them (now open in
   * this process, close-on-exec; the caller owns them). A length of -1 is the end of the stream.
   */
  public Received receive(byte[] buf) throws IOException {
    Memory data = new Memory(buf.length);
    Message m = new Message(data, buf.length, new int[MAX_FDS]);
    while (true) {
      long n = recvmsg(fd, m.msghdr, MSG_CMSG_CLOEXEC);
      if (n < 0) {
        int errno = Native.getLastError();
        if (errno == EINTR) {
          continue;
        }
        throw new IOException("recvmsg: " + strerror(errno));
      }
      int[] fds = m.receivedFds();
      for (int f : fds) {
        cloexec(f);
      }
      if (n == 0) {
        for (int f : fds) {
          close(f);
        }
        return new Received(-1, new int[0]);
      }
      data.read(0, buf, 0, (int) n);
      return new Received((int) n, fds);
    }
  }

  /** Ends this side's writing; the other side reads the end of the stream. */
  public void shutdownOutput() {
    shutdown(fd, 1);
  }

  /** Closes a descriptor received with {@link #receive}. */
  public static void closeFd(int fd) {
    close(fd);
  }

  /**
   * Ends the connection for every process that holds it, and wakes a thread blocked in {@link
   * #receive} here (closing the descriptor alone does neither).
   */
  public void shutdown() {
    shutdown(fd, 2);
  }

  /** Closes this process's descriptor; other processes' duplicates keep the connection open. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      close(fd);
    }
  }

  private static void check(int result, String call) throws IOException {
    if (result < 0) {
      throw new IOException(call + ": " + strerror(Native.getLastError()));
    }
  }

  private static String strerror(int errno) {
    return new com.sun.jna.LastErrorException(errno).getMessage();
  }

  /** Wraps a descriptor received from another process that is itself a connected socket. */
  public static UnixSocket of(int fd) {
    return new UnixSocket(fd);
  }

  /**
   * A {@code struct msghdr} with one {@code iovec} and room for {@code fds} in one {@code
   * SCM_RIGHTS} control message, laid out for 64-bit Linux or macOS.
   */
  private static final class Message {
    final Memory msghdr;
    private final Memory control;
    private final int controlLen;

    Message(Pointer data, long len, int[] fds) {
      Memory iov = new Memory(16); // struct iovec { void *base; size_t len; }
      iov.setPointer(0, data);
      iov.setLong(8, len);
      boolean mac = Platform.isMac();
      int header = mac ? 12 : 16; // cmsg_len (socklen_t on macOS, size_t on Linux), level, type
      int dataLen = 4 * fds.length;
      int align = mac ? 4 : 8;
      controlLen = fds.length == 0 ? 0 : header + ((dataLen + align - 1) / align) * align;
      control = controlLen == 0 ? null : new Memory(controlLen);
      if (control != null) {
        control.clear();
        if (mac) {
          control.setInt(0, header + dataLen);
        } else {
          control.setLong(0, header + dataLen);
        }
        control.setInt(mac ? 4 : 8, SOL_SOCKET);
        control.setInt(mac ? 8 : 12, SCM_RIGHTS);
        for (int i = 0; i < fds.length; i++) {
          control.setInt(header + 4L * i, fds[i]);
        }
      }
      msghdr = new Memory(mac ? 48 : 56);
      msghdr.clear();
      msghdr.setPointer(16, iov); // msg_iov, after msg_name and msg_namelen
      if (mac) {
        msghdr.setInt(24, 1); // msg_iovlen (int)
        msghdr.setPointer(32, control);
        msghdr.setInt(40, controlLen); // msg_controllen (socklen_t)
      } else {
        msghdr.setLong(24, 1); // msg_iovlen (size_t)
        msghdr.setPointer(32, control);
        msghdr.setLong(40, controlLen); // msg_controllen (size_t)
      }
      this.iov = iov;
    }

    @SuppressWarnings("unused") // kept reachable while the msghdr points at it
    private final Memory iov;

    /** The descriptors a received message carried. */
    int[] receivedFds() {
      if (control == null) {
        return new int[0];
      }
      boolean mac = Platform.isMac();
      long controllen = mac ? msghdr.getInt(40) : msghdr.getLong(40);
      int header = mac ? 12 : 16;
      if (controllen < header) {
        return new int[0];
      }
      long cmsgLen = mac ? control.getInt(0) : control.getLong(0);
      int level = control.getInt(mac ? 4 : 8);
      int type = control.getInt(mac ? 8 : 12);
      if (level != SOL_SOCKET || type != SCM_RIGHTS || cmsgLen < header) {
        return new int[0];
      }
      int n = (int) ((cmsgLen - header) / 4);
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        out[i] = control.getInt(header + 4L * i);
      }
      return out;
    }
  }
}
