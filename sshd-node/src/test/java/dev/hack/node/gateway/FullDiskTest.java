package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.testing.TinyDisk;
import java.nio.file.Files;
import java.nio.file.Path;
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
  private TinyDisk disk;
  private Path mount;

  @BeforeEach
  void mountATinyDisk() throws Exception {
    disk = TinyDisk.mount(16);
    mount = disk.path();
  }

  @AfterEach
  void unmount() throws Exception {
    if (disk != null) {
      disk.close();
    }
  }

  @Test
  void theGatewayAnswersReadsAndRefusesNewWorkClearlyOnAFullDisk() throws Exception {
    try (GatewayFixture g = new GatewayFixture(mount)) {
      assertThat(g.get("/v1/status", g.read).code()).isEqualTo(200); // before: fine
      Path filler = mount.resolve("filler");
      TinyDisk.fill(filler);
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
}
