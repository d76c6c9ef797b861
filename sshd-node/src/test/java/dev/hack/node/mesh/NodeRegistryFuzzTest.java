package dev.hack.node.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Fuzzes the node registry reader (docs/fuzzing.md): any content of {@code registry/nodes.json}
 * either reads as a list of nodes that every method then works on, or makes every method throw an
 * IOException naming the file, and the file is then never rewritten. Nothing else is thrown.
 */
class NodeRegistryFuzzTest {
  private static final Path DIR = tempDir();

  @FuzzTest(maxDuration = "2m")
  void registry(byte[] input) throws IOException {
    Path file = DIR.resolve("nodes.json");
    Files.write(file, input);
    NodeRegistry registry = new NodeRegistry(file);
    RegisteredNode added =
        RegisteredNode.of("fuzz-added", new RegisteredNode.SshEndpoint("10.0.0.9", 2222));
    List<RegisteredNode> nodes;
    try {
      nodes = registry.list();
    } catch (IOException e) {
      assertThat(e.getMessage()).contains(file.toString());
      assertThatThrownBy(() -> registry.put(added)).isInstanceOf(IOException.class);
      assertThatThrownBy(() -> registry.remove("x")).isInstanceOf(IOException.class);
      assertThat(Files.readAllBytes(file)).isEqualTo(input);
      return;
    }
    registry.defaultNode();
    for (RegisteredNode n : nodes) {
      assertThat(registry.find(n.name())).isPresent();
    }
    registry.put(added);
    assertThat(registry.find("fuzz-added")).contains(added);
    registry.setDefault("fuzz-added");
    assertThat(registry.defaultNode()).contains("fuzz-added");
    registry.updateStatus("fuzz-added", "online", Instant.EPOCH, "0.1.0");
    // the rewritten file keeps every node that was there
    assertThat(registry.list()).hasSize(nodes.size() + (nodes.contains(added) ? 0 : 1));
    for (RegisteredNode n : nodes) {
      if (!n.name().equals("fuzz-added")) {
        assertThat(registry.find(n.name())).contains(n);
      }
    }
    assertThat(registry.remove("fuzz-added")).isTrue();
    assertThat(registry.defaultNode()).isEmpty();
  }

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("hack-fuzz-registry");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
