package dev.hack.node.mesh.tailscale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import dev.hack.node.mesh.tailscale.TailscaleState.Status;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link LocalApiClient} against {@link FakeLocalApi}, a real HTTP server on a unix socket. */
@Timeout(value = 30, unit = TimeUnit.SECONDS) // a guard against hangs, not a measurement
class LocalApiClientTest {
  /** Short, so the slow-daemon tests stay quick; long enough for a loaded machine's loopback. */
  private static final Duration TIMEOUT = Duration.ofMillis(750);

  private Path dir;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void tempDir() throws IOException {
    // unix socket paths are limited to ~108 bytes: stay out of the deep @TempDir under target/
    dir = Files.createTempDirectory(Path.of("/tmp"), "ts");
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private FakeLocalApi daemon() throws Exception {
    return track(FakeLocalApi.onUnixSocket(dir.resolve("tailscaled.sock")));
  }

  private LocalApiClient client(FakeLocalApi fake) {
    return track(LocalApiClient.forSocket(fake.socket(), TIMEOUT));
  }

  private <T extends AutoCloseable> T track(T resource) {
    toClose.add(resource);
    return resource;
  }

  @Test
  void runningDaemonDescribesThisMachine() throws Exception {
    FakeLocalApi fake = daemon();

    TailscaleStatus status = client(fake).status();

    assertThat(status.state().status()).isEqualTo(Status.RUNNING);
    assertThat(status.state().status().wire()).isEqualTo("running");
    assertThat(status.state().message())
        .contains("mac-mini.tail1234.ts.net")
        .contains("100.101.102.103");
    assertThat(status.backendState()).isEqualTo("Running");
    assertThat(status.magicDnsSuffix()).isEqualTo("tail1234.ts.net");
    assertThat(status.tailnet()).isEqualTo("alice@example.com");
    assertThat(status.version()).startsWith("1.82.5");
    TailnetNode self = status.selfNode().orElseThrow();
    assertThat(self.id()).isEqualTo("nSELF1CNTRL");
    assertThat(self.publicKey()).isEqualTo(LocalApiFixtures.SELF_KEY);
    assertThat(self.hostName()).isEqualTo("mac-mini");
    assertThat(self.dnsName()).isEqualTo("mac-mini.tail1234.ts.net");
    assertThat(self.ipv4()).contains("100.101.102.103");
    assertThat(self.ipv6()).contains("fd7a:115c:a1e0::6501:6667");
    assertThat(self.online()).isTrue();
    assertThat(self.os()).isEqualTo("macOS");
    assertThat(self.loginName()).isEqualTo("alice@example.com");
    assertThat(self.lastSeen()).isNull();
  }

  @Test
  void peersCarryNamesAddressesPresenceAndHostKeys() throws Exception {
    FakeLocalApi fake = daemon();

    TailscaleStatus status = client(fake).status();

    assertThat(status.peers())
        .extracting(TailnetNode::name)
        .containsExactly("alices-iphone.tail1234.ts.net", "build-box.tail1234.ts.net");
    TailnetNode phone = status.peers().get(0);
    assertThat(phone.publicKey()).isEqualTo(LocalApiFixtures.PHONE_KEY);
    assertThat(phone.online()).isFalse();
    assertThat(phone.os()).isEqualTo("iOS");
    assertThat(phone.lastSeen()).isEqualTo(Instant.parse("2026-11-19T21:15:00Z"));
    assertThat(phone.loginName()).isEqualTo("alice@example.com");
    assertThat(phone.tagged()).isFalse();
    TailnetNode build = status.peers().get(1);
    assertThat(build.publicKey()).isEqualTo(LocalApiFixtures.BUILD_KEY);
    assertThat(build.hostName()).isEqualTo("build-box");
    assertThat(build.tailscaleIps()).containsExactly("100.90.1.2", "fd7a:115c:a1e0::5a01:102");
    assertThat(build.online()).isTrue();
    assertThat(build.lastSeen()).as("Go's zero time means never").isNull();
    assertThat(build.os()).isEqualTo("linux");
    assertThat(build.tags()).containsExactly("tag:ci", "tag:hack");
    assertThat(build.sshHostKeys()).hasSize(2).allMatch(k -> k.contains(" AAAA"));
    assertThat(status.onlinePeers()).containsExactly(build);
  }

  @Test
  void everyRequestNamesTheLocalApiHost() throws Exception {
    FakeLocalApi fake = daemon();
    LocalApiClient client = client(fake);

    client.status();
    client.whois(LocalApiFixtures.PEER_ADDR);
    client.whois("100.64.9.9:22");

    assertThat(fake.hosts()).hasSize(3).containsOnly("local-tailscaled.sock");
    assertThat(fake.rejected()).isZero();
    assertThat(fake.requests())
        .containsExactly(
            "/localapi/v0/status",
            "/localapi/v0/whois?addr=100.90.1.2%3A53422",
            "/localapi/v0/whois?addr=100.64.9.9%3A22");
  }

  @Test
  void fakeRefusesAnotherHostLikeTailscaled() throws Exception {
    FakeLocalApi fake = daemon();
    OkHttpClient other =
        new OkHttpClient.Builder()
            .socketFactory(new UnixSocketFactory(fake.socket()))
            .dns(host -> List.of(InetAddress.getLoopbackAddress()))
            .proxy(Proxy.NO_PROXY)
            .build();
    try (Response r =
        other
            .newCall(new Request.Builder().url("http://evil.example/localapi/v0/status").build())
            .execute()) {
      assertThat(r.code()).isEqualTo(421);
    } finally {
      other.dispatcher().executorService().shutdown();
      other.connectionPool().evictAll();
    }
    assertThat(fake.rejected()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"NeedsLogin", "NeedsMachineAuth", "Stopped"})
  void daemonOffTheTailnetNeedsConfig(String backendState) throws Exception {
    FakeLocalApi fake = daemon();
    fake.backendState(backendState);

    TailscaleStatus status = client(fake).status();

    assertThat(status.state().status()).isEqualTo(Status.NEEDS_CONFIG);
    assertThat(status.state().status().wire()).isEqualTo("needs_config");
    assertThat(status.backendState()).isEqualTo(backendState);
    assertThat(status.self().hostName()).isEqualTo("mac-mini");
    assertThat(status.self().dnsName()).isNull();
    assertThat(status.self().tailscaleIps()).isEmpty();
    assertThat(status.peers()).isEmpty();
    assertThat(status.tailnet()).isNull();
  }

  @Test
  void needsLoginSaysWhatToRun() throws Exception {
    FakeLocalApi fake = daemon();
    fake.backendState("NeedsLogin");

    assertThat(client(fake).status().state().message()).contains("tailscale up");
  }

  @Test
  void startingDaemonIsBlocked() throws Exception {
    FakeLocalApi fake = daemon();
    fake.backendState("Starting");

    assertThat(client(fake).status().state().status()).isEqualTo(Status.BLOCKED);
  }

  @Test
  void noSocketMeansTailscaleIsNotRunningHere() {
    Path missing = dir.resolve("tailscaled.sock");
    LocalApiClient client = track(LocalApiClient.forSocket(missing, TIMEOUT));

    TailscaleStatus status = client.status();
    WhoIsResult who = client.whois(LocalApiFixtures.PEER_ADDR);

    assertThat(status.state().status()).isEqualTo(Status.DISABLED);
    assertThat(status.state().message()).contains("tailscale is not running here", "" + missing);
    assertThat(status.self()).isNull();
    assertThat(status.peers()).isEmpty();
    assertThat(who.state().status()).isEqualTo(Status.DISABLED);
    assertThat(who.identity()).isEmpty();
  }

  @Test
  void socketThatNobodyListensOnIsBlocked() throws Exception {
    // what a crashed tailscaled leaves behind: the socket file, and nobody accepting on it
    Path stale = dir.resolve("tailscaled.sock");
    try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(stale));
    }
    assertThat(stale).exists();
    LocalApiClient client = track(LocalApiClient.forSocket(stale, TIMEOUT));

