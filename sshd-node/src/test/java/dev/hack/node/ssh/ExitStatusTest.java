package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command ends with its exit status, even through an OpenSSH ControlMaster with {@code -n},
 * whose client answers EOF with CLOSE at once: the node sends {@code exit-status} before EOF, as
 * sshd does. Before, about 1 command in 1,800 ended with 255 and no message.
 */
class ExitStatusTest {
  private static final int COMMANDS = 2000;
  @TempDir Path dir;
  TestNode node;
  Path control;
  Process master;

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
    control = Files.createTempDirectory(Path.of("/tmp"), "mux").resolve("S");
    master =
        new ProcessBuilder(
                node.sshArgv(
                    "-o", "ControlMaster=yes", "-o", "ControlPath=" + control, "-N", "127.0.0.1"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    Poll.until(TestNode.TIMEOUT, "the master's control socket", () -> Files.exists(control));
  }

  @AfterEach
  void stop() throws Exception {
    master.destroy();
    master.waitFor(5, TimeUnit.SECONDS);
    node.close();
  }

  @Test
  void thousandsOfMultiplexedCommandsAllEndWithTheirExitStatus() throws Exception {
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    for (int i = 0; i < COMMANDS; i++) {
      boolean ok = i % 2 == 0; // status exits 0, an unknown command 2
      String command = ok ? "status" : "frobnicate";
      pool.execute(
          () -> {
            try {
              List<String> argv =
                  new ArrayList<>(
                      node.sshArgv("-n", "-o", "ControlPath=" + control, "127.0.0.1", command));
              Process p =
                  new ProcessBuilder(argv)
                      .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                      .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                      .start();
              String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
              int exit = p.waitFor();
              if (exit != (ok ? 0 : 2)) {
                wrong.add(command + " exited " + exit + ": " + err.strip());
              }
            } catch (Exception e) {
              wrong.add(command + ": " + e);
            }
          });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(5, TimeUnit.MINUTES)).isTrue();
    assertThat(wrong).isEmpty();
  }
}
