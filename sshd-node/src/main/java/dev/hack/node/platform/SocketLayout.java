package dev.hack.node.platform;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * How the structs and flags of a unix socket that carries descriptors are laid out on one system,
 * for 64-bit little-endian machines (x86-64, arm64): {@code struct sockaddr_un}, {@code struct
 * msghdr} and the {@code struct cmsghdr} of one {@code SCM_RIGHTS} message. Linux's come from
 * glibc's {@code <sys/socket.h>} and {@code <sys/un.h>}, macOS's from the xnu headers ({@code
 * bsd/sys/socket.h}, {@code bsd/sys/un.h}).
 *
 * <p>Pure: it builds and reads byte arrays that {@link UnixSocket} copies to and from native
 * memory, so both systems' layouts are tested on either (docs/platforms.md).
 *
 * @param sunPathSize {@code sizeof(sun_path)}: 108 on Linux, 104 on macOS
 * @param sunLen whether {@code sockaddr_un} starts with a length byte (BSD) before a one-byte
 *     family, rather than a two-byte family (Linux)
 * @param solSocket {@code SOL_SOCKET}: 1 on Linux, 0xffff on macOS
 * @param sockCloexec {@code SOCK_CLOEXEC} for socket(2); macOS has none (0): fcntl(2) after
 * @param msgCmsgCloexec {@code MSG_CMSG_CLOEXEC} for recvmsg(2); macOS has none (0)
 * @param cmsgLenSize the size of {@code cmsg_len}: {@code size_t} (8) on Linux, {@code socklen_t}
 *     (4) on macOS
 * @param cmsgAlign what {@code CMSG_ALIGN} rounds to: {@code sizeof(size_t)} on Linux, 4 on macOS
 *     ({@code __DARWIN_ALIGN32}, on arm64 too)
 * @param msghdrSize {@code sizeof(struct msghdr)}: 56 on Linux, 48 on macOS
 * @param lengthsAreLong whether {@code msg_iovlen} and {@code msg_controllen} are 8 bytes ({@code
 *     size_t}, Linux) or 4 ({@code int} and {@code socklen_t}, macOS)
 */