    TailscaleState state = client.status().state();

    assertThat(state.status()).isEqualTo(Status.BLOCKED);
    assertThat(state.message()).contains("not accepting connections", stale.toString());
  }

  @Test
  void slowDaemonIsBlockedInsteadOfHanging() throws Exception {
    FakeLocalApi fake = daemon();
    fake.slow();
    LocalApiClient client = client(fake);

    TailscaleState status = client.status().state();
    WhoIsResult who = client.whois(LocalApiFixtures.PEER_ADDR);

    assertThat(status.status()).isEqualTo(Status.BLOCKED);
    assertThat(status.message()).contains("did not answer within 750 ms");
    assertThat(who.state().status()).isEqualTo(Status.BLOCKED);
    assertThat(who.identity()).isEmpty();
  }

  @Test
  void malformedJsonIsBlocked() throws Exception {
    FakeLocalApi fake = daemon();
    fake.malformed();
    LocalApiClient client = client(fake);

    TailscaleStatus status = client.status();
    WhoIsResult who = client.whois(LocalApiFixtures.PEER_ADDR);

    assertThat(status.state().status()).isEqualTo(Status.BLOCKED);
    assertThat(status.state().message())
        .contains("/localapi/v0/status", "JSON")
        .doesNotContain("\n");
    assertThat(status.self()).isNull();
    assertThat(who.state().status()).isEqualTo(Status.BLOCKED);
    assertThat(who.identity()).isEmpty();
  }

  @Test
  void wrongShapeIsBlockedToo() throws Exception {
    FakeLocalApi fake = daemon();
    fake.status("{\"BackendState\": \"Running\", \"Peer\": [1, 2]}");

    TailscaleState state = client(fake).status().state();

    assertThat(state.status()).isEqualTo(Status.BLOCKED);
    assertThat(state.message()).contains("Peer");
  }

  @Test
  void whoisNamesATaggedPeerAndItsCapabilities() throws Exception {
    FakeLocalApi fake = daemon();

    WhoIsResult result = client(fake).whois(LocalApiFixtures.PEER_ADDR);

    assertThat(result.state().isRunning()).isTrue();
    WhoIs who = result.identity().orElseThrow();
    assertThat(who.nodeId()).isEqualTo("nBUILD1CNTRL");
    assertThat(who.nodeName()).isEqualTo("build-box.tail1234.ts.net");
    assertThat(who.computedName()).isEqualTo("build-box");
    assertThat(who.hostName()).isEqualTo("build-box");
    assertThat(who.os()).isEqualTo("linux");
    assertThat(who.addresses()).containsExactly("100.90.1.2", "fd7a:115c:a1e0::5a01:102");
    assertThat(who.tags()).containsExactly("tag:ci", "tag:hack");
    assertThat(who.tagged()).isTrue();
    assertThat(who.loginName()).isEqualTo("tagged-devices");
    assertThat(who.capMap().keySet())
        .containsExactly("hack.dev/cap/session", "tailscale.com/cap/drive");
    assertThat(who.capMap().get("hack.dev/cap/session"))
        .containsExactly("{\"role\":\"control\"}", "{\"role\":\"view\",\"projects\":[\"web\"]}");
    assertThat(who.capMap().get("tailscale.com/cap/drive")).isEmpty();
    assertThat(who.hasCapability("hack.dev/cap/session")).isTrue();
    assertThat(who.hasCapability("hack.dev/cap/admin")).isFalse();
    assertThat(JsonParser.parseString(who.capMapJson()))
        .isEqualTo(
            JsonParser.parseString(
                "{\"hack.dev/cap/session\":[{\"role\":\"control\"},"
                    + "{\"role\":\"view\",\"projects\":[\"web\"]}],"
                    + "\"tailscale.com/cap/drive\":[]}"));
  }

  @Test
  void whoisOfAConnectionOverIpv6NamesItsOwner() throws Exception {
    FakeLocalApi fake = daemon();
    InetSocketAddress remote =
        new InetSocketAddress(InetAddress.getByName("fd7a:115c:a1e0::cc01:2"), 61001);

    WhoIs who = client(fake).whois(remote).identity().orElseThrow();

    assertThat(who.loginName()).isEqualTo("alice@example.com");
    assertThat(who.displayName()).isEqualTo("Alice Example");
    assertThat(who.nodeName()).isEqualTo("alices-laptop.tail1234.ts.net");
    assertThat(who.tagged()).isFalse();
    assertThat(who.capMap()).isEmpty();
    assertThat(who.capMapJson()).isEqualTo("{}");
    assertThat(fake.requests()).last().asString().contains("addr=%5Bfd7a");
  }

  @Test
  void whoisOfAnUnknownAddressHasNoIdentity() throws Exception {
    FakeLocalApi fake = daemon();

    WhoIsResult result = client(fake).whois("100.64.9.9:22");

    assertThat(result.identity()).isEmpty();
    assertThat(result.state().isRunning()).as("tailscaled answered").isTrue();
    assertThat(result.state().message()).contains("no tailnet node at 100.64.9.9:22");
  }

  @Test
  void whoisRefusesSomethingThatIsNoAddress() throws Exception {
    LocalApiClient client = client(daemon());

    assertThatThrownBy(() -> client.whois(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.whois("1.2.3.4:22 x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.2.3.4:22 x");
  }

  @Test
  void macAppStyleDaemonIsReachedOverLoopbackWithItsToken() throws Exception {
    FakeLocalApi app = track(FakeLocalApi.onLoopback("2ae2ec9e0aa2005784f1"));
    LocalApiClient client =
        track(LocalApiClient.forLoopback(app.port(), "2ae2ec9e0aa2005784f1", TIMEOUT));

    TailscaleStatus status = client.status();
    WhoIsResult who = client.whois(LocalApiFixtures.PEER_ADDR);

    assertThat(status.state().status()).isEqualTo(Status.RUNNING);
    assertThat(who.identity()).isPresent();
    assertThat(app.rejected()).isZero();
    assertThat(app.hosts()).containsOnly("local-tailscaled.sock");
    assertThat(client.endpoint()).isEqualTo("127.0.0.1:" + app.port());
  }

  @Test
  void wrongTokenIsBlockedAndNeverShown() throws Exception {
    FakeLocalApi app = track(FakeLocalApi.onLoopback("right-token"));
    LocalApiClient client = track(LocalApiClient.forLoopback(app.port(), "wrong-token", TIMEOUT));

    TailscaleState state = client.status().state();

    assertThat(state.status()).isEqualTo(Status.BLOCKED);
    assertThat(state.message()).contains("refused access", "403").doesNotContain("wrong-token");
    assertThat(client.toString()).doesNotContain("wrong-token");
    assertThat(app.rejected()).isEqualTo(1);
  }

  @Test
  void quitMacAppIsBlocked() throws Exception {
    int port;
    try (FakeLocalApi app = FakeLocalApi.onLoopback("t")) {
      port = app.port();
    }
    LocalApiClient client = track(LocalApiClient.forLoopback(port, "t", TIMEOUT));

    TailscaleState state = client.status().state();

    assertThat(state.status()).isEqualTo(Status.BLOCKED);
    assertThat(state.message()).contains("Tailscale app", "127.0.0.1:" + port);
  }

  @Test
  void environmentVariableNamesTheSocket() throws Exception {
    FakeLocalApi fake = daemon();

    LocalApiClient fromEnv =
        track(
            LocalApiClient.fromEnvironment(
                Map.of(LocalApiClient.SOCKET_ENV, fake.socket().toString()),
                "Linux",
                dir,
                dir.resolve("no-macsys"),
                TIMEOUT));
    LocalApiClient byDefault =
        track(LocalApiClient.fromEnvironment(Map.of(), "Linux", dir, dir, TIMEOUT));
    LocalApiClient blank =
        track(
            LocalApiClient.fromEnvironment(
                Map.of(LocalApiClient.SOCKET_ENV, " "), "Linux", dir, dir, TIMEOUT));

    assertThat(fromEnv.endpoint()).isEqualTo(fake.socket().toString());
    assertThat(fromEnv.status().state().isRunning()).isTrue();
    assertThat(byDefault.endpoint()).isEqualTo("/var/run/tailscale/tailscaled.sock");
    assertThat(blank.endpoint()).isEqualTo("/var/run/tailscale/tailscaled.sock");
  }

  @Test
  void onMacOsTheAppsLoopbackPortIsFoundFromItsFiles() throws Exception {
    FakeLocalApi app = track(FakeLocalApi.onLoopback("f00dcafe"));
    Path macsys = Files.createDirectory(dir.resolve("Library-Tailscale"));
    Files.createSymbolicLink(macsys.resolve("ipnport"), Path.of(String.valueOf(app.port())));
    Files.writeString(
        macsys.resolve("sameuserproof-" + app.port()), "f00dcafe\n", StandardCharsets.UTF_8);

    LocalApiClient client =
        track(LocalApiClient.fromEnvironment(Map.of(), "Mac OS X", dir, macsys, TIMEOUT));

    assertThat(client.endpoint()).isEqualTo("127.0.0.1:" + app.port());
    assertThat(client.status().state().isRunning()).isTrue();
  }

  @Test
  void environmentVariableWinsOverTheMacApp() throws Exception {
    FakeLocalApi app = track(FakeLocalApi.onLoopback("f00dcafe"));
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Files.createFile(shared.resolve("sameuserproof-" + app.port() + "-f00dcafe"));
    Path socket = dir.resolve("elsewhere.sock");

    LocalApiClient client =
        track(
            LocalApiClient.fromEnvironment(
                Map.of(
                    LocalApiClient.SOCKET_ENV, socket.toString(),
                    MacLocalApiDiscovery.SHARED_DIR_ENV, shared.toString()),
                "Mac OS X",
                dir,
                dir,
                TIMEOUT));

    assertThat(client.endpoint()).isEqualTo(socket.toString());
    assertThat(client.status().state().status()).isEqualTo(Status.DISABLED);
  }

  @Test
  void restartedDaemonIsSeenAtOnce() throws Exception {
    Path socket = dir.resolve("tailscaled.sock");
    LocalApiClient client = track(LocalApiClient.forSocket(socket, TIMEOUT));
    try (FakeLocalApi first = FakeLocalApi.onUnixSocket(socket)) {
      assertThat(client.status().state().isRunning()).isTrue();
    }
    assertThat(client.status().state().status())
        .as("the stopped daemon removed its socket")
        .isEqualTo(Status.DISABLED);

    try (FakeLocalApi second = FakeLocalApi.onUnixSocket(socket)) {
      second.backendState("NeedsLogin");
      assertThat(client.status().state().status()).isEqualTo(Status.NEEDS_CONFIG);
    }
  }

  @Test
  void oneClientServesManyThreadsAtOnce() throws Exception {
    FakeLocalApi fake = daemon();
    LocalApiClient client = client(fake);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Status>> answers = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        boolean whois = i % 2 == 0;
        answers.add(
            pool.submit(
                () ->
                    whois
                        ? client.whois(LocalApiFixtures.PEER_ADDR).state().status()
                        : client.status().state().status()));
      }
      for (Future<Status> f : answers) {
        assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(Status.RUNNING);
      }
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(fake.hosts()).hasSize(32);
  }

  @Test
  void closeIsIdempotent() throws Exception {
    LocalApiClient client = LocalApiClient.forSocket(dir.resolve("x.sock"), TIMEOUT);
    client.close();
    client.close();
    assertThat(client.toString()).contains("x.sock");
  }

  @Test
  void timeoutMustBePositive() {
    assertThatThrownBy(() -> LocalApiClient.forSocket(dir.resolve("x.sock"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LocalApiClient.forLoopback(0, "t", TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0");
    assertThatThrownBy(() -> LocalApiClient.forLoopback(1234, "", TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
