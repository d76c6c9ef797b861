package dev.hack.node.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import dev.hack.node.mesh.RegisteredNode.SshEndpoint;
import dev.hack.node.mesh.RegisteredNode.Tailscale;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeRegistryTest {
  @TempDir Path dir;

  private static final String RFC_EXAMPLE =
      """
      {
        "version": 1,
        "owner": "alice",
        "nodes": [
          {
            "id": "node-123",
            "name": "mac-mini",
            "labels": ["home", "arm64"],
            "capabilities": ["runtime", "gateway", "supervisor"],
            "tailscale": {
              "ip": "100.64.1.23",
              "hostname": "mac-mini.tailnet.ts.net",
              "tailnet": "example.ts.net"
            },
            "endpoints": {
              "hackd": "https://100.64.1.23:7788",
              "ssh": "ssh://100.64.1.23:2222",
              "metrics": {"port": 9100}
            },
            "last_seen": "2026-01-13T21:00:00Z",
            "status": "online",
            "version": "1.1.0",
            "notes": {"rack": 2}
          }
        ]
      }
      """;

  @Test
  void nodesRoundTripThroughTheFile() throws Exception {
    HackHome home = HackHome.at(dir);
    NodeRegistry registry = NodeRegistry.open(home);
    assertThat(registry.list()).isEmpty();
    assertThat(registry.defaultNode()).isEmpty();

    RegisteredNode mini =
        new RegisteredNode(
            "node-0a1b2c3d4e5f",
            "mac-mini",
            List.of("home", "arm64"),
            List.of("supervisor"),
            new Tailscale("100.64.1.23", "mac-mini.tailnet.ts.net"),
            Map.of("hackd", "http://100.64.1.23:7788", "ssh", "ssh://100.64.1.23"),
            Instant.parse("2026-01-13T21:00:00Z"),
            "online",
            "0.1.0");
    RegisteredNode v6 = RegisteredNode.of("lab-box", SshEndpoint.parse("ssh://[fd7a::1]:2200"));
    registry.put(mini);
    registry.put(v6);

    NodeRegistry other = NodeRegistry.open(home);
    assertThat(other.list())
        .extracting(RegisteredNode::name)
        .containsExactly("mac-mini", "lab-box");
    RegisteredNode read = other.find("mac-mini").orElseThrow();
    assertThat(read).isEqualTo(mini);
    assertThat(read.endpoints()).containsEntry("ssh", "ssh://100.64.1.23:2222");
    assertThat(read.ssh()).contains(new SshEndpoint("100.64.1.23", 2222));
    assertThat(other.find("node-0a1b2c3d4e5f")).contains(mini);
    assertThat(other.find("lab-box").orElseThrow().ssh())
        .contains(new SshEndpoint("fd7a::1", 2200));
    assertThat(other.find("nope")).isEmpty();

    JsonObject json = JsonParser.parseString(Files.readString(home.registry())).getAsJsonObject();
    assertThat(json.get("version").getAsInt()).isEqualTo(1);
    JsonObject node = json.getAsJsonArray("nodes").get(0).getAsJsonObject();
    assertThat(node.keySet())
        .containsExactly(
            "id",
            "name",
            "labels",
            "capabilities",
            "tailscale",
            "endpoints",
            "last_seen",
            "status",
            "version");
    assertThat(node.get("last_seen").getAsString()).isEqualTo("2026-01-13T21:00:00Z");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.registry())))
        .isEqualTo("rw-------");

    // replace by name
    registry.put(mini.withLabels(List.of("office")));
    assertThat(registry.list()).hasSize(2);
    assertThat(registry.find("mac-mini").orElseThrow().labels()).containsExactly("office");
  }

  @Test
  void unknownFieldsAreKeptOnRewrite() throws Exception {
    HackHome home = HackHome.at(dir);
    Files.createDirectories(home.registry().getParent());
    Files.writeString(home.registry(), RFC_EXAMPLE);
    NodeRegistry registry = NodeRegistry.open(home);

    RegisteredNode mini = registry.find("mac-mini").orElseThrow();
    assertThat(mini.id()).isEqualTo("node-123");
    assertThat(mini.hackd()).contains("https://100.64.1.23:7788");
    assertThat(mini.endpoints()).doesNotContainKey("metrics");

    registry.updateStatus("mac-mini", "offline", Instant.parse("2026-02-01T00:00:00Z"), "1.2.0");
    registry.put(mini.withEndpoint("hackd", null).withLabels(List.of("home")));
    registry.put(RegisteredNode.of("new-one", SshEndpoint.parse("ssh://new-one")));
    registry.setDefault("mac-mini");

    JsonObject json = JsonParser.parseString(Files.readString(home.registry())).getAsJsonObject();
    assertThat(json.get("owner").getAsString()).isEqualTo("alice");
    assertThat(json.get("default").getAsString()).isEqualTo("mac-mini");
    JsonObject node = json.getAsJsonArray("nodes").get(0).getAsJsonObject();
    assertThat(node.getAsJsonObject("notes").get("rack").getAsInt()).isEqualTo(2);
    assertThat(node.getAsJsonObject("tailscale").get("tailnet").getAsString())
        .isEqualTo("example.ts.net");
    JsonObject endpoints = node.getAsJsonObject("endpoints");
    assertThat(endpoints.getAsJsonObject("metrics").get("port").getAsInt()).isEqualTo(9100);
    assertThat(endpoints.has("hackd")).isFalse();
    assertThat(endpoints.get("ssh").getAsString()).isEqualTo("ssh://100.64.1.23:2222");
    // the put above was made from the node as read before updateStatus, so it wins
    assertThat(node.get("status").getAsString()).isEqualTo("online");
    assertThat(node.getAsJsonArray("labels")).hasSize(1);
  }

  @Test
  void updateStatusChangesOnlyTheStatusFields() throws Exception {
    NodeRegistry registry = NodeRegistry.open(HackHome.at(dir));
    RegisteredNode node = RegisteredNode.of("mini", SshEndpoint.parse("ssh://mini:2200"));
    registry.put(node);
    Instant seen = Instant.parse("2026-03-01T10:00:00Z");

    registry.updateStatus("mini", "online", seen, "0.2.0");

    assertThat(registry.find("mini")).contains(node.withStatus("online", seen, "0.2.0"));
    assertThatThrownBy(() -> registry.updateStatus("maxi", "online", seen, "0.2.0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"maxi\"");
  }

  @Test
  void defaultMustBeARegisteredNodeAndIsClearedWhenItIsRemoved() throws Exception {
    NodeRegistry registry = NodeRegistry.open(HackHome.at(dir));
    assertThatThrownBy(() -> registry.setDefault("mini"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no node named \"mini\" is registered; run hack node list to see the nodes");
    assertThat(Files.exists(HackHome.at(dir).registry())).isFalse();

    registry.put(RegisteredNode.of("mini", SshEndpoint.parse("ssh://mini")).withId("node-1"));
    registry.put(RegisteredNode.of("maxi", SshEndpoint.parse("ssh://maxi")));
    registry.setDefault("node-1");
    assertThat(registry.defaultNode()).contains("mini");
    registry.setDefault("maxi");
    assertThat(registry.defaultNode()).contains("maxi");

    assertThat(registry.remove("maxi")).isTrue();
    assertThat(registry.defaultNode()).isEmpty();
    assertThat(registry.remove("maxi")).isFalse();
    assertThat(registry.remove("node-1")).isTrue();
    assertThat(registry.list()).isEmpty();
  }

  @Test
  void concurrentPutsFromTwoRegistriesLoseNothing() throws Exception {
    HackHome home = HackHome.at(dir);
    int perWriter = 25;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        NodeRegistry registry = NodeRegistry.open(home);
        String prefix = "w" + w + "-";
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perWriter; i++) {
                    registry.put(RegisteredNode.of(prefix + i, new SshEndpoint("h" + i, 2222)));
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(NodeRegistry.open(home).list()).hasSize(2 * perWriter);
  }

  @Test
  void concurrentPutsFromAnotherProcessLoseNothing() throws Exception {
    HackHome home = HackHome.at(dir);
    int perWriter = 100;
    Path go = dir.resolve("go");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Writer.class.getName(),
                home.root().toString(),
                "child-",
                String.valueOf(perWriter),
                go.toString())
            .redirectError(dir.resolve("child.log").toFile())
            .start();
    try {
      // start both writers together: the child says when its JVM is up
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("ready");
      Files.createFile(go);
      NodeRegistry registry = NodeRegistry.open(home);
      // the child's JVM is cold and slower: start once it has begun, so the writes overlap
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (registry.find("child-0").isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      for (int i = 0; i < perWriter; i++) {
        registry.put(RegisteredNode.of("parent-" + i, new SshEndpoint("h" + i, 2222)));
      }
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as(Files.readString(dir.resolve("child.log"))).isZero();
    } finally {
      child.destroyForcibly();
    }
    List<String> names = NodeRegistry.open(home).list().stream().map(RegisteredNode::name).toList();
    assertThat(names).hasSize(2 * perWriter);
    assertThat(names).doesNotHaveDuplicates();
  }

  /** The other process of {@link #concurrentPutsFromAnotherProcessLoseNothing}. */
  static final class Writer {
    public static void main(String[] args) throws Exception {
      NodeRegistry registry = NodeRegistry.open(HackHome.at(Path.of(args[0])));
      System.out.println("ready");
      System.out.flush();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(Path.of(args[3])) && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      for (int i = 0; i < Integer.parseInt(args[2]); i++) {
        registry.put(RegisteredNode.of(args[1] + i, new SshEndpoint("h" + i, 2222)));
      }
    }
  }

  @Test
  void malformedFileIsReportedAndLeftUntouched() throws Exception {
    HackHome home = HackHome.at(dir);
    Files.createDirectories(home.registry().getParent());
    NodeRegistry registry = NodeRegistry.open(home);
    RegisteredNode node = RegisteredNode.of("mini", SshEndpoint.parse("ssh://mini"));

    for (String[] bad :
        new String[][] {
          {"{\"version\":1,\"nodes\":[", "is not valid JSON"},
          {"{\"version\":2,\"nodes\":[]}", "has version 2"},
          {"{\"nodes\":[]}", "has no \"version\""},
          {"[]", "is not a JSON object"},
          {"{\"version\":1,\"nodes\":{}}", "\"nodes\" that is not an array"},
          {"{\"version\":1,\"nodes\":[{\"name\":\"a b\"}]}", "node #1: invalid node name 'a b'"},
          {"{\"version\":1,\"nodes\":[{\"name\":\"a\",\"labels\":\"x\"}]}", "\"labels\""},
          {"{\"version\":1,\"nodes\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "used twice"},
        }) {
      Files.writeString(home.registry(), bad[0]);
      for (ThrowingCall call :
          List.<ThrowingCall>of(
              registry::list, () -> registry.put(node), () -> registry.setDefault("mini"))) {
        assertThatThrownBy(call::run)
            .as(bad[0])
            .isInstanceOf(IOException.class)
            .hasMessageContaining(home.registry().toString())
            .hasMessageContaining(bad[1]);
      }
      assertThat(Files.readString(home.registry())).isEqualTo(bad[0]);
    }
  }

  @Test
  void aFileThatIsNotUtf8IsReportedByNameAndLeftUntouched() throws Exception {
    // found by NodeRegistryFuzzTest: the IOException said only "Input length = 1"
    HackHome home = HackHome.at(dir);
    Files.createDirectories(home.registry().getParent());
    byte[] bytes = {'{', '"', 'x', '"', ':', '"', (byte) 0xff, '"', '}'};
    Files.write(home.registry(), bytes);
    NodeRegistry registry = NodeRegistry.open(home);
    assertThatThrownBy(registry::list)
        .isInstanceOf(IOException.class)
        .hasMessageContaining(home.registry().toString())
        .hasMessageContaining("is not UTF-8 text");
    assertThatThrownBy(() -> registry.put(RegisteredNode.of("mini", SshEndpoint.parse("ssh://m"))))
        .isInstanceOf(IOException.class);
    assertThat(Files.readAllBytes(home.registry())).isEqualTo(bytes);
  }

  private interface ThrowingCall {
    void run() throws Exception;
  }

  @Test
  void invalidValuesAreRejectedWithTheValue() {
    assertThatThrownBy(() -> RegisteredNode.of("mac mini", new SshEndpoint("h", 22)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'mac mini'");
    assertThatThrownBy(() -> RegisteredNode.of("x".repeat(65), new SshEndpoint("h", 22)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + "x".repeat(40) + "...'");
    assertThatThrownBy(() -> RegisteredNode.of("", new SshEndpoint("h", 22)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("''");
    for (String dots : List.of(".", "..", ".hidden", "-x")) {
      assertThatThrownBy(() -> RegisteredNode.of(dots, new SshEndpoint("h", 22)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("start with a letter or digit");
    }
    for (String uri :
        List.of(
            "http://mini:2222",
            "ssh://",
            "ssh://fd7a::1:2222",
            "ssh://[fd7a::1",
            "ssh://mini:0",
            "ssh://mini:99999",
            "ssh://mini:ab",
            "ssh://me@mini",
            "ssh://mini/path")) {
      assertThatThrownBy(() -> SshEndpoint.parse(uri))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"" + uri + "\"");
    }
    assertThatThrownBy(
            () ->
                new RegisteredNode(
                    null, "mini", null, null, null, Map.of("ssh", "mini:22"), null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"mini:22\"");
  }

  @Test
  void sshEndpointsParseWithTheDefaultPortAndIpv6InBrackets() {
    assertThat(SshEndpoint.parse("ssh://mini")).isEqualTo(new SshEndpoint("mini", 2222));
    assertThat(SshEndpoint.parse("ssh://mini:22/")).isEqualTo(new SshEndpoint("mini", 22));
    assertThat(SshEndpoint.parse("ssh://[fd7a:115c::1]"))
        .isEqualTo(new SshEndpoint("fd7a:115c::1", 2222));
    assertThat(SshEndpoint.parse("ssh://[::1]:2200").toString()).isEqualTo("ssh://[::1]:2200");
    assertThat(new SshEndpoint("100.64.1.23", 2222).toString()).isEqualTo("ssh://100.64.1.23:2222");
  }
}
