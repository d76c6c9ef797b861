package dev.hack.node.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Both systems' socket structs, checked against layouts worked out here from the C declarations
 * with the LP64 alignment rules (every field at a multiple of its size, the struct a multiple of
 * its largest field). Linux's are also checked against the real headers ({@link LinuxPlatformTest})
 * and the real kernel ({@link UnixSocketTest}); macOS's only here.
 */
class SocketLayoutTest {
  /** Offsets of fields of these sizes laid out in order, then the struct's size, as C does. */
  static int[] cLayout(int... sizes) {
    int[] out = new int[sizes.length + 1];
    int at = 0;
    int largest = 1;
    for (int i = 0; i < sizes.length; i++) {
      at = (at + sizes[i] - 1) / sizes[i] * sizes[i];
      out[i] = at;
      at += sizes[i];
      largest = Math.max(largest, sizes[i]);
    }
    out[sizes.length] = (at + largest - 1) / largest * largest;
    return out;
  }

  @Test
  void macosMsghdrIsXnus() {
    // struct msghdr { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov;
    //   int msg_iovlen; void *msg_control; socklen_t msg_controllen; int msg_flags; }
    int[] c = cLayout(8, 4, 8, 4, 8, 4, 4);
    assertThat(c).containsExactly(0, 8, 16, 24, 32, 40, 44, 48);
    SocketLayout mac = SocketLayout.MACOS;
    assertThat(mac.msghdrSize()).isEqualTo(c[7]);
    assertThat(SocketLayout.MSG_IOV).isEqualTo(c[2]);
    assertThat(SocketLayout.MSG_IOVLEN).isEqualTo(c[3]);
    assertThat(SocketLayout.MSG_CONTROL).isEqualTo(c[4]);
    assertThat(SocketLayout.MSG_CONTROLLEN).isEqualTo(c[5]);
    assertThat(mac.lengthsAreLong()).isFalse();

    ByteBuffer m = le(mac.msghdr(0x1122334455667788L, 0x0102030405060708L, 16));
    assertThat(m.capacity()).isEqualTo(48);
    assertThat(m.getLong(0)).isZero(); // no name
    assertThat(m.getLong(16)).isEqualTo(0x1122334455667788L);
    assertThat(m.getInt(24)).isEqualTo(1); // one iovec, an int
    assertThat(m.getInt(28)).isZero(); // padding
    assertThat(m.getLong(32)).isEqualTo(0x0102030405060708L);
    assertThat(m.getInt(40)).isEqualTo(16); // socklen_t
    assertThat(m.getInt(44)).isZero(); // msg_flags
    assertThat(mac.controlLength(m.array())).isEqualTo(16);
  }

  @Test
  void linuxMsghdrIsGlibcs() {
    // the same fields, msg_iovlen and msg_controllen being size_t
    int[] c = cLayout(8, 4, 8, 8, 8, 8, 4);
    assertThat(c).containsExactly(0, 8, 16, 24, 32, 40, 48, 56);
    SocketLayout linux = SocketLayout.LINUX;
    assertThat(linux.msghdrSize()).isEqualTo(c[7]);
    ByteBuffer m = le(linux.msghdr(0x10, 0x20, 24));
    assertThat(m.getLong(16)).isEqualTo(0x10);
    assertThat(m.getLong(24)).isEqualTo(1);
    assertThat(m.getLong(32)).isEqualTo(0x20);
    assertThat(m.getLong(40)).isEqualTo(24);
    assertThat(linux.controlLength(m.array())).isEqualTo(24);
  }

  @Test
  void macosCmsgIsXnusWithItsFourByteAlignment() {
    // struct cmsghdr { socklen_t cmsg_len; int cmsg_level; int cmsg_type; }: 12 bytes, and
    // CMSG_LEN(l) = __DARWIN_ALIGN32(12) + l, CMSG_SPACE(l) = __DARWIN_ALIGN32(12) + ALIGN32(l)
    SocketLayout mac = SocketLayout.MACOS;
    assertThat(mac.cmsgHeader()).isEqualTo(12);
    assertThat(mac.cmsgLen(4)).isEqualTo(16);
    assertThat(mac.cmsgSpace(4)).isEqualTo(16);
    assertThat(mac.cmsgLen(8)).isEqualTo(20);
    assertThat(mac.cmsgSpace(8)).isEqualTo(20);

    ByteBuffer b = le(mac.control(new int[] {7, 9}));
    assertThat(b.capacity()).isEqualTo(20);
    assertThat(b.getInt(0)).isEqualTo(20); // cmsg_len
    assertThat(b.getInt(4)).isEqualTo(0xffff); // SOL_SOCKET
    assertThat(b.getInt(8)).isEqualTo(1); // SCM_RIGHTS
    assertThat(b.getInt(12)).isEqualTo(7);
    assertThat(b.getInt(16)).isEqualTo(9);
  }

