package dev.hack.node.mesh;

import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.Version;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark tool, not a command: one process holding many joins to one hub, as {@code
 * scripts/bench} uses it to load a hub (seed 004: a hub with 100 runners behind NAT).
 *
 * <p>{@code java -cp hack.jar dev.hack.node.mesh.JoinLoad HOME HUB_NAME COUNT TARGET_PORT} where
 * HOME is a {@code HACK_HOME} whose registry has HUB_NAME labelled {@code hub} (with its host key
 * in {@code known_hosts}) and whose user key may log in to the hub. Each of COUNT simulated nodes
 * gets its own host key, is admitted on the hub as {@code loadNNN} with the user key, and keeps its
 * own link, its tunnel ending at TARGET_PORT on loopback. Prints {@code TIME_MS CONNECTED} (epoch
 * milliseconds, links connected) on each change until stdin closes.
 */
public final class JoinLoad {
  private JoinLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: JoinLoad HOME HUB_NAME COUNT TARGET_PORT");
      System.exit(2);
    }
    HackHome home = HackHome.at(Path.of(args[0]));
    String hubName = args[1];
    int count = Integer.parseInt(args[2]);
    int targetPort = Integer.parseInt(args[3]);
    NodeRegistry registry = NodeRegistry.open(home);
    RegisteredNode hub = registry.find(hubName).orElseThrow();
    if (!hub.labels().contains(HubLinks.HUB_LABEL)) {
      List<String> labels = new ArrayList<>(hub.labels());
      labels.add(HubLinks.HUB_LABEL);
      registry.put(hub.withLabels(labels));
    }
    RegisteredNode.SshEndpoint at = hub.ssh().orElseThrow();
    List<KeyPair> keys = new ArrayList<>();
    try (NodeClient user =
        NodeClient.connect(
            new NodeClient.Target(hubName, at.host(), at.port()),
            KeyFiles.load(home.userKey()),
            (s, a, k) -> true, // a benchmark on loopback; hack node add recorded the key
            Duration.ofSeconds(10))) {
      for (int i = 0; i < count; i++) {
        KeyPair k = org.apache.sshd.common.config.keys.KeyUtils.generateKeyPair("ssh-ed25519", 256);
        keys.add(k);
        NodeClient.Result r =
            user.run(
                CommandLines.join(
                    List.of(
                        "peer",
                        "join",
                        name(i),
                        "--host-key",
                        KeyFiles.openSshLine(k.getPublic()),
                        "--id",
                        "node-" + name(i))),
                Duration.ofSeconds(10));
        if (r.exit() != 0) {
          throw new IOException("admitting " + name(i) + ": " + r.err().strip());
        }
      }
    }
    HubLinks.Options options = HubLinks.Options.defaults();
    List<HubLinks> links = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int n = i;
      HubLinks l =
          new HubLinks(
              home,
              keys.get(i),
              () -> new HubLinks.Self(name(n), "node-" + name(n), Version.get()),
              () -> new InetSocketAddress("127.0.0.1", targetPort),
              options);
      l.start();
      links.add(l);
    }
    Thread reporter =
        new Thread(
            () -> {
              int last = -1;
              while (!Thread.currentThread().isInterrupted()) {
                int up = 0;
                for (HubLinks l : links) {
                  for (HubLinks.LinkStatus s : l.status()) {
                    if (s.state().equals("connected")) {
                      up++;
                    }
                  }
                }
                if (up != last) {
                  System.out.println(System.currentTimeMillis() + " " + up);
                  System.out.flush();
                  last = up;
                }
                try {
                  Thread.sleep(5);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "join-load-report");
    reporter.setDaemon(true);
    reporter.start();
    while (System.in.read() >= 0) {
      // runs until stdin closes
    }
    reporter.interrupt();
    for (HubLinks l : links) {
      l.close();
    }
  }

  private static String name(int i) {
    return String.format("load%03d", i);
  }
}
