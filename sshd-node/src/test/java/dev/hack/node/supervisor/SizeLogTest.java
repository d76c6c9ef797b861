package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.api.PtySize;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sizes a session's output was written at, and the screen rebuilt with them. */
class SizeLogTest {
  @TempDir Path dir;

  @Test
  void aScreenRebuiltFromTheLogChangesSizeWhereTheTerminalDid() throws Exception {
    OutputLog log = OutputLog.open(dir.resolve("output.log"));
    SizeLog.append(dir, 0, new PtySize(10, 3));
    // written for 10x3: four lines on three rows scroll the first away
    write(log, "1\r\n2\r\n3\r\n4");
    // the terminal grew to 20x5 (the rows stay where they were); the program writes on row 4
    SizeLog.append(dir, log.end(), new PtySize(20, 5));
    write(log, "\u001b[4;1Hx");
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try {
      ScreenModel model = new ScreenModel("s", log, new PtySize(20, 5), executor);
      model.replay(SizeLog.read(dir));
      assertThat(model.lines()).containsExactly("2", "3", "4", "x", "");

      // without the sizes (a record from before they were kept): the last size throughout, and
      // the screen is not the one the program drew
      ScreenModel old = new ScreenModel("s", log, new PtySize(20, 5), executor);
      old.replay(List.of());
      assertThat(old.lines()).containsExactly("1", "2", "3", "x", "");
    } finally {
      executor.shutdownNow();
      log.close();
    }
  }

  @Test
  void aTornOrBadLineIsSkippedAndTheOthersCount() throws Exception {
    assertThat(SizeLog.read(dir)).isEmpty();
    Files.writeString(
        dir.resolve(SizeLog.FILE),
        "0 80 24\nnonsense\n-1 80 24\n10 0 5\n99 100000 30\n120 100 3",
        StandardCharsets.US_ASCII);
    assertThat(SizeLog.read(dir))
        .containsExactly(
            new SizeLog.Change(0, 80, 24),
            new SizeLog.Change(99, PtySize.orDefault(100000, 30).columns(), 30),
            new SizeLog.Change(120, 100, 3));
  }

  @Test
  void onlyTheFilesLastMibIsRead() throws Exception {
    StringBuilder many = new StringBuilder();
    long offset = 0;
    while (many.length() < 3 * SizeLog.MAX_READ) {
      many.append(offset++).append(" 80 24\n");
    }
    many.append(offset).append(" 100 30\n");
    Files.writeString(dir.resolve(SizeLog.FILE), many, StandardCharsets.US_ASCII);
    List<SizeLog.Change> read = SizeLog.read(dir);
    assertThat(read.get(read.size() - 1)).isEqualTo(new SizeLog.Change(offset, 100, 30));
    assertThat(read.size()).isLessThan((int) offset / 2);
    assertThat(read.get(0).offset()).isGreaterThan(offset / 2); // whole lines only
    assertThat(read.get(0).columns()).isEqualTo(80);
  }

  private static void write(OutputLog log, String s) throws Exception {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    log.append(b, 0, b.length);
  }
}
