package dev.hack.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingLogTest {
  @TempDir Path dir;

  @Test
  void rotatesBySizeKeepingTheNewestFilesAndNeverSplittingALine() throws Exception {
    Path file = dir.resolve("daemon/node.log");
    List<String> written = new ArrayList<>();
    try (PrintStream out =
        new PrintStream(new RotatingLog(file, 100, 3), true, StandardCharsets.UTF_8)) {
      for (int i = 0; i < 60; i++) {
        String line = String.format("line %02d %s", i, "x".repeat(i % 7));
        written.add(line);
        out.println(line);
      }
    }
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(dir.resolve("daemon")))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(dir.resolve("daemon/node.log.4")).doesNotExist(); // only 3 old files are kept
    List<String> kept = new ArrayList<>();
    for (Path p :
        List.of(
            dir.resolve("daemon/node.log.3"),
            dir.resolve("daemon/node.log.2"),
            dir.resolve("daemon/node.log.1"),
            file)) {
      assertThat(Files.size(p)).as(p.toString()).isLessThanOrEqualTo(100);
      String text = Files.readString(p);
      assertThat(text).as(p + " holds whole lines").endsWith("\n");
      kept.addAll(text.lines().toList());
    }
    // the kept files, oldest first, are the end of what was written, in order, with no gap
    assertThat(kept).isEqualTo(written.subList(written.size() - kept.size(), written.size()));
    assertThat(kept.size()).isGreaterThan(10);
  }

  @Test
  void appendsToWhatIsThereAndRotatesOnlyPastTheLimit() throws Exception {
    Path file = dir.resolve("node.log");
    Files.writeString(file, "written by the JVM before main\n");
    try (RotatingLog log = new RotatingLog(file, 1024, 5)) {
      log.write("from the node\n".getBytes(StandardCharsets.UTF_8));
    }
    assertThat(Files.readString(file)).isEqualTo("written by the JVM before main\nfrom the node\n");
    assertThat(dir.resolve("node.log.1")).doesNotExist();
  }

  @Test
  void aWriteAfterCloseFailsAndBadBoundsAreRefused() throws Exception {
    RotatingLog log = new RotatingLog(dir.resolve("node.log"), 1024, 5);
    log.close();
    log.close(); // idempotent
    assertThatThrownBy(() -> log.write(1)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> new RotatingLog(dir.resolve("x.log"), 0, 5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
