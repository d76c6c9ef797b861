package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.junit.jupiter.api.Test;

/**
 * The JDK-backed chacha20-poly1305@openssh.com against MINA's own, packet by packet; the
 * connections of OpenSSH and Dropbear through it are in {@link ClientCompatTest}.
 */
class ChaCha20Poly1305Test {
  private static final int[] SIZES = {8, 28, 1000, 32768, 35000, 262144};

  private final Random random = new Random(11);
  private final byte[] key = bytes(64);
  private final byte[] iv = {0, 0, 0, 0, 0x7f, 0x31, (byte) 0xc2, 0x05}; // a 32-bit sequence number

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static Cipher ours(Cipher.Mode mode, byte[] key, byte[] iv) throws Exception {
    Cipher c = ChaCha20Poly1305.FACTORY.create();
    c.init(mode, key.clone(), iv.clone());
    return c;
  }

  private static Cipher mina(Cipher.Mode mode, byte[] key, byte[] iv) throws Exception {
    Cipher c = BuiltinCiphers.cc20p1305_openssh.create();
    c.init(mode, key.clone(), iv.clone());
    return c;
  }

  /** A packet as MINA hands it over: length, body, then room for the tag. */
  private byte[] packet(int size) {
    byte[] p = Arrays.copyOf(bytes(4 + size), 4 + size + 16);
    p[0] = (byte) (size >>> 24);
    p[1] = (byte) (size >>> 16);
    p[2] = (byte) (size >>> 8);
    p[3] = (byte) size;
    return p;
  }

  @Test
  void encryptsEveryPacketAsMinasOwnDoes() throws Exception {
    Cipher a = ours(Cipher.Mode.Encrypt, key, iv);
    Cipher b = mina(Cipher.Mode.Encrypt, key, iv);
    for (int round = 0; round < 3; round++) {
      for (int size : SIZES) {
        byte[] p = packet(size);
        byte[] q = p.clone();
        a.updateWithAAD(p, 0, 4, size);
        b.updateWithAAD(q, 0, 4, size);
        assertThat(p).as("packet of %d", size).isEqualTo(q);
      }
    }
  }

  @Test
  void eachDecryptsTheOthersPackets() throws Exception {
    Cipher[][] pairs = {
      {ours(Cipher.Mode.Encrypt, key, iv), mina(Cipher.Mode.Decrypt, key, iv)},
      {mina(Cipher.Mode.Encrypt, key, iv), ours(Cipher.Mode.Decrypt, key, iv)}
    };
    for (Cipher[] pair : pairs) {
      for (int size : SIZES) {
        byte[] plain = packet(size);
        byte[] p = plain.clone();
        pair[0].updateWithAAD(p, 0, 4, size);
        assertThat(Arrays.copyOf(p, 4 + size)).isNotEqualTo(Arrays.copyOf(plain, 4 + size));
        // as MINA decodes: the length first, then the body once all of it has arrived
        pair[1].updateAAD(p, 0, 4);
        assertThat(Arrays.copyOf(p, 4)).isEqualTo(Arrays.copyOf(plain, 4));
        pair[1].update(p, 4, size);
        assertThat(Arrays.copyOf(p, 4 + size)).isEqualTo(Arrays.copyOf(plain, 4 + size));
      }
    }
  }

  @Test
  void aChangedByteAnywhereFailsTheTag() throws Exception {
    for (int at : new int[] {0, 3, 4, 100, 4 + 1000, 4 + 1000 + 15}) {
      Cipher enc = ours(Cipher.Mode.Encrypt, key, iv);
      Cipher dec = ours(Cipher.Mode.Decrypt, key, iv);
      byte[] p = packet(1000);
      enc.updateWithAAD(p, 0, 4, 1000);
      p[at] ^= 1;
      dec.updateAAD(p, 0, 4);
      assertThatThrownBy(() -> dec.update(p, 4, 1000))
          .as("byte %d changed", at)
          .isInstanceOf(AEADBadTagException.class);
    }
  }

  @Test
  void theSequenceNumberWrapsAt32BitsAsMinasDoes() throws Exception {
    byte[] last = {0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    Cipher a = ours(Cipher.Mode.Encrypt, key, last);
    Cipher b = mina(Cipher.Mode.Encrypt, key, last);
    for (int i = 0; i < 3; i++) {
      byte[] p = packet(64);
      byte[] q = p.clone();
      a.updateWithAAD(p, 0, 4, 64);
      b.updateWithAAD(q, 0, 4, 64);
      assertThat(p).isEqualTo(q);
    }
    assertThatThrownBy(() -> ours(Cipher.Mode.Encrypt, key, new byte[] {0, 0, 0, 1, 0, 0, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theIvIsTheFirstPacketNumber() throws Exception {
    byte[] five = {0, 0, 0, 0, 0, 0, 0, 5};
    byte[] four = {0, 0, 0, 0, 0, 0, 0, 4};
    Cipher fromFive = ours(Cipher.Mode.Encrypt, key, five);
    Cipher fromFour = ours(Cipher.Mode.Encrypt, key, four);
    byte[] p = packet(64);
    byte[] q = p.clone();
    fromFour.updateWithAAD(packet(64), 0, 4, 64); // packet 4
    fromFour.updateWithAAD(q, 0, 4, 64); // packet 5
    fromFive.updateWithAAD(p, 0, 4, 64);
    assertThat(p).isEqualTo(q);
  }
}
