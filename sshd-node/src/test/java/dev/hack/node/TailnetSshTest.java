package dev.hack.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.api.ChannelApp;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.RegisteredNode;
import dev.hack.node.mesh.tailscale.FakeLocalApi;
import dev.hack.node.mesh.tailscale.LocalApiFixtures;
import dev.hack.node.mesh.tailscale.TailnetRanges;
import dev.hack.node.ssh.NodeSshServer;
import dev.hack.node.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node with a fake tailscaled: it listens on the tailnet addresses Tailscale reports, and
 * lets tailnet identities listed in {@code ssh.tailscaleUsers} in without a key, with their role.
 *
 * <p>The tailnet is played on loopback: the fake reports this machine at {@code 127.0.0.2} and
 * {@code ::1}, which can be bound here (Tailscale's own 100.x addresses cannot), and a client that
 * connects to 127.0.0.2 comes from 127.0.0.1, which the fake's WhoIs names. The node is told that
 * loopback clients count as tailnet clients ({@link NodeSshServer.Settings#withTailnetClients}); in
 * production only Tailscale's ranges do. The client is the real OpenSSH {@code ssh} with no key.
 */
class TailnetSshTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String VIEW_ONLY = "{\"hack.dev/cap/ssh\": [{\"role\": \"view\"}]}";

  @TempDir Path dir;
  private Path sockDir;
  private Path socket;
  private Path tmuxDir;
  private HackHome home;
  private FakeLocalApi tailscaled;
  private Node node;
  private final List<String> warnings = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    sockDir = Files.createTempDirectory(Path.of("/tmp"), "ts"); // unix socket paths are short
    socket = sockDir.resolve("tailscaled.sock");
    tmuxDir = Files.createTempDirectory(Path.of("/tmp"), "hack-tmux");
    home = HackHome.at(dir.resolve("home"));
    tailscaled = FakeLocalApi.onUnixSocket(socket);
    tailscaled.status(LocalApiFixtures.statusRunningAt("127.0.0.2", "::1"));
    // a client on the "tailnet" comes from 127.0.0.1 (or ::1): Alice's laptop
    tailscaled.whoisForIp("127.0.0.1", LocalApiFixtures.WHOIS_PERSON);
    tailscaled.whoisForIp("::1", LocalApiFixtures.WHOIS_PERSON);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (node != null) {
      node.close();
    }
    tailscaled.close();
    new ProcessBuilder("tmux", "-S", tmuxDir.resolve("s").toString(), "kill-server")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
        .waitFor(5, TimeUnit.SECONDS);
  }

  private Node start() throws IOException {
    return start(socket);
  }

  private Node start(Path tailscaleSocket) throws IOException {
    node =
        Node.start(
            new Node.Config(
                    home,
                    "ts-node",
                    "127.0.0.1",
                    0,
                    null,
                    -1,
                    tmuxDir.resolve("s"),
                    Duration.ofDays(7),
                    NodeSshServer.Settings.defaults()
                        .withTailnetClients(
                            ip -> ip.isLoopbackAddress() || TailnetRanges.contains(ip)))
                .withTailscaleSocket(tailscaleSocket),
            warnings::add);
    return node;
  }

  private void allow(String... who) throws IOException {
    JsonArray list = new JsonArray();
    for (String w : who) {
      list.add(w);
    }
    new ConfigFile(home.config()).set("ssh.tailscaleUsers", list);
  }

  private List<String> tailscaleWarnings() {
    return warnings.stream().filter(w -> !w.startsWith("no authorized keys")).toList();
  }

  // ---- listening on the tailnet ----

  @Test
  void listensOnTheTailnetAddressesAndRecordsThemInItsRegistryEntry() throws Exception {
    KeyPair hostKey = KeyFiles.loadOrCreate(home.hostKey(), "hack host key");
    String id = Node.nodeId(KeyFiles.fingerprint(hostKey.getPublic()));
    NodeRegistry.open(home)
        .put(RegisteredNode.of("me", new RegisteredNode.SshEndpoint("127.0.0.1", 2222)).withId(id));
    Path key = authorizedClientKey();

    start();

    int port = node.sshAddress().getPort();
    assertThat(node.sshAddresses())
        .containsExactlyInAnyOrder(
            new InetSocketAddress("127.0.0.1", port),
            new InetSocketAddress("127.0.0.2", port),
            new InetSocketAddress("::1", port));
    assertThat(node.sshAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", port));
    assertThat(tailscaleWarnings()).isEmpty();
    // the node accepts SSH on its tailnet address (with a key: nobody is in ssh.tailscaleUsers)
    Result r = ssh(withKey(key), "127.0.0.2", port, "status");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("node      ts-node");
    Result v6 = ssh(withKey(key), "::1", port, "ls");
    assertThat(v6.exit()).as(v6.err()).isZero();

    RegisteredNode me = NodeRegistry.open(home).find("me").orElseThrow();
    assertThat(me.tailscale())
        .isEqualTo(new RegisteredNode.Tailscale("127.0.0.2", "mac-mini.tail1234.ts.net"));
    assertThat(me.endpoints()).containsEntry("ssh", "ssh://127.0.0.1:2222"); // nothing else
    assertThat(Files.readString(home.nodeFile()))
        .contains("\"ssh_addresses\"")
        .contains("\"127.0.0.2\"");
  }

  @Test
  void aTailnetAddressThatCannotBeBoundIsOneWarningAndTheNodeServesWithoutIt() throws Exception {
    tailscaled.status(LocalApiFixtures.STATUS_RUNNING); // 100.101.102.103: not this machine's
    Path key = authorizedClientKey();

    start();

    int port = node.sshAddress().getPort();
    assertThat(tailscaleWarnings()).hasSize(1);
    assertThat(tailscaleWarnings().get(0))
        .startsWith("cannot listen for SSH on tailnet address 100.101.102.103:" + port)
        .contains("fd7a:115c:a1e0::6501:6667")
        .endsWith("; SSH serves on 127.0.0.1:" + port + " without it");
    assertThat(node.sshAddresses()).containsExactly(node.sshAddress());
    Result r = ssh(withKey(key), "127.0.0.1", port, "ls");
    assertThat(r.exit()).as(r.err()).isZero();

    node.refreshTailscale(); // tried again, said once
    assertThat(tailscaleWarnings()).hasSize(1);
  }

  @Test
  void withoutTailscaleItSaysSoOnceAndServesOnLoopback() throws Exception {
    tailscaled.close();
    Path key = authorizedClientKey();

    start(sockDir.resolve("gone.sock"));

    int port = node.sshAddress().getPort();
    assertThat(tailscaleWarnings())
        .containsExactly(
            "tailscale is not running here (no tailscaled socket at "
                + sockDir.resolve("gone.sock")
                + "); SSH listens on 127.0.0.1:"
                + port
                + " only, not on the tailnet");
    assertThat(node.sshAddresses()).containsExactly(node.sshAddress());
    assertThat(node.status().tailscale().status()).isEqualTo("disabled");
    assertThat(ssh(withKey(key), "127.0.0.1", port, "ls").exit()).isZero();
    node.refreshTailscale();
    assertThat(tailscaleWarnings()).hasSize(1);
  }

  @Test
  void aDaemonThatNeedsLoginIsSaidOnceAndTailscaleComingUpLaterIsFollowed() throws Exception {
    tailscaled.backendState("NeedsLogin");

    start();

    assertThat(tailscaleWarnings()).hasSize(1);
    assertThat(tailscaleWarnings().get(0))
        .startsWith("tailscale is not logged in: run `tailscale up` to log in; SSH listens on");
    assertThat(node.sshAddresses()).containsExactly(node.sshAddress());

    int port = node.sshAddress().getPort();
    tailscaled.status(LocalApiFixtures.statusRunningAt("127.0.0.2"));
    node.refreshTailscale();
    assertThat(node.sshAddresses())
        .containsExactly(node.sshAddress(), new InetSocketAddress("127.0.0.2", port));
    assertThat(node.status().tailscale().status()).isEqualTo("running");
    assertThat(Files.readString(home.nodeFile())).contains("\"127.0.0.2\"");

    tailscaled.status(LocalApiFixtures.statusRunningAt("::1")); // the address moved
    node.refreshTailscale();
    assertThat(node.sshAddresses())
        .containsExactly(node.sshAddress(), new InetSocketAddress("::1", port));
    assertThat(tailscaleWarnings()).hasSize(1);
  }

  // ---- login by tailnet identity ----

  @Test
  void anAllowedTailnetUserGetsInWithoutAKey() throws Exception {
    allow("alice@example.com");
    start();
    int port = node.sshAddress().getPort();

    Result r = ssh(noKey(), "127.0.0.2", port, "ls");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("no sessions");
    Result v6 = ssh(noKey(), "::1", port, "status");
    assertThat(v6.exit()).as(v6.err()).isZero();
    // no capability: the default role, control, may start a session
    Result created = ssh(noKey(), "127.0.0.2", port, "new --name t1 -- sleep 30");
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out().strip()).isEqualTo("t1");
    assertThat(tailscaled.requests())
        .anyMatch(q -> q.startsWith("/localapi/v0/whois?addr=127.0.0.1"));
  }

  @Test
  void anyKeyTheClientOffersIsAcceptedWhenWhoisAllows() throws Exception {
    allow("alice@example.com");
    start();
    Path stranger = dir.resolve("stranger").resolve("id_ed25519");
    KeyFiles.loadOrCreate(stranger, "not authorized anywhere");

    Result r = ssh(withKey(stranger), "127.0.0.2", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).as(r.err()).isZero();
  }

  @Test
  void aTaggedNodeIsAllowedByItsTag() throws Exception {
    tailscaled.whoisForIp("127.0.0.1", LocalApiFixtures.WHOIS_TAGGED_PEER);
    allow("tag:ci");
    start();

    Result r = ssh(noKey(), "127.0.0.2", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).as(r.err()).isZero();
  }

  @Test
  void aUserWhoIsNotListedIsRefused() throws Exception {
    allow("bob@example.com", "tag:ci");
    start();

    Result r = ssh(noKey(), "127.0.0.2", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).isEqualTo(255);
    assertThat(r.err()).contains("Permission denied (publickey)");
  }

  @Test
  void nobodyGetsInWithoutAKeyWhenNoTailnetUsersAreConfigured() throws Exception {
    start();

    Result r = ssh(noKey(), "127.0.0.2", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).isEqualTo(255);
    assertThat(tailscaled.requests()).noneMatch(q -> q.startsWith("/localapi/v0/whois"));
  }

  @Test
  void aConnectionOnANonTailnetAddressIsRefusedEvenThoughWhoisWouldAllow() throws Exception {
    allow("alice@example.com");
    start();

    Result r = ssh(noKey(), "127.0.0.1", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).isEqualTo(255);
    assertThat(r.err()).contains("Permission denied");
    assertThat(tailscaled.requests()).noneMatch(q -> q.startsWith("/localapi/v0/whois"));
  }

  @Test
  void aClientFromANonTailnetAddressIsRefusedWithTheProductionRanges() throws Exception {
    allow("alice@example.com");
    node =
        Node.start(
            new Node.Config(
                    home,
                    "ts-node",
                    "127.0.0.1",
                    0,
                    null,
                    -1,
                    tmuxDir.resolve("s"),
                    Duration.ofDays(7),
                    NodeSshServer.Settings.defaults())
                .withTailscaleSocket(socket),
            warnings::add);

    // arrives on a tailnet address of this node, but from 127.0.0.1: not in 100.64/10
    Result r = ssh(noKey(), "127.0.0.2", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).isEqualTo(255);
    assertThat(tailscaled.requests()).noneMatch(q -> q.startsWith("/localapi/v0/whois"));
  }

  @Test
  void aDaemonThatIsDownRefusesAndKeysStillWork() throws Exception {
    allow("alice@example.com");
    Path key = authorizedClientKey();
    start();
    int port = node.sshAddress().getPort();
    tailscaled.close(); // the node still knows its tailnet addresses from its last look

    Result r = ssh(noKey(), "127.0.0.2", port, "ls");
    assertThat(r.exit()).isEqualTo(255);
    assertThat(r.err()).contains("Permission denied");

    Result withKey = ssh(withKey(key), "127.0.0.2", port, "ls");
    assertThat(withKey.exit()).as(withKey.err()).isZero();
  }

  @Test
  void aDaemonThatDoesNotAnswerRefusesWithinItsTimeout() throws Exception {
    allow("alice@example.com");
    start();
    tailscaled.slow();

    long t0 = System.nanoTime();
    Result r = ssh(noKey(), "127.0.0.2", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).isEqualTo(255);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
  }

  @Test
  void whoIsNoLongerKnownToTailscaleIsRefused() throws Exception {
    allow("alice@example.com");
    start();
    tailscaled.forgetIps(); // WhoIs: 404 no match

    Result r = ssh(noKey(), "127.0.0.2", node.sshAddress().getPort(), "ls");

    assertThat(r.exit()).isEqualTo(255);
  }

  // ---- roles ----

  @Test
  void aViewRoleCanListButNotAttachOrStart() throws Exception {
    tailscaled.whoisForIp(
        "127.0.0.1", LocalApiFixtures.whoisPerson("alice@example.com", VIEW_ONLY));
    allow("alice@example.com");
    Path key = authorizedClientKey();
    start();
    int port = node.sshAddress().getPort();
    // a session to look at, started by a key login on the loopback address (unaffected)
    Result made = ssh(withKey(key), "127.0.0.1", port, "new --name s1 -- sleep 60");
    assertThat(made.exit()).as(made.err()).isZero();

    Result ls = ssh(noKey(), "127.0.0.2", port, "ls");
    assertThat(ls.exit()).as(ls.err()).isZero();
    assertThat(ls.out()).contains("s1");
    assertThat(ssh(noKey(), "127.0.0.2", port, "peek s1").exit()).isZero();
    assertThat(ssh(noKey(), "127.0.0.2", port, "status --json").exit()).isZero();

    Result attach = ssh(noKey(), "127.0.0.2", port, "attach s1");
    assertThat(attach.exit()).isEqualTo(1);
    assertThat(attach.err())
        .startsWith("hack: your tailnet role is view; attach needs attach")
        .contains("--read-only");
    Result created = ssh(noKey(), "127.0.0.2", port, "new -- true");
    assertThat(created.exit()).isEqualTo(1);
    assertThat(created.err()).isEqualTo("hack: your tailnet role is view; new needs control\n");
    Result send = ssh(noKey(), "127.0.0.2", port, "send s1 hi");
    assertThat(send.err()).contains("your tailnet role is view; send needs attach");
    Result stop = ssh(noKey(), "127.0.0.2", port, "stop s1");
    assertThat(stop.err()).contains("your tailnet role is view; stop needs control");
    Result job = ssh(noKey(), "127.0.0.2", port, "job start -- true");
    assertThat(job.err()).contains("your tailnet role is view; job start needs control");
    assertThat(ssh(noKey(), "127.0.0.2", port, "job list").exit()).isZero();
    // read-only attach is a view: it passes the role check (and then needs a terminal)
    Result watch = ssh(noKey(), "127.0.0.2", port, "attach s1 --read-only");
    assertThat(watch.err()).doesNotContain("tailnet role").contains("needs a terminal");
    // port forwarding is for control only (a key login may)
    String remoteForward = "127.0.0.1:0:127.0.0.1:" + port;
    Result forward =
        ssh(
            noKey(),
            "127.0.0.2",
            port,
            "-o",
            "ExitOnForwardFailure=yes",
            "-R",
            remoteForward,
            "ls");
    assertThat(forward.exit()).isEqualTo(255);
    assertThat(forward.err()).contains("port forwarding failed");
    Result keyForward =
        ssh(
            withKey(key),
            "127.0.0.1",
            port,
            "-o",
            "ExitOnForwardFailure=yes",
            "-R",
            remoteForward,
            "ls");
    assertThat(keyForward.exit()).as(keyForward.err()).isZero();

    assertThat(ssh(withKey(key), "127.0.0.1", port, "stop s1").exit()).isZero(); // keys: all
  }

  @Test
  void aViewLoginNeverReadsAFileThroughAnAtWord() throws Exception {
    tailscaled.whoisForIp(
        "127.0.0.1", LocalApiFixtures.whoisPerson("alice@example.com", VIEW_ONLY));
    allow("alice@example.com");
    start();
    int port = node.sshAddress().getPort();
    Path hostKey = home.hostKey();
    String keyText = Files.readString(hostKey);
    String keyWord = keyText.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
    // commands the view role may run parse the word as data; the others are refused unparsed
    for (String line :
        List.of(
            "peek @" + hostKey,
            "logs @" + hostKey,
            "ls @" + hostKey,
            "status @" + hostKey + " @/etc/passwd",
            "attach --read-only @" + hostKey,
            "stop @" + hostKey,
            "new --name @" + hostKey,
            "job start @" + hostKey,
            "peer add @" + hostKey + " ssh://x --host-key @" + hostKey)) {
      Result r = ssh(noKey(), "127.0.0.2", port, line);
      assertThat(r.exit()).as(line).isNotZero();
      assertThat(r.out() + r.err())
          .as(line)
          .doesNotContain(keyWord.substring(0, 20))
          .doesNotContain("root:");
      assertThat(r.err().strip().lines().count()).as(line + ": " + r.err()).isEqualTo(1);
    }
    Result stop = ssh(noKey(), "127.0.0.2", port, "stop @" + hostKey);
    assertThat(stop.err()).isEqualTo("hack: your tailnet role is view; stop needs control\n");
  }

  @Test
  void aTailnetLoginEndsWhenItsIdentityIsNoLongerListedOrItsRoleIsLowered() throws Exception {
    allow("alice@example.com", "bob@example.com");
    new ConfigFile(home.config()).set("ssh.tailscaleRole", ConfigFile.parseValue("attach"));
    Path key = authorizedClientKey();
    start();
    int port = node.sshAddress().getPort();
    assertThat(ssh(withKey(key), "127.0.0.1", port, "new --name s1 -- cat").exit()).isZero();

    Process first = attach(port);
    Poll.until(TIMEOUT, "attached", () -> node.supervisor().get("s1").info().attached() == 1);
    // lowered from attach to view: the connection ends, and a new one gets the new role
    new ConfigFile(home.config()).set("ssh.tailscaleRole", ConfigFile.parseValue("view"));
    assertThat(first.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(new String(first.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .contains("the tailnet role of alice@example.com is now view, not attach");
    assertThat(ssh(noKey(), "127.0.0.2", port, "send s1 hi").err()).contains("role is view");

    new ConfigFile(home.config()).set("ssh.tailscaleRole", ConfigFile.parseValue("attach"));
    Process second = attach(port);
    Poll.until(TIMEOUT, "attached", () -> node.supervisor().get("s1").info().attached() == 1);
    allow("bob@example.com"); // alice is taken off the list
    assertThat(second.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(new String(second.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .contains("alice@example.com is no longer listed in ssh.tailscaleUsers");
    // a key login on the same node is not touched by any of it
    assertThat(ssh(withKey(key), "127.0.0.1", port, "ls").out()).contains("s1");
  }

  /** A tailnet login without a key, attached to s1 and left running (a phone, say). */
  private Process attach(int port) throws IOException {
    List<String> argv = sshArgv(noKey(), "127.0.0.2", port, "-tt", "attach", "s1");
    Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    attachedClients.add(p);
    return p;
  }

  private final List<Process> attachedClients = new ArrayList<>();

  @AfterEach
  void endClients() throws Exception {
    for (Process p : attachedClients) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aViewRolesLoginAndRefusedStopAreAudited() throws Exception {
    tailscaled.whoisForIp(
        "127.0.0.1", LocalApiFixtures.whoisPerson("alice@example.com", VIEW_ONLY));
    allow("alice@example.com");
    Path key = authorizedClientKey();
    start();
    int port = node.sshAddress().getPort();
    assertThat(ssh(withKey(key), "127.0.0.1", port, "new --name s1 -- sleep 60").exit()).isZero();
    Result stop = ssh(noKey(), "127.0.0.2", port, "stop s1");
    assertThat(stop.err()).contains("your tailnet role is view; stop needs control");

    Path audit = home.gatewayDir().resolve("audit.jsonl");
    List<com.google.gson.JsonObject> lines =
        Files.readAllLines(audit).stream()
            .map(l -> com.google.gson.JsonParser.parseString(l).getAsJsonObject())
            .filter(o -> o.has("door") && o.get("door").getAsString().equals("ssh"))
            .toList();
    assertThat(lines)
        .anySatisfy(
            o -> {
              assertThat(o.get("event").getAsString()).isEqualTo("login");
              assertThat(o.get("who").getAsString()).isEqualTo("alice@example.com");
              assertThat(o.get("role").getAsString()).isEqualTo("view");
            });
    assertThat(lines)
        .anySatisfy(
            o -> {
              assertThat(o.get("event").getAsString()).isEqualTo("refused");
              assertThat(o.get("who").getAsString()).isEqualTo("alice@example.com");
              assertThat(o.get("action").getAsString()).isEqualTo("stop s1");
              assertThat(o.get("status").getAsString()).isEqualTo("refused");
              assertThat(o.get("error").getAsString()).contains("stop needs control");
            });
    // the session is still there: the refusal changed nothing
    assertThat(lines).noneMatch(o -> o.get("event").getAsString().equals("session_stop"));
  }

  @Test
  void theConfiguredDefaultRoleAppliesWhenNoCapabilitySaysOtherwise() throws Exception {
    allow("alice@example.com");
    new ConfigFile(home.config()).set("ssh.tailscaleRole", ConfigFile.parseValue("attach"));
    start();
    int port = node.sshAddress().getPort();

    Result created = ssh(noKey(), "127.0.0.2", port, "new -- true");
    assertThat(created.err()).contains("your tailnet role is attach; new needs control");
    Result send = ssh(noKey(), "127.0.0.2", port, "send nosuch hi");
    assertThat(send.err()).doesNotContain("tailnet role");
  }

  @Test
  void thePickerOfAViewLoginCannotStartSessions() throws Exception {
    tailscaled.whoisForIp(
        "127.0.0.1", LocalApiFixtures.whoisPerson("alice@example.com", VIEW_ONLY));
    allow("alice@example.com");
    java.util.concurrent.CompletableFuture<String> tried =
        new java.util.concurrent.CompletableFuture<>();
    ChannelApp.Factory picker =
        channel -> {
          try {
            channel.create(null, null, null, "");
            tried.complete("created");
          } catch (IOException e) {
            tried.complete(e.getMessage());
          }
          channel.exit(0);
          return new ChannelApp() {
            @Override
            public void input(byte[] data, int off, int len) {}

            @Override
            public void resize(dev.hack.node.api.PtySize size) {}

            @Override
            public void close() {}
          };
        };
    node =
        Node.start(
            new Node.Config(
                    home,
                    "ts-node",
                    "127.0.0.1",
                    0,
                    null,
                    -1,
                    tmuxDir.resolve("s"),
                    Duration.ofDays(7),
                    NodeSshServer.Settings.defaults()
                        .withShellApp(picker)
                        .withTailnetClients(ip -> ip.isLoopbackAddress()))
                .withTailscaleSocket(socket),
            warnings::add);

    Result r = ssh(noKey(), "127.0.0.2", node.sshAddress().getPort(), "-tt", "");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(tried.get(10, TimeUnit.SECONDS))
        .isEqualTo("your tailnet role is view; new needs control");
    assertThat(node.supervisor().list()).isEmpty();
  }

  // ---- the client ----

  private Path authorizedClientKey() throws IOException {
    Path key = dir.resolve("client").resolve("id_ed25519");
    KeyFiles.loadOrCreate(key, "test client");
    new AuthorizedKeys(home.authorizedKeys(), w -> {})
        .authorize(Files.readString(KeyFiles.publicKeyPath(key)));
    return key;
  }

  /** OpenSSH with no key at all: it can only try the none method. */
  private static List<String> noKey() {
    return List.of(
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityFile=/dev/null",
        "-o",
        "PubkeyAuthentication=no");
  }

  private static List<String> withKey(Path key) {
    return List.of("-o", "IdentitiesOnly=yes", "-i", key.toString());
  }

  record Result(int exit, String out, String err) {}

  /** OpenSSH's argv: no config, no host key prompts; options in {@code command} go first. */
  private static List<String> sshArgv(List<String> auth, String host, int port, String... command) {
    List<String> argv = new ArrayList<>();
    argv.addAll(
        List.of(
            "ssh",
            "-F",
            "/dev/null",
            "-p",
            String.valueOf(port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10"));
    argv.addAll(auth);
    List<String> rest = new ArrayList<>(List.of(command));
    // options given after the host would be the command's: keep leading -x words before it
    while (!rest.isEmpty() && rest.get(0).startsWith("-")) {
      String option = rest.remove(0);
      argv.add(option);
      if (!option.equals("-tt")) {
        argv.add(rest.remove(0));
      }
    }
    argv.add("alice@" + host);
    rest.removeIf(String::isEmpty);
    argv.addAll(rest);
    return argv;
  }

  private static Result ssh(List<String> auth, String host, int port, String... command)
      throws IOException, InterruptedException {
    List<String> argv = sshArgv(auth, host, port, command);
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread t = new Thread(() -> copy(p.getErrorStream(), err), "ssh-stderr");
    t.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    copy(p.getInputStream(), out);
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("ssh did not finish: " + argv);
    }
    t.join(5000);
    return new Result(
        p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try {
      in.transferTo(out);
    } catch (IOException e) {
      // the process ended; what was read is what there is
    }
  }
}
