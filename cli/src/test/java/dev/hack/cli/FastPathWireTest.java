package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FastPathWireTest {
  @TempDir Path dir;

  private Path jar(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    try (OutputStream f = Files.newOutputStream(p);
        ZipOutputStream z = new ZipOutputStream(f)) {
      ZipEntry e = new ZipEntry("dev/hack/cli/Main.class");
      e.setTime(0);
      z.putNextEntry(e);
      z.write(content.getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
    return p;
  }

  @Test
  void copiesOfOneBuildAgreeAndAnotherBuildDiffers() throws IOException {
    String one = FastPathWire.buildId(jar("a.jar", "one").toString());
    assertThat(one).startsWith("jar-");
    assertThat(FastPathWire.buildId(jar("b.jar", "one").toString())).isEqualTo(one);
    assertThat(FastPathWire.buildId(jar("c.jar", "two").toString())).isNotEqualTo(one);
    Files.writeString(dir.resolve("d.jar"), "not a zip at all, just text");
    assertThat(FastPathWire.buildId(dir.resolve("d.jar").toString())).isNull();
    assertThat(FastPathWire.buildId(dir.resolve("missing.jar").toString())).isNull();
  }

  @Test
  void framesRoundTripAndOversizedOrEmptyOnesAreRefused() throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    FastPathWire.write(
        Channels.newChannel(sink), FastPathWire.REFUSE, FastPathWire.stringPayload("help ✓"));
    ByteBuffer f =
        FastPathWire.read(Channels.newChannel(new ByteArrayInputStream(sink.toByteArray())), 100);
    assertThat(f.get()).isEqualTo(FastPathWire.REFUSE);
    assertThat(FastPathWire.getString(f)).isEqualTo("help ✓");

    byte[] huge = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
    assertThatThrownBy(
            () -> FastPathWire.read(Channels.newChannel(new ByteArrayInputStream(huge)), 100))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("2147483647 bytes");
    byte[] empty = ByteBuffer.allocate(4).putInt(0).array();
    assertThatThrownBy(
            () -> FastPathWire.read(Channels.newChannel(new ByteArrayInputStream(empty)), 100))
        .isInstanceOf(IOException.class);
    byte[] cut = ByteBuffer.allocate(6).putInt(10).put((byte) 'Q').put((byte) 1).array();
    assertThatThrownBy(
            () -> FastPathWire.read(Channels.newChannel(new ByteArrayInputStream(cut)), 100))
        .isInstanceOf(java.io.EOFException.class);
  }

  @Test
  void aStringLongerThanItsFrameIsRefused() {
    ByteBuffer b = ByteBuffer.allocate(8).putInt(1000).putInt(0).flip();
    assertThatThrownBy(() -> FastPathWire.getString(b)).isInstanceOf(IOException.class);
  }

  @Test
  void onlyTheListingsAreOfferedToTheNode() {
    assertThat(FastPath.eligible(new String[] {"session", "list", "--json"})).isTrue();
    assertThat(FastPath.eligible(new String[] {"session", "ls"})).isTrue();
    assertThat(FastPath.eligible(new String[] {"node", "list"})).isTrue();
    assertThat(FastPath.eligible(new String[] {"project", "list", "--json"})).isTrue();
    assertThat(FastPath.eligible(new String[] {"session", "start"})).isFalse();
    assertThat(FastPath.eligible(new String[] {"node", "status"})).isFalse();
    assertThat(FastPath.eligible(new String[] {"job", "list"})).isFalse();
    assertThat(FastPath.eligible(new String[] {"session"})).isFalse();
    assertThat(FastPath.eligible(new String[0])).isFalse();
  }
}