  @Test
  void linuxCmsgIsGlibcs() {
    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; }, aligned to size_t
    SocketLayout linux = SocketLayout.LINUX;
    assertThat(linux.cmsgHeader()).isEqualTo(16);
    assertThat(linux.cmsgLen(4)).isEqualTo(20);
    assertThat(linux.cmsgSpace(4)).isEqualTo(24);
    ByteBuffer b = le(linux.control(new int[] {5}));
    assertThat(b.capacity()).isEqualTo(24);
    assertThat(b.getLong(0)).isEqualTo(20);
    assertThat(b.getInt(8)).isEqualTo(1); // SOL_SOCKET
    assertThat(b.getInt(12)).isEqualTo(1); // SCM_RIGHTS
    assertThat(b.getInt(16)).isEqualTo(5);
  }

  @Test
  void descriptorsComeBackOutOfTheControlMessageTheyWentIn() {
    for (SocketLayout l : new SocketLayout[] {SocketLayout.LINUX, SocketLayout.MACOS}) {
      int[] fds = {3, 4, 5, 1000};
      byte[] control = l.control(fds);
      assertThat(l.fds(control, control.length)).as(l.system()).containsExactly(fds);
      assertThat(l.fds(control, l.cmsgLen(8))).as(l.system() + ", cut").containsExactly(3, 4);
      assertThat(l.fds(control, l.cmsgHeader() - 1)).as(l.system() + ", no header").isEmpty();
      assertThat(l.control(new int[0])).isEmpty();
      assertThat(l.fds(new byte[0], 0)).isEmpty();
    }
  }

  @Test
  void aControlMessageOfAnotherLevelOrTypeCarriesNoDescriptors() {
    SocketLayout mac = SocketLayout.MACOS;
    byte[] control = mac.control(new int[] {7});
    byte[] linuxLevel = Arrays.copyOf(control, control.length);
    le(linuxLevel).putInt(4, 1); // Linux's SOL_SOCKET is not macOS's
    assertThat(mac.fds(linuxLevel, linuxLevel.length)).isEmpty();
    byte[] credentials = Arrays.copyOf(control, control.length);
    le(credentials).putInt(8, 2); // not SCM_RIGHTS
    assertThat(mac.fds(credentials, credentials.length)).isEmpty();
  }

  @Test
  void sockaddrUnStartsWithALengthByteOnMacosAndTheFamilyOnLinux() {
    byte[] path = "/tmp/k.sock".getBytes(StandardCharsets.UTF_8);
    byte[] mac = SocketLayout.MACOS.sockaddr(path);
    assertThat(mac).hasSize(106); // u_char sun_len, sa_family_t (u_char) sun_family, sun_path[104]
    assertThat(mac[0]).isEqualTo((byte) 106);
    assertThat(mac[1]).isEqualTo((byte) 1); // AF_UNIX
    assertThat(Arrays.copyOfRange(mac, 2, 2 + path.length)).isEqualTo(path);
    assertThat(mac[2 + path.length]).isZero();

    byte[] linux = SocketLayout.LINUX.sockaddr(path);
    assertThat(linux).hasSize(110); // sa_family_t (u16) sun_family, sun_path[108]
    assertThat(le(linux).getShort(0)).isEqualTo((short) 1);
    assertThat(Arrays.copyOfRange(linux, 2, 2 + path.length)).isEqualTo(path);
  }

  @Test
  void aPathFitsWithRoomForItsNul() {
    assertThat(SocketLayout.MACOS.sockaddr(new byte[103])).hasSize(106);
    assertThatThrownBy(() -> SocketLayout.MACOS.sockaddr(new byte[104]))
        .hasMessageContaining("limit is 103 on macos");
    assertThat(SocketLayout.LINUX.sockaddr(new byte[107])).hasSize(110);
    assertThatThrownBy(() -> SocketLayout.LINUX.sockaddr(new byte[108]))
        .hasMessageContaining("limit is 107 on linux");
  }

  @Test
  void macosHasNoCloseOnExecFlagsSoTheSocketSetsItAfterward() {
    assertThat(SocketLayout.MACOS.sockCloexec()).isZero();
    assertThat(SocketLayout.MACOS.msgCmsgCloexec()).isZero();
    assertThat(SocketLayout.MACOS.solSocket()).isEqualTo(0xffff);
  }

  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }
}