record SocketLayout(
    String system,
    int sunPathSize,
    boolean sunLen,
    int solSocket,
    int sockCloexec,
    int msgCmsgCloexec,
    int cmsgLenSize,
    int cmsgAlign,
    int msghdrSize,
    boolean lengthsAreLong) {

  static final SocketLayout LINUX =
      new SocketLayout("linux", 108, false, 1, 0x80000, 0x40000000, 8, 8, 56, true);

  static final SocketLayout MACOS =
      new SocketLayout("macos", 104, true, 0xffff, 0, 0, 4, 4, 48, false);

  static final int AF_UNIX = 1;
  static final int SCM_RIGHTS = 1;

  // struct msghdr: msg_name (8), msg_namelen (4 + 4 padding), then these on both systems
  static final int MSG_IOV = 16;
  static final int MSG_IOVLEN = 24;
  static final int MSG_CONTROL = 32; // after an 8-byte msg_iovlen, or a 4-byte one and padding
  static final int MSG_CONTROLLEN = 40;

  /**
   * How to ask who is at the other end of a unix socket with {@code getsockopt}: {@code {level,
   * option, size of the struct, offset of the uid in it}}. Linux: {@code SOL_SOCKET}, {@code
   * SO_PEERCRED} 17, {@code struct ucred {pid_t pid; uid_t uid; gid_t gid;}}. macOS: {@code
   * SOL_LOCAL} 0, {@code LOCAL_PEERCRED} 1, {@code struct xucred {u_int cr_version; uid_t cr_uid;
   * short cr_ngroups; gid_t cr_groups[16];}} (what {@code getpeereid(3)} reads there).
   */
  int[] peerCredentials() {
    return this == MACOS ? new int[] {0, 1, 76, 4} : new int[] {solSocket, 17, 12, 4};
  }

  /** The layout of the system this JVM runs on. */
  static SocketLayout current() {
    return Platform.current() instanceof MacPlatform ? MACOS : LINUX;
  }

  /** {@code sizeof(struct sockaddr_un)}. */
  int sockaddrSize() {
    return 2 + sunPathSize;
  }

  /** The longest path a {@code sockaddr_un} takes, in bytes, with room for its NUL. */
  int maxPath() {
    return sunPathSize - 1;
  }

  /** {@code CMSG_LEN(0)}: the {@code cmsghdr} rounded up, where the data starts. */
  int cmsgHeader() {
    return align(cmsgLenSize + 8); // cmsg_len, int cmsg_level, int cmsg_type
  }

  /** {@code CMSG_LEN(n)}. */
  int cmsgLen(int dataLen) {
    return cmsgHeader() + dataLen;
  }

  /** {@code CMSG_SPACE(n)}: what a control buffer for {@code n} bytes of data takes. */
  int cmsgSpace(int dataLen) {
    return cmsgHeader() + align(dataLen);
  }

  private int align(int n) {
    return (n + cmsgAlign - 1) / cmsgAlign * cmsgAlign;
  }

  /**
   * {@code struct sockaddr_un} for {@code path} (its bytes, without a NUL).
   *
   * @throws IllegalArgumentException if the path does not fit
   */
  byte[] sockaddr(byte[] path) {
    if (path.length > maxPath()) {
      throw new IllegalArgumentException(
          path.length + " bytes; the limit is " + maxPath() + " on " + system);
    }
    ByteBuffer b = buffer(sockaddrSize());
    if (sunLen) {
      b.put((byte) sockaddrSize()).put((byte) AF_UNIX);
    } else {
      b.putShort((short) AF_UNIX);
    }
    b.put(path);
    return b.array();
  }

  /**
   * A control buffer of {@code CMSG_SPACE(4 * fds.length)} bytes holding one {@code SCM_RIGHTS}
   * message with {@code fds}; empty when there are none.
   */
  byte[] control(int[] fds) {
    if (fds.length == 0) {
      return new byte[0];
    }
    ByteBuffer b = buffer(cmsgSpace(4 * fds.length));
    putLength(b, 0, cmsgLenSize, cmsgLen(4 * fds.length));
    b.putInt(cmsgLenSize, solSocket);
    b.putInt(cmsgLenSize + 4, SCM_RIGHTS);
    for (int i = 0; i < fds.length; i++) {
      b.putInt(cmsgHeader() + 4 * i, fds[i]);
    }
    return b.array();
  }

  /**
   * The descriptors in a received control buffer of which {@code controlLength} bytes were filled
   * ({@code msg_controllen} after recvmsg(2)): those of its first message, if that is {@code
   * SCM_RIGHTS}.
   */
  int[] fds(byte[] control, long controlLength) {
    if (controlLength < cmsgHeader() || control.length < cmsgHeader()) {
      return new int[0];
    }
    ByteBuffer b = ByteBuffer.wrap(control).order(ByteOrder.LITTLE_ENDIAN);
    long cmsgLen = cmsgLenSize == 8 ? b.getLong(0) : Integer.toUnsignedLong(b.getInt(0));
    int level = b.getInt(cmsgLenSize);
    int type = b.getInt(cmsgLenSize + 4);
    if (level != solSocket || type != SCM_RIGHTS || cmsgLen < cmsgHeader()) {
      return new int[0];
    }
    long data = Math.min(cmsgLen, Math.min(controlLength, control.length)) - cmsgHeader();
    int[] out = new int[(int) (data / 4)];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getInt(cmsgHeader() + 4 * i);
    }
    return out;
  }

  /**
   * {@code struct msghdr} with no address, one {@code iovec} at {@code iov}, and the control buffer
   * at {@code control} ({@code controlLength} bytes; 0 and 0 for none).
   */
  byte[] msghdr(long iov, long control, int controlLength) {
    ByteBuffer b = buffer(msghdrSize);
    b.putLong(MSG_IOV, iov);
    putLength(b, MSG_IOVLEN, lengthsAreLong ? 8 : 4, 1);
    b.putLong(MSG_CONTROL, control);
    putLength(b, MSG_CONTROLLEN, lengthsAreLong ? 8 : 4, controlLength);
    return b.array();
  }

  /** {@code msg_controllen} of a {@code struct msghdr}, as recvmsg(2) left it. */
  long controlLength(byte[] msghdr) {
    ByteBuffer b = ByteBuffer.wrap(msghdr).order(ByteOrder.LITTLE_ENDIAN);
    return lengthsAreLong
        ? b.getLong(MSG_CONTROLLEN)
        : Integer.toUnsignedLong(b.getInt(MSG_CONTROLLEN));
  }

  private static ByteBuffer buffer(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void putLength(ByteBuffer b, int at, int size, long value) {
    if (size == 8) {
      b.putLong(at, value);
    } else {
      b.putInt(at, (int) value);
    }
  }
}
