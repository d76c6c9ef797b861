package dev.hack.keys;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * Fuzzes the readers of {@code known_hosts} and {@code authorized_keys} (docs/fuzzing.md): any file
 * content gives a parsed result with warnings for the lines skipped, or an IOException or
 * IllegalArgumentException; never another exception, never a hang. What {@code remember} and {@code
 * authorize} add is found again afterwards, whatever the file held before.
 */
class KnownHostsFuzzTest {
  private static final Path DIR = tempDir();
  private static final PublicKey KEY = ed25519();
  private static final String HOST = "alpha";

  @FuzzTest(maxDuration = "2m")
  void knownHosts(byte[] input) throws IOException {
    Path file = DIR.resolve("known_hosts");
    Files.write(file, input);
    List<String> warnings = new ArrayList<>();
    KnownHosts hosts = new KnownHosts(file, warnings::add);
    for (int port : new int[] {22, 2222}) {
      KnownHosts.Verdict before;
      try {
        before = hosts.check(HOST, port, KEY);
        hosts.lookup(HOST, port);
      } catch (IOException e) {
        // not UTF-8: refused (a changed key must not pass as new), with a message naming the file
        assertThat(e.getMessage()).contains(file.toString());
        return;
      }
      assertThat(before).isNotNull();
      hosts.remember(HOST, port, KEY);
      KnownHosts.Verdict after = hosts.check(HOST, port, KEY);
      // a @revoked line for this very key keeps refusing it
      assertThat(after).isIn(KnownHosts.Verdict.KNOWN, KnownHosts.Verdict.CHANGED);
      assertThat(KnownHosts.changedKeyWarning(HOST, port, KEY, KEY, file)).isNotEmpty();
      hosts.forget(HOST, port);
      hosts.check(HOST, port, KEY);
    }
    assertThat(warnings).allSatisfy(w -> assertThat(w).contains(file.toString()));
  }

  @FuzzTest(maxDuration = "2m")
  void authorizedKeys(byte[] input) throws IOException {
    String text = new String(input, java.nio.charset.StandardCharsets.UTF_8);
    List<String> warnings = new ArrayList<>();
    List<AuthorizedKeys.Entry> parsed =
        AuthorizedKeys.parse(text.lines().toList(), "fuzz", warnings::add);
    for (AuthorizedKeys.Entry e : parsed) {
      assertThat(e.key()).isNotNull();
      assertThat(e.fingerprint()).startsWith("SHA256:");
    }
    Path file = DIR.resolve("authorized_keys");
    Files.write(file, input);
    AuthorizedKeys keys = new AuthorizedKeys(file, w -> {});
    // a byte that is not UTF-8 spoils its line only, as any other unparsable line does
    assertThat(keys.entries()).hasSameSizeAs(parsed);
    try {
      int added = keys.authorize(text);
      assertThat(added).isBetween(0, parsed.size());
      Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(0));
      for (AuthorizedKeys.Entry e : parsed) {
        assertThat(keys.isAuthorized(e.key())).isTrue();
      }
    } catch (IllegalArgumentException | IOException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("hack-fuzz-keys");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static PublicKey ed25519() {
    try {
      return KeyUtils.generateKeyPair("ssh-ed25519", 256).getPublic();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
