package dev.hack.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysTest {
  @TempDir Path dir;

  @Test
  void hostKeyIsCreatedOwnerOnlyAndNeverRegenerated() throws Exception {
    Path key = dir.resolve("keys/ssh_host_ed25519_key");
    KeyPair first = KeyFiles.loadOrCreate(key, "host");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(KeyFiles.publicKeyPath(key))).startsWith("ssh-ed25519 ");
    assertThat(Files.readString(key)).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
    KeyPair second = KeyFiles.loadOrCreate(key, "host");
    assertThat(KeyFiles.fingerprint(second.getPublic()))
        .isEqualTo(KeyFiles.fingerprint(first.getPublic()));
  }

  @Test
  void keyReadableByOthersIsRefusedWithTheFix() throws Exception {
    Path key = dir.resolve("k");
    KeyFiles.loadOrCreate(key, "x");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> KeyFiles.load(key))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("chmod 600 " + key);
  }

  @Test
  void openSshCanReadOurKey() throws Exception {
    Path key = dir.resolve("id");
    KeyPair pair = KeyFiles.loadOrCreate(key, "x");
    Process p = new ProcessBuilder("ssh-keygen", "-y", "-f", key.toString()).start();
    String pub = new String(p.getInputStream().readAllBytes()).strip();
    assertThat(p.waitFor()).isZero();
    assertThat(pub).isEqualTo(KeyFiles.openSshLine(pair.getPublic()) + " x");
  }

  @Test
  void malformedAuthorizedKeysLineIsSkippedWithAWarningNamingIt() throws Exception {
    KeyPair a = KeyFiles.loadOrCreate(dir.resolve("a"), "a");
    KeyPair b = KeyFiles.loadOrCreate(dir.resolve("b"), "b");
    Path file = dir.resolve("authorized_keys");
    Files.writeString(
        file,
        "# comment\n\n"
            + KeyFiles.openSshLine(a.getPublic())
            + " alice@laptop\n"
            + "ssh-ed25519 not-base64!!\n"
            + "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= ec@host\n");
    List<String> warnings = new ArrayList<>();
    AuthorizedKeys keys = new AuthorizedKeys(file, warnings::add);
    assertThat(keys.isAuthorized(a.getPublic())).isTrue();
    assertThat(keys.isAuthorized(b.getPublic())).isFalse();
    assertThat(keys.entries())
        .extracting(AuthorizedKeys.Entry::type)
        .containsExactly("ssh-ed25519", "ecdsa-sha2-nistp256");
    assertThat(warnings).singleElement().asString().contains("line 4");

    // options such as from= or command= are not enforced by hack, so such keys are refused
    Files.writeString(
        file,
        "from=\"10.9.9.9\",command=\"/bin/false\" " + KeyFiles.openSshLine(b.getPublic()) + "\n");
    warnings.clear();
    assertThat(keys.isAuthorized(b.getPublic())).isFalse();
    assertThat(warnings).singleElement().asString().contains("not supported");
    Files.writeString(file, KeyFiles.openSshLine(a.getPublic()) + "\n");

    // edits are picked up on the next check
    Files.writeString(
        file, KeyFiles.openSshLine(b.getPublic()) + "\n", java.nio.file.StandardOpenOption.APPEND);
    assertThat(keys.isAuthorized(b.getPublic())).isTrue();
  }

  @Test
  void aByteThatIsNotUtf8SpoilsOnlyItsOwnLine() throws Exception {
    // found by KnownHostsFuzzTest#authorizedKeys: one such byte in a comment used to empty the
    // whole file without a warning, so that no key could log in
    KeyPair a = KeyFiles.loadOrCreate(dir.resolve("a"), "a");
    KeyPair b = KeyFiles.loadOrCreate(dir.resolve("b"), "b");
    Path file = dir.resolve("authorized_keys");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    bytes.writeBytes((KeyFiles.openSshLine(a.getPublic()) + " alice@l").getBytes());
    bytes.writeBytes(new byte[] {(byte) 0xff, (byte) 0xc3});
    bytes.writeBytes(("aptop\n" + KeyFiles.openSshLine(b.getPublic()) + " bob\n").getBytes());
    Files.write(file, bytes.toByteArray());
    AuthorizedKeys keys = new AuthorizedKeys(file, w -> {});
    assertThat(keys.isAuthorized(a.getPublic())).isTrue();
    assertThat(keys.isAuthorized(b.getPublic())).isTrue();
  }

  @Test
  void authorizeAppendsOnlyNewKeysAndRejectsGarbage() throws Exception {
    KeyPair a = KeyFiles.loadOrCreate(dir.resolve("a"), "a");
    Path file = dir.resolve("keys/authorized_keys");
    AuthorizedKeys keys = new AuthorizedKeys(file, w -> {});
    String line = KeyFiles.openSshLine(a.getPublic()) + " a@x";
    assertThat(keys.authorize(line)).isEqualTo(1);
    assertThat(keys.authorize(line)).isZero();
    assertThatThrownBy(() -> keys.authorize("hello"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("nothing was authorized");
    assertThat(Files.readAllLines(file)).containsExactly(line);
  }
}
