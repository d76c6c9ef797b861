package dev.hack.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hack.keys.KnownHosts.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.config.hosts.KnownHostHashValue;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnownHostsTest {
  @TempDir Path dir;

  @Test
  void firstContactIsNewAndRememberedKeyIsKnown() throws Exception {
    PublicKey key = newKey();
    KnownHosts hosts = new KnownHosts(dir.resolve("keys/known_hosts"));
    assertThat(hosts.check("mini.tailnet.ts.net", 2222, key)).isEqualTo(Verdict.NEW);
    assertThat(hosts.lookup("mini.tailnet.ts.net", 2222)).isEmpty();

    hosts.remember("Mini.Tailnet.ts.net", 2222, key);

    assertThat(hosts.check("mini.tailnet.ts.net", 2222, key)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("MINI.tailnet.ts.net", 2222, key)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.lookup("mini.tailnet.ts.net", 2222))
        .hasValueSatisfying(k -> assertThat(KeyUtils.compareKeys(k, key)).isTrue());
    assertThat(Files.readAllLines(hosts.file()))
        .containsExactly("[mini.tailnet.ts.net]:2222 " + KeyFiles.openSshLine(key));

    hosts.remember("mini.tailnet.ts.net", 2222, key);
    assertThat(Files.readAllLines(hosts.file())).hasSize(1);
  }

  @Test
  void differentKeyIsChangedAndTheWarningSaysHowToRemoveTheOldOne() throws Exception {
    PublicKey old = newKey();
    PublicKey offered = newKey();
    Path file = dir.resolve("known_hosts");
    Files.writeString(file, "# nodes\nother " + KeyFiles.openSshLine(offered) + "\n");
    KnownHosts hosts = new KnownHosts(file);
    hosts.remember("10.0.0.7", 2222, old);

    assertThat(hosts.check("10.0.0.7", 2222, offered)).isEqualTo(Verdict.CHANGED);

    String warning = KnownHosts.changedKeyWarning("10.0.0.7", 2222, old, offered, file);
    assertThat(warning)
        .contains("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!")
        .contains(KeyFiles.fingerprint(old))
        .contains(KeyFiles.fingerprint(offered))
        .contains("Offending key in " + file + ":3")
        .contains("delete line 3 of " + file)
        .contains("ssh-keygen -f " + file + " -R '[10.0.0.7]:2222'");

    // the command in the warning works on our file, and leaves the other host alone
    Process p =
        new ProcessBuilder("ssh-keygen", "-f", file.toString(), "-R", "[10.0.0.7]:2222")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    assertThat(hosts.check("10.0.0.7", 2222, offered)).isEqualTo(Verdict.NEW);
    assertThat(hosts.check("other", 22, offered)).isEqualTo(Verdict.KNOWN);
  }

  @Test
  void aFileThatIsNotUtf8IsRefusedByName() throws Exception {
    // found by KnownHostsFuzzTest#knownHosts: the IOException said only "Input length = 1"
    Path file = dir.resolve("known_hosts");
    byte[] bytes =
        ("mini " + KeyFiles.openSshLine(newKey()) + " \u00ff\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    Files.write(file, bytes);
    KnownHosts hosts = new KnownHosts(file);
    PublicKey key = newKey();
    for (ThrowingCall call :
        List.<ThrowingCall>of(
            () -> hosts.check("mini", 22, key), () -> hosts.remember("mini", 22, key))) {
      assertThatThrownBy(call::run)
          .isInstanceOf(IOException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("not UTF-8");
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
  }

  private interface ThrowingCall {
    void run() throws Exception;
  }

  @Test
  void portDistinguishesEntries() throws Exception {
    PublicKey a = newKey();
    PublicKey b = newKey();
    KnownHosts hosts = new KnownHosts(dir.resolve("known_hosts"));
    hosts.remember("mini", 22, a);
    hosts.remember("mini", 2222, b);
    hosts.remember("::1", 2222, b);

    assertThat(hosts.check("mini", 22, a)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("mini", 2222, a)).isEqualTo(Verdict.CHANGED);
    assertThat(hosts.check("mini", 2222, b)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("mini", 2200, a)).isEqualTo(Verdict.NEW);
    assertThat(hosts.check("::1", 2222, b)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("::1", 22, b)).isEqualTo(Verdict.NEW);
    assertThat(Files.readAllLines(hosts.file()))
        .containsExactly(
            "mini " + KeyFiles.openSshLine(a),
            "[mini]:2222 " + KeyFiles.openSshLine(b),
            "[::1]:2222 " + KeyFiles.openSshLine(b));
  }

  @Test
  void linesInOpenSshFormatAreReadAndOpenSshReadsOurs() throws Exception {
    Path keyFile = dir.resolve("host_key");
    Process gen =
        new ProcessBuilder(
                "ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", keyFile.toString(), "-C", "")
            .redirectErrorStream(true)
            .start();
    gen.getInputStream().readAllBytes();
    assertThat(gen.waitFor()).isZero();
    String ecdsaLine =
        Files.readString(KeyFiles.publicKeyPath(keyFile), StandardCharsets.UTF_8).strip();
    PublicKey ecdsa =
        org.apache.sshd.common.config.keys.AuthorizedKeyEntry.parseAuthorizedKeyEntry(ecdsaLine)
            .resolvePublicKey(
                null, org.apache.sshd.common.config.keys.PublicKeyEntryResolver.FAILING);
    PublicKey ed = newKey();
    Path file = dir.resolve("known_hosts");
    // what `ssh-keyscan -p 2222 build.lan >> known_hosts` appends: no comment, [host]:port
    Files.writeString(
        file,
        "# build.lan:2222 SSH-2.0-OpenSSH_9.6\n"
            + "[build.lan]:2222 "
            + ecdsaLine
            + "\n"
            + "[build.lan]:2222 "
            + KeyFiles.openSshLine(ed)
            + "\n");
    KnownHosts hosts = new KnownHosts(file);
    assertThat(hosts.check("build.lan", 2222, ecdsa)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("build.lan", 2222, ed)).isEqualTo(Verdict.KNOWN);

    // hashed by `ssh-keygen -H`: still known
    Process hash =
        new ProcessBuilder("ssh-keygen", "-H", "-f", file.toString())
            .redirectErrorStream(true)
            .start();
    hash.getInputStream().readAllBytes();
    assertThat(hash.waitFor()).isZero();
    assertThat(Files.readString(file)).contains("\n|1|").doesNotContain("[build.lan]");
    assertThat(hosts.check("build.lan", 2222, ed)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("build.lan", 22, ed)).isEqualTo(Verdict.NEW);

    // ssh-keygen -F finds what we remember
    hosts.remember("mini", 2222, ed);
    Process find =
        new ProcessBuilder("ssh-keygen", "-F", "[mini]:2222", "-f", file.toString())
            .redirectErrorStream(true)
            .start();
    String found = new String(find.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(find.waitFor()).isZero();
    assertThat(found).contains("[mini]:2222 " + KeyFiles.openSshLine(ed));
  }

  @Test
  void forgetRemovesOnlyThatHostAndPort() throws Exception {
    PublicKey k1 = newKey();
    PublicKey k2 = newKey();
    PublicKey k3 = newKey();
    byte[] salt = new byte[20];
    new SecureRandom().nextBytes(salt);
    byte[] digest =
        KnownHostHashValue.calculateHashValue("a", 22, KnownHostHashValue.DEFAULT_DIGEST, salt);
    String hashedA =
        KnownHostHashValue.append(
                new StringBuilder(), KnownHostHashValue.DEFAULT_DIGEST, salt, digest)
            .toString();
    Path file = dir.resolve("known_hosts");
    Files.writeString(
        file,
        String.join(
            "\n",
            "# my nodes",
            "a,b " + KeyFiles.openSshLine(k1) + " shared",
            "[a]:2222 " + KeyFiles.openSshLine(k2),
            "",
            "c " + KeyFiles.openSshLine(k3),
            hashedA + " " + KeyFiles.openSshLine(k3),
            ""));
    KnownHosts hosts = new KnownHosts(file);
    assertThat(hosts.check("a", 22, k3)).isEqualTo(Verdict.KNOWN);

    hosts.forget("a", 22);

    assertThat(hosts.check("a", 22, k1)).isEqualTo(Verdict.NEW);
    assertThat(hosts.check("a", 22, k3)).isEqualTo(Verdict.NEW);
    assertThat(hosts.check("b", 22, k1)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("a", 2222, k2)).isEqualTo(Verdict.KNOWN);
    assertThat(hosts.check("c", 22, k3)).isEqualTo(Verdict.KNOWN);
    assertThat(Files.readAllLines(file))
        .containsExactly(
            "# my nodes",
            "b " + KeyFiles.openSshLine(k1) + " shared",
            "[a]:2222 " + KeyFiles.openSshLine(k2),
            "",
            "c " + KeyFiles.openSshLine(k3));
  }

  @Test
  void malformedLinesAreSkippedWithAWarningAndKeptOnRewrite() throws Exception {
    PublicKey key = newKey();
    Path file = dir.resolve("known_hosts");
    Files.writeString(
        file, "garbage\nhost ssh-ed25519 not-base64!!\nhost " + KeyFiles.openSshLine(key) + "\n");
    List<String> warnings = new ArrayList<>();
    KnownHosts hosts = new KnownHosts(file, warnings::add);

    assertThat(hosts.check("host", 22, key)).isEqualTo(Verdict.KNOWN);
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0)).contains(file + " line 1");
    assertThat(warnings.get(1)).contains(file + " line 2");

    PublicKey other = newKey();
    hosts.remember("other", 2222, other);
    assertThat(Files.readAllLines(file))
        .containsExactly(
            "garbage",
            "host ssh-ed25519 not-base64!!",
            "host " + KeyFiles.openSshLine(key),
            "[other]:2222 " + KeyFiles.openSshLine(other));
  }

  @Test
  void revokedKeyIsChangedEvenWithoutAnotherKeyOnFile() throws Exception {
    PublicKey key = newKey();
    Path file = dir.resolve("known_hosts");
    Files.writeString(file, "@revoked * " + KeyFiles.openSshLine(key) + "\n");
    KnownHosts hosts = new KnownHosts(file);
    assertThat(hosts.check("mini", 22, key)).isEqualTo(Verdict.CHANGED);
    assertThat(hosts.lookup("mini", 22)).isEmpty();
    assertThat(KnownHosts.changedKeyWarning("mini", 22, null, key, file))
        .contains("marked @revoked in " + file)
        .contains(KeyFiles.fingerprint(key))
        .contains("delete line 1 of " + file);
  }

  @Test
  void fileIsOwnerOnlyInAnOwnerOnlyDirectory() throws Exception {
    Path file = dir.resolve("home/keys/known_hosts");
    new KnownHosts(file).remember("mini", 2222, newKey());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
        .isEqualTo("rwx------");
  }

  @Test
  void concurrentRemembersLoseNothing() throws Exception {
    Path file = dir.resolve("known_hosts");
    int perWriter = 20;
    List<PublicKey> keys = new ArrayList<>();
    for (int i = 0; i < 2 * perWriter; i++) {
      keys.add(newKey());
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        int writer = w;
        KnownHosts hosts = new KnownHosts(file); // one instance per writer, as two clients
        Callable<Void> task =
            () -> {
              for (int i = 0; i < perWriter; i++) {
                int n = writer * perWriter + i;
                hosts.remember("node" + n, 2222, keys.get(n));
              }
              return null;
            };
        done.add(pool.submit(task));
      }
      for (Future<Void> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    KnownHosts hosts = new KnownHosts(file);
    for (int n = 0; n < 2 * perWriter; n++) {
      assertThat(hosts.check("node" + n, 2222, keys.get(n))).isEqualTo(Verdict.KNOWN);
    }
    assertThat(Files.readAllLines(file)).hasSize(2 * perWriter);
  }

  @Test
  void hostThatIsNotAPlainNameIsRejectedWithTheValue() {
    KnownHosts hosts = new KnownHosts(dir.resolve("known_hosts"));
    assertThatThrownBy(() -> hosts.lookup("[::1]", 22))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"[::1]\"");
    assertThatThrownBy(() -> hosts.lookup("a b", 22))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"a b\"");
    assertThatThrownBy(() -> hosts.lookup("mini", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port 0");
  }

  private static PublicKey newKey() throws Exception {
    return KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic();
  }
}
