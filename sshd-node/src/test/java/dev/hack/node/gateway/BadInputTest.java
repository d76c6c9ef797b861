package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.testing.TestNode;
import dev.hack.node.testing.TestNode.Result;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input that used to be taken silently or cost far more than its size: a NUL, which cut a word
 * where the program was started ({@code echo a\0b} printed {@code a}), and a line of tens of
 * thousands of words, which cost picocli seconds of CPU and gigabytes. Both are refused with one
 * clear line at every door, and nothing starts.
 */
class BadInputTest {
  @TempDir Path dir;
  GatewayFixture g;

  @BeforeEach
  void start() throws Exception {
    g = new GatewayFixture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    g.close();
  }

  @Test
  void aNulIsRefusedAtEveryDoorAndNothingStarts() throws Exception {
    TestNode node = g.node;
    Result ssh = node.mina("new --name n1 -- echo 'a\0b'");
    assertThat(ssh.exit()).isEqualTo(2);
    assertThat(ssh.err()).contains("NUL");
    for (String body :
        List.of(
            "{\"id\":\"n2\",\"command\":[\"echo\",\"a\\u0000b\"]}",
            "{\"id\":\"n3\",\"command\":[\"echo\"],\"env\":{\"A\":\"x\\u0000y\"}}",
            "{\"id\":\"n4\",\"command\":[\"echo\"],\"cwd\":\"/tmp\\u0000x\"}")) {
      Reply r = g.post("/v1/sessions", g.write, body);
      assertThat(r.code()).as(body).isEqualTo(400);
      assertThat(r.json().get("message").getAsString()).as(body).contains("NUL");
    }
    assertThat(node.node().supervisor().list()).isEmpty();
  }

  @Test
  void controlCharactersInACommandAreShownAsEscapesNotSentToTheTerminal() throws Exception {
    TestNode node = g.node;
    Result made = node.mina("new --name esc -- echo 'x\u001b[2Jy\nz'");
    assertThat(made.exit()).as(made.err()).isZero();
    String ls = node.mina("ls").out();
    assertThat(ls).doesNotContain("\u001b").contains("echo x\\e[2Jy\\nz");
    assertThat(ls.lines().count()).isEqualTo(2); // the header and one row: no broken line
    assertThat(node.mina("ls --all").out()).doesNotContain("\u001b").contains("x\\e[2Jy\\nz");
    // the JSON view keeps the command as it is: JSON escapes it itself
    assertThat(node.mina("ls --json").out()).contains("x\\u001b[2Jy\\nz");
  }

  @Test
  void pathsJettyRefusesGetTheJsonErrorShapeNotAnHtmlPage() throws Exception {
    java.net.URI base = java.net.URI.create(g.url);
    for (String path : List.of("/v1/sessions/%00", "/v1/..%2fstatus", "//v1//status")) {
      try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
        s.getOutputStream()
            .write(
                ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String answer =
            new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(answer).as(path).startsWith("HTTP/1.1 4").contains("application/json");
        assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4))
            .as(path)
            .startsWith("{\"error\":")
            .doesNotContain("<html");
      }
    }
  }

  @Test
  void anUnknownLongPathIsNamedShortenedInItsError() throws Exception {
    Reply r = g.get("/v1/" + "A".repeat(7000), g.read);
    assertThat(r.code()).isEqualTo(404);
    assertThat(r.json().get("message").getAsString())
        .startsWith("no such endpoint: GET /v1/AAAA")
        .hasSizeLessThan(200);
  }

  @Test
  void aCommandLineOfTooManyWordsIsRefusedAtOnce() throws Exception {
    TestNode node = g.node;
    Result r = node.mina("ls " + "x ".repeat(20_000));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo("hack: too many words in the command line (20001; the limit is 1024)\n");
    assertThat(node.mina("ls").exit()).isZero();
  }
}
