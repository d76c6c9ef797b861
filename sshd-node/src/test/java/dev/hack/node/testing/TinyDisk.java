package dev.hack.node.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small real disk for full-disk tests: a tmpfs mounted under /tmp, which a test fills to the last
 * block. Mounting needs root (CI runs as root); elsewhere the test is skipped.
 */
public final class TinyDisk implements AutoCloseable {
  private final Path mount;

  private TinyDisk(Path mount) {
    this.mount = mount;
  }

  /** Mounts a tmpfs of {@code megabytes} MiB, or skips the test when that is not allowed. */
  public static TinyDisk mount(int megabytes) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "hack-fulldisk");
    Process m =
        new ProcessBuilder(
                "mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", dir.toString())
            .redirectErrorStream(true)
            .start();
    boolean mounted = m.waitFor(10, TimeUnit.SECONDS) && m.exitValue() == 0;
    if (!mounted) {
      Files.deleteIfExists(dir);
    }
    assumeTrue(mounted, "mounting a tmpfs needs root (CI runs as root)");
    return new TinyDisk(dir);
  }

  public Path path() {
    return mount;
  }

  /** Writes {@code file} until the disk says it is full. */
  public static void fill(Path file) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left")) {
        throw e;
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    Files.deleteIfExists(mount);
  }
}
