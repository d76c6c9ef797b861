package dev.hack.node.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Descriptors really travel: what is written through a received descriptor arrives. */
class UnixSocketTest {
  @TempDir Path dir;

  @Test
  void aDescriptorSentOverTheSocketWorksOnTheOtherSide() throws Exception {
    UnixSocket[] control = UnixSocket.pair();
    UnixSocket[] carried = UnixSocket.pair();
    byte[] hello = "take this".getBytes(StandardCharsets.UTF_8);
    control[0].send(hello, 0, hello.length, carriedFd(carried[1]));
    carried[1].close(); // the sender's copy: the receiver's duplicate stays open

    byte[] buf = new byte[64];
    UnixSocket.Received r = control[1].receive(buf);
    assertThat(new String(buf, 0, r.length(), StandardCharsets.UTF_8)).isEqualTo("take this");
    assertThat(r.fds()).hasSize(1);

    try (UnixSocket received = UnixSocket.of(r.fds()[0])) {
      byte[] through = "through the received descriptor".getBytes(StandardCharsets.UTF_8);
      received.send(through, 0, through.length);
    }
    UnixSocket.Received got = carried[0].receive(buf);
    assertThat(new String(buf, 0, got.length(), StandardCharsets.UTF_8))
        .isEqualTo("through the received descriptor");
    assertThat(got.fds()).isEmpty();
    assertThat(carried[0].receive(buf).length()).isEqualTo(-1); // every copy closed: the end
    control[0].close();
    control[1].close();
    carried[0].close();
  }

  @Test
  void eachEndKnowsTheOthersUser() throws Exception {
    UnixSocket[] pair = UnixSocket.pair();
    try {
      assertThat(pair[0].peerUid()).isEqualTo(Posix.getuid());
      assertThat(pair[1].peerUid()).isEqualTo(Posix.getuid());
    } finally {
      pair[0].close();
      pair[1].close();
    }
    Path path = dir.resolve("u.sock");
    try (UnixSocket server = UnixSocket.listen(path, 4);
        UnixSocket client = UnixSocket.connect(path);
        UnixSocket accepted = server.accept()) {
      assertThat(accepted.peerUid()).isEqualTo(Posix.getuid());
      assertThat(client.peerUid()).isEqualTo(Posix.getuid());
    }
  }

  @Test
  void aListeningSocketAcceptsAndTheEndIsSeen() throws Exception {
    Path path = dir.resolve("k.sock");
    try (UnixSocket server = UnixSocket.listen(path, 4);
        UnixSocket client = UnixSocket.connect(path);
        UnixSocket accepted = server.accept()) {
      byte[] b = "hi".getBytes(StandardCharsets.UTF_8);
      client.send(b, 0, b.length);
      client.shutdownOutput();
      byte[] buf = new byte[8];
      assertThat(accepted.receive(buf).length()).isEqualTo(2);
      assertThat(accepted.receive(buf).length()).isEqualTo(-1);
    }
  }

  @Test
  void everyDescriptorItOpensOrReceivesIsCloseOnExec() throws Exception {
    // so that no program a keeper or node starts inherits a socket or another session's terminal
    Path path = dir.resolve("c.sock");
    UnixSocket[] pair = UnixSocket.pair();
    try (UnixSocket server = UnixSocket.listen(path, 4);
        UnixSocket client = UnixSocket.connect(path);
        UnixSocket accepted = server.accept()) {
      for (UnixSocket s : new UnixSocket[] {server, client, accepted, pair[0], pair[1]}) {
        assertThat(closeOnExec(carriedFd(s))).isTrue();
      }
      byte[] b = {42};
      client.send(b, 0, 1, carriedFd(pair[1]));
      UnixSocket.Received r = accepted.receive(new byte[4]);
      assertThat(r.fds()).hasSize(1);
      assertThat(closeOnExec(r.fds()[0])).isTrue();
      UnixSocket.closeFd(r.fds()[0]);
    } finally {
      pair[0].close();
      pair[1].close();
    }
  }

  private static boolean closeOnExec(int fd) {
    int flags = Variadic.C.fcntl(fd, Variadic.F_GETFD);
    assertThat(flags).isNotNegative();
    return (flags & Variadic.FD_CLOEXEC) != 0;
  }

  private static int carriedFd(UnixSocket s) throws Exception {
    java.lang.reflect.Field f = UnixSocket.class.getDeclaredField("fd");
    f.setAccessible(true);
    return f.getInt(s);
  }
}
