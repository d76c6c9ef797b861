package dev.hack.node.mesh.tailscale;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the macOS GUI app's LocalAPI port and token from its {@code sameuserproof} files. */
class LocalApiMacDiscoveryTest {
  @TempDir Path dir;

  @Test
  void fileNameHoldsPortAndToken() {
    assertThat(MacLocalApiDiscovery.parseSameUserProof("sameuserproof-61577-2ae2ec9e0aa2005784f1"))
        .contains(new LocalApiEndpoint.Loopback(61577, "2ae2ec9e0aa2005784f1"));
    assertThat(MacLocalApiDiscovery.parseSameUserProof("sameuserproof-61577-ab-cd"))
        .as("the token is everything after the second dash")
        .contains(new LocalApiEndpoint.Loopback(61577, "ab-cd"));
  }

  @Test
  void otherNamesAreNotTokens() {
    for (String name :
        new String[] {
          "sameuserproof-",
          "sameuserproof-61577",
          "sameuserproof-61577-",
          "sameuserproof--tok",
          "sameuserproof-port-tok",
          "sameuserproof-0-tok",
          "sameuserproof-70000-tok",
          "ipnport",
          "other-61577-tok"
        }) {
      assertThat(MacLocalApiDiscovery.parseSameUserProof(name)).as(name).isEmpty();
    }
    assertThat(MacLocalApiDiscovery.parseSameUserProof(null)).isEmpty();
  }

  @Test
  void standaloneAppLeavesAPortLinkAndATokenFile() throws Exception {
    Files.createSymbolicLink(dir.resolve("ipnport"), Path.of("61577"));
    Files.writeString(dir.resolve("sameuserproof-61577"), "  s3cr3t\n");

    assertThat(MacLocalApiDiscovery.fromMacsys(dir))
        .contains(new LocalApiEndpoint.Loopback(61577, "s3cr3t"));
  }

  @Test
  void standaloneAppWithoutItsTokenIsNotFound() throws Exception {
    assertThat(MacLocalApiDiscovery.fromMacsys(dir)).isEmpty();
    Files.createSymbolicLink(dir.resolve("ipnport"), Path.of("61577"));
    assertThat(MacLocalApiDiscovery.fromMacsys(dir)).isEmpty();
    Files.writeString(dir.resolve("sameuserproof-61577"), "\n");
    assertThat(MacLocalApiDiscovery.fromMacsys(dir)).isEmpty();
  }

  @Test
  void appStoreAppsGroupContainerIsSearchedNewestFirst() throws Exception {
    Path container =
        Files.createDirectories(
            dir.resolve("Library/Group Containers/W5364U7YZB.io.tailscale.ipn.macos"));
    Path old = Files.createFile(container.resolve("sameuserproof-50001-oldtoken"));
    Path current = Files.createFile(container.resolve("sameuserproof-50002-newtoken"));
    Files.setLastModifiedTime(old, FileTime.from(Instant.parse("2025-01-01T00:00:00Z")));
    Files.setLastModifiedTime(current, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    Files.createDirectories(dir.resolve("Library/Group Containers/group.com.example.other"));

    assertThat(MacLocalApiDiscovery.fromGroupContainers(dir))
        .containsExactly(new LocalApiEndpoint.Loopback(50002, "newtoken"));
  }

  @Test
  void sharedDirectoryFromTheEnvironment() throws Exception {
    Files.createFile(dir.resolve("sameuserproof-40404-abc"));

    assertThat(
            MacLocalApiDiscovery.candidates(
                Map.of(MacLocalApiDiscovery.SHARED_DIR_ENV, dir.toString()),
                dir.resolve("no-home"),
                dir.resolve("no-macsys")))
        .containsExactly(new LocalApiEndpoint.Loopback(40404, "abc"));
  }

  @Test
  void aPortThatAnswersBeatsAStaleFile() throws Exception {
    Path macsys = Files.createDirectory(dir.resolve("macsys"));
    Path shared = Files.createDirectory(dir.resolve("shared"));
    try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int stalePort;
      try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        stalePort = gone.getLocalPort();
      }
      Files.createSymbolicLink(macsys.resolve("ipnport"), Path.of("" + stalePort));
      Files.writeString(macsys.resolve("sameuserproof-" + stalePort), "stale");
      Files.createFile(shared.resolve("sameuserproof-" + listening.getLocalPort() + "-live"));
      Map<String, String> env = Map.of(MacLocalApiDiscovery.SHARED_DIR_ENV, shared.toString());

      assertThat(MacLocalApiDiscovery.candidates(env, null, macsys))
          .extracting(LocalApiEndpoint.Loopback::token)
          .containsExactly("stale", "live");
      assertThat(MacLocalApiDiscovery.discover(env, null, macsys))
          .contains(new LocalApiEndpoint.Loopback(listening.getLocalPort(), "live"));
      assertThat(MacLocalApiDiscovery.discover(Map.of(), null, macsys))
          .as("only stale files: use them, so the state says the app is not answering")
          .contains(new LocalApiEndpoint.Loopback(stalePort, "stale"));
    }
  }

  @Test
  void tokensAreNeverPrinted() {
    assertThat(new LocalApiEndpoint.Loopback(61577, "2ae2ec9e0aa2005784f1").toString())
        .contains("61577")
        .doesNotContain("2ae2ec9e0aa2005784f1");
  }
}
