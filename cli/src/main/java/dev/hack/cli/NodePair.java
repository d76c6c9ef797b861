package dev.hack.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hack node pair NODE}: makes this machine's node and NODE peers of each other, explicitly:
 * each registers the other (name, id, address, host key) and lets the other's node log in with its
 * host key. Both sides are reached with your own key, so you must already be allowed on both. After
 * this, either node lists the other's sessions ({@code ls --all}) and checks its health.
 */
@Command(
    name = "pair",
    description =
        "Make this machine's node and NODE peers: each registers the other and lets its node in.",
    mixinStandardHelpOptions = true)
final class NodePair implements Callable<Integer> {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Parameters(paramLabel = "NODE", description = "a registered node (see: hack node list)")
  String node;

  @Option(
      names = "--address",
      paramLabel = "HOST[:PORT]",
      description =
          "how NODE reaches this machine's node (default: its tailnet address, else the address"
              + " it listens on)")
  String address;

  @Override
  public Integer call() throws Exception {
    Nodes nodes = new Nodes(HackHome.fromEnvironment());
    Nodes.Ref local = nodes.resolve(Nodes.LOCAL);
    Nodes.Ref remote = nodes.resolve(node);
    if (remote.local()) {
      throw new IllegalArgumentException(
          node + " is this machine's own node: pair it with another");
    }
    try (NodeClient here = nodes.connect(local);
        NodeClient there = nodes.connect(remote)) {
      JsonObject me = whoami(here, local.name());
      JsonObject them = whoami(there, remote.name());
      if (me.get("id").getAsString().equals(them.get("id").getAsString())) {
        throw new IllegalArgumentException(
            node + " is this machine's own node: pair it with another");
      }
      String myAddress = address != null ? withPort(address, me) : reachableAddress(me);
      String theirAddress = "ssh://" + remote.target().host() + ":" + remote.target().port();

      add(here, local.name(), remote.name(), theirAddress, them);
      add(there, remote.name(), me.get("name").getAsString(), "ssh://" + myAddress, me);
      System.out.println(
          "paired "
              + me.get("name").getAsString()
              + " (this machine, "
              + myAddress
              + ") with "
              + remote.name()
              + " ("
              + remote.target().host()
              + ":"
              + remote.target().port()
              + "); each now lists the other's sessions with: ls --all");
      return 0;
    }
  }

  private static JsonObject whoami(NodeClient c, String name) throws IOException {
    NodeClient.Result r = c.run("peer whoami", TIMEOUT);
    if (r.exit() != 0) {
      throw new IOException(
          name
              + " cannot pair (is it an older hack?): "
              + r.err().strip().replaceFirst("^hack: ", ""));
    }
    return JsonParser.parseString(r.out()).getAsJsonObject();
  }

  private static void add(NodeClient c, String where, String peerName, String url, JsonObject peer)
      throws IOException {
    List<String> words =
        new ArrayList<>(
            List.of(
                "peer",
                "add",
                peerName,
                url,
                "--id",
                peer.get("id").getAsString(),
                "--host-key",
                peer.get("host_key").getAsString(),
                "--authorize"));
    NodeClient.Result r = c.run(CommandLines.join(words), TIMEOUT);
    if (r.exit() != 0) {
      throw new IOException("on " + where + ": " + r.err().strip().replaceFirst("^hack: ", ""));
    }
  }

  /** The tailnet address when Tailscale is up, else the address the node listens on. */
  private static String reachableAddress(JsonObject me) {
    JsonObject ssh = me.getAsJsonObject("ssh");
    int port = ssh.get("port").getAsInt();
    if (me.has("tailscale") && me.get("tailscale").isJsonObject()) {
      JsonObject ts = me.getAsJsonObject("tailscale");
      if (ts.has("ip") && !ts.get("ip").isJsonNull()) {
        return ts.get("ip").getAsString() + ":" + port;
      }
    }
    String host = ssh.get("host").getAsString();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      throw new IllegalArgumentException(
          "this node listens on every address; say which one the other node should use:"
              + " --address HOST[:PORT]");
    }
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** {@code HOST}, {@code HOST:PORT}, {@code [V6]:PORT} or a bare IPv6 address, with a port. */
  private static String withPort(String address, JsonObject me) {
    int port = me.getAsJsonObject("ssh").get("port").getAsInt();
    String a = address.strip();
    boolean hasPort =
        a.startsWith("[") ? a.contains("]:") : a.chars().filter(ch -> ch == ':').count() == 1;
    String hostPort = hasPort ? a : (a.contains(":") ? "[" + a + "]" : a) + ":" + port;
    return RegisteredNode.SshEndpoint.parse("ssh://" + hostPort)
        .toString()
        .replaceFirst("^ssh://", "");
  }
}
