package dev.hack.node.ssh;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.mac.Mac;
import org.apache.sshd.common.mac.Poly1305Mac;

/**
 * OpenSSH's {@code chacha20-poly1305@openssh.com} (PROTOCOL.chacha20poly1305 in OpenSSH's sources)
 * on the JDK's ChaCha20 stream, in place of MINA's own ChaCha20. OpenSSH clients pick this cipher
 * first. On 32 KiB packets it is 1.3 times as fast as MINA's on JDK 17 and 2.3 times on JDK 25,
 * whose ChaCha20 uses vector instructions; AES-GCM is still ten times faster (docs/performance.md).
 * This is not the AEAD of RFC 8439, which the JDK also has: OpenSSH encrypts the packet length with
 * a second key, and Poly1305 (MINA's) covers the encrypted length and the ciphertext, without
 * padding or lengths.
 *
 * <p>The 64-byte key is K_2 (the body's key) then K_1 (the length's key). The nonce of packet N
 * (the SSH sequence number, 32 bits, wrapping) is N as 64 bits big-endian: in the JDK's 96-bit
 * nonce, eight zero bytes then N. The Poly1305 key is the first 32 bytes of the body's key stream
 * (block 0); the body is encrypted from block 1. MINA gives the first packet's number as the 8-byte
 * IV, for any cipher whose algorithm starts with "ChaCha". As MINA's own, it refuses to go on when
 * the number comes round to the first one again: a key and nonce must never be used twice.
 *
 * <p>Not thread-safe: MINA uses one instance per direction of one connection, one packet at a time,
 * and calls {@link #updateAAD} (the length) before {@link #update} (the body) for each.
 */
final class ChaCha20Poly1305 implements Cipher {
  static final String NAME = "chacha20-poly1305@openssh.com";

  static final NamedFactory<Cipher> FACTORY =
      new NamedFactory<>() {
        @Override
        public String getName() {
          return NAME;
        }

        @Override
        public Cipher create() {
          return new ChaCha20Poly1305();
        }

        @Override
        public String toString() {
          return NAME + " (JDK ChaCha20)";
        }
      };

  private static final int TAG = 16;

  private final javax.crypto.Cipher length;
  private final javax.crypto.Cipher body;
  private final Poly1305Mac mac = new Poly1305Mac();
  private final byte[] nonce = new byte[12];
  private final byte[] block0 = new byte[64];
  private final byte[] tag = new byte[TAG];
  private Mode mode;
  private SecretKeySpec bodyKey;
  private SecretKeySpec lengthKey;
  private long first;
  private long packet;

  ChaCha20Poly1305() {
    try {
      length = javax.crypto.Cipher.getInstance("ChaCha20");
      body = javax.crypto.Cipher.getInstance("ChaCha20");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no ChaCha20", e);
    }
  }

  @Override
  public void init(Mode mode, byte[] key, byte[] iv) {
    if (key.length < 64 || iv.length < 8) {
      throw new IllegalArgumentException(
          "chacha20-poly1305 needs 64 key bytes and 8 IV bytes, got "
              + key.length
              + " and "
              + iv.length);
    }
    this.mode = mode;
    bodyKey = new SecretKeySpec(key, 0, 32, "ChaCha20");
    lengthKey = new SecretKeySpec(key, 32, 32, "ChaCha20");
    long n = 0;
    for (int i = 0; i < 8; i++) {
      n = n << 8 | (iv[i] & 0xff);
    }
    if (n >>> 32 != 0) {
      throw new IllegalArgumentException("not an SSH packet sequence number: " + n);
    }
    first = n;
    packet = n;
  }

  /** The packet's 4-byte length: starts the packet, then decrypts or encrypts it in place. */
  @Override
  public void updateAAD(byte[] data, int offset, int len) throws Exception {
    if (mode == null) {
      throw new IllegalStateException("cipher not initialized");
    }
    if (len != 4) {
      throw new IllegalArgumentException("the AAD is the 4-byte packet length, not " + len);
    }
    long n = packet;
    for (int i = 11; i >= 8; i--) {
      nonce[i] = (byte) n;
      n >>>= 8;
    }
    // one init per packet and key: the JDK refuses the same key and nonce twice in a row
    body.init(javax.crypto.Cipher.ENCRYPT_MODE, bodyKey, new ChaCha20ParameterSpec(nonce, 0));
    Arrays.fill(block0, (byte) 0);
    stream(body, block0, 0, block0.length);
    mac.init(Arrays.copyOf(block0, 32));
    length.init(javax.crypto.Cipher.ENCRYPT_MODE, lengthKey, new ChaCha20ParameterSpec(nonce, 0));
    if (mode == Mode.Decrypt) {
      mac.update(data, offset, len);
    }
    stream(length, data, offset, len);
    if (mode == Mode.Encrypt) {
      mac.update(data, offset, len);
    }
  }

  /**
   * The packet's body: encrypted and followed by the tag, or, when decrypting, checked against the
   * tag that follows it and then decrypted.
   *
   * @throws AEADBadTagException when the tag does not match (the body is then left as it was)
   */
  @Override
  public void update(byte[] input, int offset, int len) throws Exception {
    if (mode == Mode.Decrypt) {
      mac.update(input, offset, len);
      mac.doFinal(tag, 0);
      if (!Mac.equals(input, offset + len, tag, 0, TAG)) {
        throw new AEADBadTagException("chacha20-poly1305: tag mismatch");
      }
    }
    stream(body, input, offset, len);
    if (mode == Mode.Encrypt) {
      mac.update(input, offset, len);
      mac.doFinal(input, offset + len);
    }
    packet = (packet + 1) & 0xffffffffL;
    if (packet == first) {
      throw new IllegalStateException("packet sequence number reused with the same key");
    }
  }

  /** XORs the key stream into {@code data} in place. */
  private static void stream(javax.crypto.Cipher c, byte[] data, int offset, int len)
      throws GeneralSecurityException {
    int n = c.update(data, offset, len, data, offset);
    if (n != len) {
      throw new IllegalStateException("ChaCha20 returned " + n + " of " + len + " bytes");
    }
  }

  @Override
  public String getAlgorithm() {
    return "ChaCha20"; // MINA passes the packet number as the IV to algorithms named ChaCha*
  }

  @Override
  public String getTransformation() {
    return "ChaCha20";
  }

  @Override
  public int getIVSize() {
    return 8;
  }

  @Override
  public int getAuthenticationTagSize() {
    return TAG;
  }

  @Override
  public int getCipherBlockSize() {
    return 8;
  }

  @Override
  public int getKdfSize() {
    return 64;
  }

  @Override
  public int getKeySize() {
    return 256;
  }
}
