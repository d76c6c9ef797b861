package dev.hack.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hack node join HUB} and {@code hack node leave HUB}: this machine's node keeps an outbound
 * SSH connection to HUB with a remote port forward of its own SSH port, so HUB lists, starts and
 * attaches to its sessions even when nothing can connect to this machine (NAT, a firewall, a laptop
 * on hotel wifi). Both sides say yes explicitly, with your key: HUB lets this node's host key in
 * under its name, and this node lets HUB's node in through the tunnel.
 */
final class NodeJoin {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private NodeJoin() {}

  @Command(
      name = "join",
      description =
          "Join a hub: this machine's node keeps a tunnel to HUB, which reaches it through that"
              + " (behind NAT too) and lists its sessions with its own.",
      mixinStandardHelpOptions = true)
  static final class Join implements Callable<Integer> {
    @Parameters(
        paramLabel = "HUB",
        description = "a registered node (see: hack node list), or ssh://HOST[:PORT] to add it")
    String hub;

    @Option(
        names = "--wait",
        paramLabel = "DURATION",
        defaultValue = "20s",
        description = "how long to wait for the tunnel to come up, 0 not to (default: 20s)")
    String wait;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      Nodes nodes = new Nodes(home);
      Nodes.Ref local = localNode(nodes, home, "join");
      String hubName = hub;
      if (hub.startsWith("ssh://")) {
        hubName = registered(nodes, hub).orElse(null);
        if (hubName == null) {
          NodeAdmin.Add add = new NodeAdmin.Add();
          add.url = hub;
          int rc = add.call();
          if (rc != 0) {
            return rc;
          }
          hubName = registered(nodes, hub).orElseThrow();
        }
      }
      Nodes.Ref remote = nodes.resolve(hubName);
      if (remote.local()) {
        throw new IllegalArgumentException(hub + " is this machine's own node: join another one");
      }
      JsonObject me;
      try (NodeClient here = nodes.connect(local);
          NodeClient there = nodes.connect(remote)) {
        me = whoami(here, local.name());
        JsonObject them = whoami(there, remote.name());
        if (me.get("id").getAsString().equals(them.get("id").getAsString())) {
          throw new IllegalArgumentException(hub + " is this machine's own node: join another one");
        }
        String myName = me.get("name").getAsString();
        run(
            there,
            remote.name(),
            List.of(
                "peer",
                "join",
                myName,
                "--host-key",
                me.get("host_key").getAsString(),
                "--id",
                me.get("id").getAsString()));
        run(
            here,
            local.name(),
            List.of(
                "hub",
                "add",
                remote.name(),
                "ssh://" + remote.target().host() + ":" + remote.target().port(),
                "--host-key",
                them.get("host_key").getAsString(),
                "--id",
                them.get("id").getAsString()));
        Duration limit = NodeCommand.Durations.parse(wait);
        if (limit.isZero()) {
          System.out.println(
              myName
                  + " joins "
                  + remote.name()
                  + "; the node opens the tunnel within seconds (run this again to wait for it)");
          return 0;
        }
        System.err.println("hack: waiting for the tunnel to " + remote.name() + "...");
        long deadline = System.nanoTime() + limit.toNanos();
        JsonObject link = null;
        while (System.nanoTime() < deadline) {
          link = link(here, remote.name());
          if (link != null && "connected".equals(string(link, "state"))) {
            System.out.println(
                "joined "
                    + remote.name()
                    + " as "
                    + myName
                    + ": it reaches this node through the tunnel (port "
                    + link.get("tunnel_port").getAsInt()
                    + " on its loopback), and lists its sessions with: hack session list --all");
            return 0;
          }
          Thread.sleep(200);
        }
        String why = link == null ? null : string(link, "error");
        System.err.println(
            "hack: the tunnel to "
                + remote.name()
                + " is not up after "
                + limit.toSeconds()
                + " s"
                + (why == null ? "" : ": " + why)
                + "; the node keeps trying (run this again to wait for it)");
        return 1;
      }
    }
  }

  @Command(
      name = "leave",
      description = "Leave a hub: close the tunnel, stop letting its node in, and tell it so.",
      mixinStandardHelpOptions = true)
  static final class Leave implements Callable<Integer> {
    @Parameters(paramLabel = "HUB", description = "a hub this node joined")
    String hub;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      Nodes nodes = new Nodes(home);
      Nodes.Ref local = localNode(nodes, home, "leave");
      String myName;
      try (NodeClient here = nodes.connect(local)) {
        myName = whoami(here, local.name()).get("name").getAsString();
        run(here, local.name(), List.of("hub", "rm", hub));
      }
      // the hub forgets this node too; when it cannot be reached, it shows the node offline
      try (NodeClient there = nodes.connect(nodes.resolve(hub))) {
        NodeClient.Result r = there.run(CommandLines.join(List.of("peer", "rm", myName)), TIMEOUT);
        if (r.exit() != 0) {
          System.err.println(
              "hack: warning: "
                  + hub
                  + " kept this node: "
                  + r.err().strip().replaceFirst("^hack: ", ""));
        }
      } catch (IOException | IllegalArgumentException e) {
        System.err.println(
            "hack: warning: could not tell "
                + hub
                + " ("
                + e.getMessage()
                + "); there, run: hack node remove "
                + myName);
      }
      System.out.println("left " + hub + "; the tunnel is closed");
      return 0;
    }
  }

  /** This machine's node, which keeps the tunnel: it must be running. */
  private static Nodes.Ref localNode(Nodes nodes, HackHome home, String verb) throws IOException {
    return nodes
        .local()
        .orElseThrow(
            () ->
                new IOException(
                    "hack node "
                        + verb
                        + " is done by this machine's node, and none is running from "
                        + home.root()
                        + ": start it with: hack node serve"));
  }

  /** The registered node whose SSH endpoint is {@code url}, if any. */
  private static Optional<String> registered(Nodes nodes, String url) throws IOException {
    RegisteredNode.SshEndpoint at = RegisteredNode.SshEndpoint.parse(url);
    for (RegisteredNode n : nodes.registry().list()) {
      if (n.ssh().filter(at::equals).isPresent()) {
        return Optional.of(n.name());
      }
    }
    return Optional.empty();
  }

  private static JsonObject whoami(NodeClient c, String name) throws IOException {
    NodeClient.Result r = c.run("peer whoami", TIMEOUT);
    if (r.exit() != 0) {
      throw new IOException(
          name
              + " cannot join (is it an older hack?): "
              + r.err().strip().replaceFirst("^hack: ", ""));
    }
    return JsonParser.parseString(r.out()).getAsJsonObject();
  }

  private static void run(NodeClient c, String where, List<String> words) throws IOException {
    NodeClient.Result r = c.run(CommandLines.join(words), TIMEOUT);
    if (r.exit() != 0) {
      String why = r.err().strip().replaceFirst("^hack: ", "");
      if (r.exit() == 2 && (why.contains("Unknown") || why.contains("is not available"))) {
        throw new IOException(where + " is an older hack without hack node join: update it");
      }
      throw new IOException("on " + where + ": " + why);
    }
  }

  /** This node's link to {@code hub}, as {@code hub list --json} shows it, or null. */
  private static JsonObject link(NodeClient here, String hub) throws IOException {
    NodeClient.Result r = here.run("hub list --json", TIMEOUT);
    if (r.exit() != 0) {
      return null;
    }
    JsonArray links = JsonParser.parseString(r.out()).getAsJsonArray();
    for (JsonElement e : links) {
      JsonObject o = e.getAsJsonObject();
      if (hub.equals(string(o, "hub"))) {
        return o;
      }
    }
    return null;
  }

  private static String string(JsonObject o, String key) {
    return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : null;
  }
}
