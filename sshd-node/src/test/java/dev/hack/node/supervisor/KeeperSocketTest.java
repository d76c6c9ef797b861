package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.platform.Posix;
import dev.hack.node.testing.Poll;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The keeper answers only its own user, even when its socket is reachable by others: the socket's
 * private directory is the first wall, the peer's uid the second.
 */
class KeeperSocketTest {
  @Test
  void aConnectionFromAnotherUserIsClosedUnansweredAndLogged() throws Exception {
    Assumptions.assumeTrue(Posix.getuid() == 0, "needs root, to connect as another user");
    Assumptions.assumeTrue(onPath("runuser") && onPath("python3"), "needs runuser and python3");
    // a directory anyone may enter, so that only the keeper's own check stands in the way
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "hack-keeper-uid");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path socket = dir.resolve("keeper.sock");
    Path log = dir.resolve("keeper.log");
    try {
      KeeperClient.connectOrStart(socket, log).close();
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));

      // nobody connects, says hello as a node would, and reads what comes back
      Process p =
          new ProcessBuilder(
                  "runuser",
                  "-u",
                  "nobody",
                  "--",
                  "python3",
                  "-c",
                  "import socket, sys\n"
                      + "s = socket.socket(socket.AF_UNIX)\n"
                      + "s.connect(sys.argv[1])\n"
                      + "hello = b'{\"type\":\"hello\",\"version\":1}'\n"
                      + "try:\n"
                      + "    s.sendall(len(hello).to_bytes(4, 'big') + hello)\n"
                      + "except OSError:\n"
                      + "    pass\n"
                      + "s.settimeout(10)\n"
                      + "try:\n"
                      + "    got = s.recv(100)\n"
                      + "except ConnectionResetError:\n"
                      + "    got = b''\n"
                      + "print('answered' if got else 'closed')\n",
                  socket.toString())
              .redirectErrorStream(true)
              .start();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(out.strip()).as(out).isEqualTo("closed");
      Poll.until(
          Duration.ofSeconds(10),
          "the keeper's log naming the refused uid",
          () -> Files.readString(log).contains("refused a connection from uid 65534"));

      // its own user is answered as before
      assertThat(KeeperControl.info(socket)).isPresent();
    } finally {
      KeeperControl.shutdown(socket);
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static boolean onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return true;
      }
    }
    return false;
  }
}
