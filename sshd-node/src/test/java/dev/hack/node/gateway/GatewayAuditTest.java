package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.keys.HackHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log keeps a record of a flood of bad tokens without letting it fill the disk. */
class GatewayAuditTest {
  @TempDir Path dir;

  @Test
  void authFailuresAreLimitedPerSecondAndTheRestCounted() throws Exception {
    GatewayContext ctx =
        new GatewayContext(HackHome.at(dir), null, null, null, Instant.now(), 1024, 1024);
    AtomicLong now = new AtomicLong(5_000_000_000L);
    ctx.nanoClock = now::get;
    try {
      for (int i = 0; i < 500; i++) {
        ctx.audit("auth_failure", null, "10.0.0.9:1", "GET", "/v1/status", 401, "invalid_token");
      }
      // writes are never limited
      ctx.audit("request", null, "127.0.0.1:2", "POST", "/v1/sessions", 200, null);
      List<String> lines = lines();
      assertThat(lines.stream().filter(l -> l.contains("auth_failure")))
          .hasSize(GatewayContext.AUTH_FAILURES_PER_SECOND);
      assertThat(lines.get(lines.size() - 1)).contains("\"event\":\"request\"");

      now.addAndGet(1_000_000_000L); // the next second: the first line says how many were skipped
      ctx.audit("auth_failure", null, "10.0.0.9:1", "GET", "/v1/status", 401, "invalid_token");
      assertThat(lines().get(lines().size() - 1))
          .contains("\"suppressed\":" + (500 - GatewayContext.AUTH_FAILURES_PER_SECOND));
    } finally {
      ctx.close();
    }
  }

  private List<String> lines() throws Exception {
    return Files.readAllLines(dir.resolve("daemon/gateway/audit.jsonl"));
  }
}
