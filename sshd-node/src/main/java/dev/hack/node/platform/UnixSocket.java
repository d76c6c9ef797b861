package dev.hack.node.platform;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A unix stream socket that can carry open file descriptors ({@code SCM_RIGHTS}), which Java's own
 * {@code SocketChannel} cannot: the keeper hands PTY masters to the node with it, so the node reads
 * and writes them itself and no byte takes an extra hop. Plain libc calls through JNA; the struct
 * layouts and flags that differ between Linux and macOS ({@code sockaddr_un}, {@code msghdr} with
 * its {@code cmsghdr}, {@code SOL_SOCKET}, the close-on-exec flags) are in {@link SocketLayout},
 * for 64-bit only.
 *
 * <p>Blocking. One thread reads, one writes (or each side is used by one thread at a time).
 */
public final class UnixSocket implements AutoCloseable {
  static {
    Native.register(com.sun.jna.Platform.C_LIBRARY_NAME);
  }

  private static final SocketLayout LAYOUT = SocketLayout.current();
  private static final int AF_UNIX = SocketLayout.AF_UNIX;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_CLOEXEC = LAYOUT.sockCloexec();
  private static final int EINTR = Posix.EINTR;
  private static final int MSG_CMSG_CLOEXEC = LAYOUT.msgCmsgCloexec();

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

  private static native int getsockopt(int fd, int level, int name, Pointer value, int[] length);

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

  /**
   * The user id of the process at the other end, as the kernel recorded it when it connected
   * ({@code SO_PEERCRED} on Linux, {@code LOCAL_PEERCRED} on macOS: {@link
   * SocketLayout#peerCredentials}).
   *
   * @throws IOException when the system would not say
   */
  public int peerUid() throws IOException {
    int[] how = LAYOUT.peerCredentials();
    Memory cred = new Memory(how[2]);
    cred.clear();
    int[] len = {how[2]};
    check(getsockopt(fd, how[0], how[1], cred, len), "getsockopt(peer credentials)");
    return cred.getInt(how[3]);
  }

  private static int newSocket() throws IOException {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd, "socket");
    cloexec(fd);
    return fd;
  }

  private static void cloexec(int fd) {
    // macOS has no SOCK_CLOEXEC or MSG_CMSG_CLOEXEC; on Linux it is already set
    Variadic.C.fcntl(fd, Variadic.F_SETFD, Variadic.FD_CLOEXEC);
  }

  /** {@code struct sockaddr_un} for {@code path}. */
  private static Memory address(Path path) throws IOException {
    byte[] sockaddr;
    try {
      sockaddr = LAYOUT.sockaddr(path.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IOException("socket path too long (" + e.getMessage() + "): " + path);
    }
    Memory m = new Memory(sockaddr.length);
    m.write(0, sockaddr, 0, sockaddr.length);
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
   * SCM_RIGHTS} control message, laid out by {@link SocketLayout}.
   */
  private static final class Message {
    final Memory msghdr;
    private final Memory control;
    private final int controlLen;

    @SuppressWarnings("unused") // kept reachable while the msghdr points at it
    private final Memory iov;

    Message(Pointer data, long len, int[] fds) {
      iov = new Memory(16); // struct iovec { void *base; size_t len; }: the same on both
      iov.setPointer(0, data);
      iov.setLong(8, len);
      byte[] c = LAYOUT.control(fds);
      controlLen = c.length;
      control = controlLen == 0 ? null : new Memory(controlLen);
      if (control != null) {
        control.write(0, c, 0, controlLen);
      }
      byte[] m =
          LAYOUT.msghdr(
              Pointer.nativeValue(iov),
              control == null ? 0 : Pointer.nativeValue(control),
              controlLen);
      msghdr = new Memory(m.length);
      msghdr.write(0, m, 0, m.length);
    }

    /** The descriptors a received message carried. */
    int[] receivedFds() {
      if (control == null) {
        return new int[0];
      }
      byte[] header = msghdr.getByteArray(0, LAYOUT.msghdrSize());
      return LAYOUT.fds(control.getByteArray(0, controlLen), LAYOUT.controlLength(header));
    }
  }
}
