package dev.hack.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {
  @TempDir Path dir;

  @Test
  void onlyAHashIsStoredAndTheTokenVerifiesWithItsScope() throws Exception {
    TokenStore store = new TokenStore(dir.resolve("gateway/tokens.json"));
    TokenStore.Created c = store.create(TokenStore.Scope.WRITE, null, "phone");
    assertThat(c.token()).startsWith("hk_" + c.id() + "_");
    String file = Files.readString(store.file());
    String secret = c.token().substring(("hk_" + c.id() + "_").length()); // base64url may hold _
    assertThat(file).doesNotContain(secret).contains(TokenStore.hash(secret)).contains("phone");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())))
        .isEqualTo("rw-------");

    var t = store.verify(c.token());
    assertThat(t).isPresent();
    assertThat(t.get().scopeValue().allows(TokenStore.Scope.READ)).isTrue();
    assertThat(t.get().scopeValue().allows(TokenStore.Scope.ADMIN)).isFalse();
    assertThat(store.list().get(0).lastUsed()).isNotNull();
  }

  @Test
  void wrongRevokedAndExpiredTokensDoNotVerify() throws Exception {
    TokenStore store = new TokenStore(dir.resolve("tokens.json"));
    TokenStore.Created c = store.create(TokenStore.Scope.READ, null, null);
    assertThat(store.verify(c.token() + "x")).isEmpty();
    assertThat(store.verify("hk_" + c.id() + "_nope")).isEmpty();
    assertThat(store.verify("nothing")).isEmpty();
    assertThat(store.verify(null)).isEmpty();
    store.revoke(c.id());
    assertThat(store.verify(c.token())).isEmpty();
    assertThat(store.list().get(0).revokedAt()).isNotNull();

    TokenStore.Created expired = store.create(TokenStore.Scope.ADMIN, Duration.ofMillis(1), null);
    java.time.Instant expiry = java.time.Instant.parse(expired.expiresAt());
    while (!java.time.Instant.now().isAfter(expiry)) {
      Thread.onSpinWait(); // a millisecond at most: wait for the expiry, not a guessed time
    }
    assertThat(store.verify(expired.token())).isEmpty();
    java.time.Instant now = java.time.Instant.now();
    assertThat(store.list()).extracting(t -> t.state(now)).containsExactly("revoked", "expired");
    assertThat(store.list().get(1).view()).containsEntry("state", "expired");
    TokenStore.Created live = store.create(TokenStore.Scope.READ, Duration.ofDays(1), null);
    assertThat(store.list().get(2).state(now)).isEqualTo("active");
    assertThat(live.token()).isNotEmpty();
    assertThatThrownBy(() -> store.revoke("nosuch"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nosuch");
    assertThatThrownBy(() -> TokenStore.Scope.parse("root"))
        .hasMessageContaining("read, write or admin");
  }
}
