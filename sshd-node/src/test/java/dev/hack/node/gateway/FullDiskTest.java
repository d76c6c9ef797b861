package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hack.node.gateway.GatewayFixture.Reply;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A read never fails because a write did: with {@code HACK_HOME} on a full disk (a small tmpfs
 * mounted for the test, filled up), the gateway still answers {@code GET}s. It answered 500 to
 * everything, {@code /v1/status} included, because verifying a token rewrote {@code tokens.json} to
 * note when it was last used.
 */
class FullDiskTest {
  private Path mount;

  @BeforeEach
  void mountATinyDisk() throws Exception {
    mount = Files.createTempDirectory(Path.of("/tmp"), "hack-fulldisk");
    Process m =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount.toString())
            .redirectErrorStream(true)
            .start();
    boolean mounted = m.waitFor(10, TimeUnit.SECONDS) && m.exitValue() == 0;
    assumeTrue(mounted, "mounting a tmpfs needs root (CI runs as root)");
  }

  @AfterEach
  void unmount() throws Exception {
    new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    Files.deleteIfExists(mount);
  }

  @Test
  void theGatewayAnswersReadsAndRefusesNewWorkClearlyOnAFullDisk() throws Exception {
    try (GatewayFixture g = new GatewayFixture(mount)) {
      assertThat(g.get("/v1/status", g.read).code()).isEqualTo(200); // before: fine
      Path filler = mount.resolve("filler");
      fill(filler);
      try {
        // write and admin were never used: verifying them wants to record their first use
        for (String token : new String[] {g.write, g.admin, g.read}) {
          Reply status = g.get("/v1/status", token);
          assertThat(status.code()).as(status.body()).isEqualTo(200);
          assertThat(g.get("/v1/sessions", token).code()).isEqualTo(200);
        }
        // nothing new starts on a disk that cannot hold its record and its log: 507, saying so
        Reply session = g.post("/v1/sessions", g.write, "{\"command\":[\"sh\"]}");
        assertThat(session.code()).as(session.body()).isEqualTo(507);
        assertThat(session.error()).isEqualTo("disk_full");
        assertThat(session.body()).contains("cannot start a session").contains("is full");
        Reply job = g.post(g.projectPath() + "/jobs", g.write, "{\"command\":[\"true\"]}");
        assertThat(job.code()).as(job.body()).isEqualTo(507);
        assertThat(job.body()).contains("cannot start a job");
      } finally {
        Files.deleteIfExists(filler);
      }
    }
  }

  private static void fill(Path filler) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left")) {
        throw e;
      }
    }
  }
}
