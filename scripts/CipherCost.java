// What each cipher the node offers costs on this JVM, the cipher alone: sealing a keystroke-sized
// packet and a full 32 KiB one, best of several rounds (the least disturbed by other work).
// scripts/bench --only=ciphers runs it:  java -cp cli/target/hack.jar scripts/CipherCost.java
// Prints one line per cipher: NAME <tab> microseconds per 32-byte packet <tab> MiB/s on 32 KiB.

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.mac.Mac;

public class CipherCost {
  private static final int SMALL = 32;
  private static final int BULK = 32768;
  private static final int ROUNDS = 12;

  /** Seals one packet of len bytes after the 4-byte length, tag or MAC after it, in place. */
  interface Seal {
    void seal(byte[] packet, int len) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    Map<String, Seal> seals = new LinkedHashMap<>();
    for (NamedFactory<Cipher> f : offeredCiphers()) {
      Cipher c = f.create();
      if (c.getAuthenticationTagSize() > 0) {
        seals.put(f.getName(), aead(c));
      }
    }
    // the AES-CTR pairs the stock clients pick: OpenSSH with -c, libssh2 1.10, PuTTY 0.78
    seals.put("aes128-ctr hmac-sha2-256-etm@openssh.com", etm(BuiltinCiphers.aes128ctr.create(),
        BuiltinMacs.hmacsha256etm.create()));
    seals.put("aes128-ctr hmac-sha2-256", etm(BuiltinCiphers.aes128ctr.create(),
        BuiltinMacs.hmacsha256.create()));
    seals.put("aes256-ctr hmac-sha2-256", etm(BuiltinCiphers.aes256ctr.create(),
        BuiltinMacs.hmacsha256.create()));
    seals.put("chacha20-poly1305@openssh.com (MINA's own, not offered)",
        aead(BuiltinCiphers.cc20p1305_openssh.create()));

    Map<String, long[]> best = new LinkedHashMap<>();
    for (String name : seals.keySet()) {
      best.put(name, new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
    }
    for (int round = 0; round < ROUNDS; round++) {
      for (Map.Entry<String, Seal> e : seals.entrySet()) {
        long small = time(e.getValue(), SMALL, 50_000);
        long bulk = time(e.getValue(), BULK, 1_000);
        if (round >= 2) { // the first rounds warm up the JIT
          long[] b = best.get(e.getKey());
          b[0] = Math.min(b[0], small);
          b[1] = Math.min(b[1], bulk);
        }
      }
    }
    for (Map.Entry<String, long[]> e : best.entrySet()) {
      long[] b = e.getValue();
      System.out.printf("%s\t%.3f\t%.0f%n", e.getKey(), b[0] / 1000.0,
          BULK * 1e9 / b[1] / (1 << 20));
    }
  }

  /** NodeSshServer.CIPHERS, the list the node offers (package-private, so by reflection). */
  @SuppressWarnings("unchecked")
  private static List<NamedFactory<Cipher>> offeredCiphers() throws Exception {
    Field f = Class.forName("dev.hack.node.ssh.NodeSshServer").getDeclaredField("CIPHERS");
    f.setAccessible(true);
    return new ArrayList<>((List<NamedFactory<Cipher>>) f.get(null));
  }

  private static Seal aead(Cipher c) throws Exception {
    c.init(Cipher.Mode.Encrypt, new byte[c.getKdfSize()], new byte[c.getIVSize()]);
    return (p, len) -> c.updateWithAAD(p, 0, 4, len);
  }

  private static Seal etm(Cipher c, Mac mac) throws Exception {
    c.init(Cipher.Mode.Encrypt, new byte[c.getKdfSize()], new byte[c.getIVSize()]);
    mac.init(new byte[mac.getDefaultBlockSize()]);
    int[] seq = {0};
    return (p, len) -> {
      c.update(p, 4, len);
      mac.updateUInt(seq[0]++);
      mac.update(p, 0, 4 + len);
      mac.doFinal(p, 4 + len);
    };
  }

  /** Nanoseconds per packet of len bytes, over n packets. */
  private static long time(Seal s, int len, int n) throws Exception {
    byte[] p = new byte[4 + len + 64];
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      s.seal(p, len);
    }
    return (System.nanoTime() - t0) / n;
  }
}
