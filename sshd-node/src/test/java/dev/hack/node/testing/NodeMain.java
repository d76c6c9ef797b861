package dev.hack.node.testing;

import dev.hack.keys.HackHome;
import dev.hack.node.Node;
import dev.hack.node.NodeFailures;
import dev.hack.node.ssh.NodeSshServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A node in a JVM of its own, for tests that must kill it the hard way ({@link NodeProcess}). Args:
 * {@code HACK_HOME} and the tmux server socket; {@code -Dhack.test.keeper=true} has a keeper hold
 * the sessions' PTYs. Prints {@code ssh listening on HOST:PORT} on stdout when ready, then serves
 * until the JVM ends; SIGTERM closes the node as {@code hack node serve} would.
 */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: NodeMain HACK_HOME TMUX_SOCKET");
      System.exit(2);
    }
    NodeFailures.exitOnUncaught(); // as hack node serve does
    Node node =
        Node.start(
            new Node.Config(
                    HackHome.at(Path.of(args[0])),
                    "proc",
                    "127.0.0.1",
                    0,
                    null,
                    -1,
                    Path.of(args[1]),
                    Duration.ofDays(7),
                    new NodeSshServer.Settings(Duration.ofSeconds(15), 3))
                .withKeeper(Boolean.getBoolean("hack.test.keeper")),
            System.err::println);
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "node-shutdown"));
    InetSocketAddress ssh = node.sshAddress();
    System.out.println("ssh listening on " + ssh.getHostString() + ":" + ssh.getPort());
    System.out.flush();
    if (System.getProperty("hack.test.threadDies") != null) {
      // a node thread dying of an error nobody catches, as supervisor-poll once did
      Thread t =
          new Thread(
              () -> {
                throw new OutOfMemoryError("simulated by the test");
              },
              System.getProperty("hack.test.threadDies"));
      t.start();
    }
    new CountDownLatch(1).await(); // until the JVM is told to end
  }
}
