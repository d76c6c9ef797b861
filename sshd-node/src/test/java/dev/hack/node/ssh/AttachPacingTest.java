package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.testing.Poll;
import dev.hack.node.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pacing, end to end with OpenSSH clients: an attached client that keeps reading is sent every byte
 * of a stream far larger than the 4 MiB after which a client is skipped ahead, because the program
 * waits for it as under sshd; a client that stops reading holds nobody back for long.
 */
class AttachPacingTest {
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dir;
  TestNode node;
  final List<Client> clients = new ArrayList<>();
  String expected; // the stream's text, as the program prints it (LF line ends)
  Path stream;

  @BeforeEach
  void start() throws Exception {
    node = TestNode.start(dir);
    // 16 MiB of base64 lines: four times the lag after which a client gets a fresh screen
    byte[] random = new byte[12 << 20];
    new Random(14).nextBytes(random);
    expected = Base64.getMimeEncoder(76, new byte[] {'\n'}).encodeToString(random) + "\n"; // ASCII
    stream = dir.resolve("stream.txt");
    Files.writeString(stream, expected, StandardCharsets.US_ASCII);
  }

  @AfterEach
  void stop() throws Exception {
    for (Client c : clients) {
      c.close();
    }
    node.close();
  }

  /** An OpenSSH client with a remote terminal, on pipes: the test types and reads. */
  final class Client implements AutoCloseable {
    final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Thread reader;
    private final long pauseAfter; // stop reading once this many bytes arrived, until resumed
    private final long delayMillis; // between reads: a slow but steady reader
    private boolean resumed; // guarded by this
    private boolean ended; // guarded by this

    Client(long pauseAfter, long delayMillis, String... remote) throws IOException {
      this.pauseAfter = pauseAfter;
      this.delayMillis = delayMillis;
      List<String> argv = new ArrayList<>(node.sshArgv("-tt", "127.0.0.1"));
      argv.addAll(List.of(remote));
      process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      reader = new Thread(this::read, "test-ssh-reader");
      reader.start();
      clients.add(this);
    }

    private void read() {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = process.getInputStream()) {
        while (true) {
          synchronized (this) {
            while (out.size() >= pauseAfter && !resumed) {
              wait();
            }
          }
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          synchronized (this) {
            out.write(buf, 0, n);
          }
          if (delayMillis > 0) {
            Thread.sleep(delayMillis);
          }
        }
      } catch (IOException | InterruptedException e) {
        // the test ended it
      }
      synchronized (this) {
        ended = true;
      }
    }

    void type(String s) throws IOException {
      process.getOutputStream().write(s.getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush(); // stdin stays open: EOF could end the attach
    }

    synchronized void resume() {
      resumed = true;
      notifyAll();
    }

    synchronized boolean ended() {
      return ended;
    }

    synchronized long received() {
      return out.size();
    }

    /** What arrived, as text without the terminal's CRs. */
    synchronized String text() {
      return out.toString(StandardCharsets.ISO_8859_1).replace("\r", "");
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly().waitFor();
      reader.interrupt();
      reader.join(10_000);
    }
  }

  /**
   * A session that prints the stream between two marker lines once it reads a line (the markers
   * have dashes, which base64 never does).
   */
  private void gatedSession(String id) throws IOException {
    TestNode.Result r =
        node.mina(
            "new --name "
                + id
                + " -- sh -c 'stty -echo; read x; echo --begin--; cat "
                + stream
                + "; echo --end--'");
    assertThat(r.exit()).as(r.err()).isZero();
  }

  private void attached(int n) throws Exception {
    Poll.until(
        WAIT, n + " attached", () -> node.mina("ls --json").out().contains("\"attached\":" + n));
  }

  /** What the program printed between its marker lines in {@code text}, or null. */
  private static String between(String text) {
    int from = text.indexOf("--begin--\n");
    int to = text.indexOf("--end--\n");
    return from < 0 || to < from ? null : text.substring(from + "--begin--\n".length(), to);
  }

  private String logText(String id) throws IOException {
    return Files.readString(
            node.node().supervisor().get(id).log().file(), StandardCharsets.ISO_8859_1)
        .replace("\r", "");
  }

  private boolean exited(String id) {
    return !node.node().supervisor().get(id).isRunning();
  }

  @Test
  void aClientThatKeepsReadingSlowlyIsSentEveryByteOfAStreamFarLargerThanTheSkipAhead()
      throws Exception {
    gatedSession("big");
    Client slow = new Client(Long.MAX_VALUE, 2, "attach", "big");
    attached(1);
    slow.type("\n");
    Poll.until(WAIT, "the stream to end", slow::ended);
    assertThat(between(slow.text())).as("every byte, in order").isEqualTo(expected);
    assertThat(slow.text()).endsWith("[session big exited with code 0]\n");
    assertThat(between(logText("big"))).as("and the log has it all").isEqualTo(expected);
  }

  @Test
  void newAttachShowsTheProgramsOutputFromItsFirstByte() throws Exception {
    // no gate: the program prints at once, before the attach is set up; under 4 MiB, so the
    // client is never skipped ahead, whatever the machine's load
    StringBuilder seq = new StringBuilder();
    for (int i = 1; i <= 300_000; i++) {
      seq.append(i).append('\n');
    }
    Client c =
        new Client(
            Long.MAX_VALUE, 0, "new", "--attach", "--name", "seq", "--", "seq", "1", "300000");
    Poll.until(WAIT, "the program to end", c::ended);
    assertThat(c.text()).startsWith(seq.toString());
    assertThat(c.text()).endsWith("[session seq exited with code 0]\n");
  }

  @Test
  void aClientThatStopsReadingHoldsNeitherTheProgramNorTheClientThatPacesIt() throws Exception {
    gatedSession("two");
    Client stalled = new Client(0, 0, "attach", "two"); // reads nothing until resumed
    attached(1);
    Client pacer = new Client(Long.MAX_VALUE, 0, "attach", "two");
    attached(2);
    pacer.type("\n"); // it typed last (and attached last): it paces

    Poll.until(WAIT, "the program to end while a client reads nothing", () -> exited("two"));
    Poll.until(WAIT, "the pacer's stream to end", pacer::ended);
    assertThat(between(pacer.text())).as("every byte to the pacer").isEqualTo(expected);
    assertThat(stalled.received()).isZero();

    // the stalled client takes output again: skipped ahead to a fresh screen, then the end
    stalled.resume();
    Poll.until(WAIT, "the stalled client's stream to end", stalled::ended);
    assertThat(stalled.text()).endsWith("[session two exited with code 0]\n");
    assertThat(stalled.received()).isLessThan(expected.length());
    assertThat(stalled.text()).contains("--end--");
  }

  @Test
  void aPacingClientThatStopsReadingStopsPacingSoTheProgramCompletes() throws Exception {
    gatedSession("held");
    Client pacer = new Client(1 << 20, 0, "attach", "held"); // stops after 1 MiB
    attached(1);
    pacer.type("\n");
    Poll.until(WAIT, "it to stop reading", () -> pacer.received() >= 1 << 20);

    Poll.until(WAIT, "the program to end without its pacer", () -> exited("held"));
    assertThat(between(logText("held"))).as("the log has every byte").isEqualTo(expected);

    pacer.resume(); // it reads again: a fresh screen, then the end
    Poll.until(WAIT, "its stream to end", pacer::ended);
    assertThat(pacer.text()).endsWith("[session held exited with code 0]\n");
    assertThat(pacer.text()).contains("--end--");
    assertThat(pacer.received()).isLessThan(expected.length());
  }
}
