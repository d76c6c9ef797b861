package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.gateway.Gateway;
import dev.hack.node.testing.TestNode;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node listens as sshd does, with room for 128 connections waiting to be accepted (a burst of
 * phones reconnecting after a network change), on SSH and on the gateway; MINA's and Jetty's
 * default is 50. Read from the kernel: {@code ss} shows a listening socket's backlog as its Send-Q.
 */
class ListenBacklogTest {
  @TempDir Path dir;

  @Test
  void sshAndTheGatewayListenWithSshdsBacklog() throws Exception {
    try (TestNode node = TestNode.withGateway(dir)) {
      assertThat(backlog(node.port())).isEqualTo(NodeSshServer.LISTEN_BACKLOG).isEqualTo(128);
      int gateway = URI.create(node.node().gatewayUrl()).getPort();
      assertThat(backlog(gateway)).isEqualTo(Gateway.LISTEN_BACKLOG);
    }
  }

  /** The backlog of the socket listening on {@code port}, as {@code ss -ltn} reports it. */
  private static int backlog(int port) throws Exception {
    TestNode.Result r =
        TestNode.run(List.of("ss", "-Hltn", "sport = :" + port)); // State Recv-Q Send-Q Local Peer
    assertThat(r.exit()).as(r.err()).isZero();
    String[] fields = r.out().strip().split("\\s+");
    assertThat(fields).as(r.out()).hasSizeGreaterThanOrEqualTo(4);
    return Integer.parseInt(fields[2]);
  }
}
