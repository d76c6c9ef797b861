package dev.hack.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.api.Json;
import dev.hack.node.client.NodeClient;
import dev.hack.node.mesh.Joins;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hack node add|list|status|use|remove}: the registry of nodes this user reaches. */
final class NodeAdmin {
  private NodeAdmin() {}

  /** Asks a node for {@code status --json}. */
  static JsonObject status(NodeClient c) throws IOException {
    NodeClient.Result r = c.run("status --json", Nodes.CONNECT_TIMEOUT);
    if (r.exit() != 0) {
      throw new IOException("status failed: " + r.err().strip());
    }
    return JsonParser.parseString(r.out()).getAsJsonObject();
  }

  @Command(
      name = "add",
      description =
          "Register a node: with no address, the one running here; with ssh://HOST[:PORT], a"
              + " remote one (its host key is recorded on first contact).",
      mixinStandardHelpOptions = true)
  static final class Add implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "name to use")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "ssh://HOST[:PORT]")
    String url;

    @Override
    public Integer call() throws Exception {
      if (url == null && name != null && name.startsWith("ssh://")) {
        url = name;
        name = null;
      }
      HackHome home = HackHome.fromEnvironment();
      Nodes nodes = new Nodes(home);
      NodeClient.Target target;
      boolean local = url == null;
      if (local) {
        target =
            LocalNode.target(home)
                .orElseThrow(
                    () ->
                        new IOException("no node is running here; start it with: hack node serve"));
      } else {
        RegisteredNode.SshEndpoint u = RegisteredNode.SshEndpoint.parse(url);
        target = new NodeClient.Target(name, u.host(), u.port());
      }
      AtomicReference<PublicKey> presented = new AtomicReference<>();
      KnownHosts known = nodes.knownHosts();
      NodeClient client;
      try {
        client =
            NodeClient.connect(
                target,
                LocalNode.userKey(home),
                (session, address, key) -> {
                  presented.set(key);
                  if (local && LocalNode.isOwnHostKey(home, key)) {
                    return true;
                  }
                  return Nodes.verdict(known, target.host(), target.port(), key)
                      != KnownHosts.Verdict.CHANGED;
                },
                Nodes.CONNECT_TIMEOUT);
      } catch (IOException e) {
        PublicKey key = presented.get();
        if (key != null
            && known.check(target.host(), target.port(), key) == KnownHosts.Verdict.CHANGED) {
          System.err.println(
              KnownHosts.changedKeyWarning(
                  target.host(),
                  target.port(),
                  known.lookup(target.host(), target.port()).orElse(key),
                  key,
                  home.knownHosts()));
          return 1;
        }
        if (e.getMessage() != null && e.getMessage().contains("refused your key")) {
          String pub =
              Files.readString(KeyFiles.publicKeyPath(home.userKey()), StandardCharsets.UTF_8)
                  .strip();
          throw new IOException(
              target
                  + " refused your key; on that node run: echo '"
                  + pub
                  + "' | hack keys authorize -");
        }
        throw e;
      }
      try (client) {
        PublicKey key = presented.get();
        if (known.check(target.host(), target.port(), key) == KnownHosts.Verdict.NEW) {
          known.remember(target.host(), target.port(), key);
          System.out.println(
              "recorded host key "
                  + KeyFiles.fingerprint(key)
                  + " for "
                  + new RegisteredNode.SshEndpoint(target.host(), target.port()));
        }
        JsonObject st = status(client);
        String nodeName = name != null ? name : st.get("name").getAsString();
        Map<String, String> endpoints = new LinkedHashMap<>();
        endpoints.put(
            "ssh", new RegisteredNode.SshEndpoint(target.host(), target.port()).toString());
        if (st.has("gateway") && st.get("gateway").isJsonObject()) {
          endpoints.put("hackd", st.getAsJsonObject("gateway").get("url").getAsString());
        }
        RegisteredNode node =
            new RegisteredNode(
                st.get("id").getAsString(),
                nodeName,
                List.of(),
                List.of("supervisor", "gateway"),
                null,
                endpoints,
                Instant.now(),
                "online",
                st.get("version").getAsString());
        if (st.has("tailscale") && st.get("tailscale").isJsonObject()) {
          JsonObject ts = st.getAsJsonObject("tailscale");
          String ip =
              ts.has("ip") && !ts.get("ip").isJsonNull() ? ts.get("ip").getAsString() : null;
          String host =
              ts.has("hostname") && !ts.get("hostname").isJsonNull()
                  ? ts.get("hostname").getAsString()
                  : null;
          if (ip != null || host != null) {
            node = node.withTailscale(new RegisteredNode.Tailscale(ip, host));
          }
        }
        nodes.registry().put(node);
        System.out.println(
            "added node " + nodeName + " (" + node.id() + ") at " + endpoints.get("ssh"));
        return 0;
      }
    }
  }

  @Command(name = "list", description = "Registered nodes.", mixinStandardHelpOptions = true)
  static final class ListCmd implements Callable<Integer> {
    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      NodeRegistry registry = NodeRegistry.open(HackHome.fromEnvironment());
      List<RegisteredNode> list = registry.list();
      Optional<String> chosen = registry.defaultNode();
      // picocli's writer, not System.out: the node's fast path runs this for other processes
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.GSON.toJson(list));
        return 0;
      }
      if (list.isEmpty()) {
        out.println("no nodes registered; add one with: hack node add [NAME] [ssh://HOST]");
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"", "NAME", "ID", "ADDRESS", "STATUS", "LAST SEEN", "VERSION"});
      for (RegisteredNode n : list) {
        rows.add(
            new String[] {
              chosen.map(d -> d.equals(n.name()) ? "*" : "").orElse(""),
              n.name(),
              n.id(),
              n.endpoints()
                  .getOrDefault(
                      "ssh", n.labels().contains(Joins.JOINED_LABEL) ? "(its tunnel is down)" : ""),
              n.status() == null ? "unknown" : n.status(),
              n.lastSeen() == null
                  ? "never"
                  : SessionCommand.ListCmd.age(n.lastSeen().toString()) + " ago",
              n.version() == null ? "" : n.version()
            });
      }
      out.print(Tables.render(rows));
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "status",
      description = "Reach a node (or every node) and show its state.",
      mixinStandardHelpOptions = true)
  static final class Status implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "NODE")
    String node;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Nodes nodes = new Nodes(HackHome.fromEnvironment());
      List<Nodes.Ref> refs = node != null ? List.of(nodes.resolve(node)) : nodes.all();
      List<Map<String, Object>> out = new ArrayList<>();
      int failures = 0;
      for (Nodes.Ref ref : refs) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", ref.name());
        row.put(
            "address",
            new RegisteredNode.SshEndpoint(ref.target().host(), ref.target().port()).toString());
        try (NodeClient c = nodes.connect(ref)) {
          JsonObject st = status(c);
          row.put("status", "online");
          row.put("id", st.get("id").getAsString());
          row.put("version", st.get("version").getAsString());
          row.put("sessions", st.get("sessions").getAsInt());
          row.put("last_seen", Instant.now().toString());
          if (!ref.local() || nodes.registry().find(ref.name()).isPresent()) {
            nodes
                .registry()
                .updateStatus(ref.name(), "online", Instant.now(), st.get("version").getAsString());
          }
        } catch (IOException e) {
          failures++;
          row.put("status", "offline");
          row.put("error", e.getMessage());
          nodes
              .registry()
              .find(ref.name())
              .ifPresent(
                  n -> {
                    row.put("last_seen", n.lastSeen() == null ? null : n.lastSeen().toString());
                  });
          if (nodes.registry().find(ref.name()).isPresent()) {
            RegisteredNode n = nodes.registry().find(ref.name()).get();
            nodes.registry().updateStatus(ref.name(), "offline", n.lastSeen(), n.version());
          }
        }
        out.add(row);
      }
      if (json) {
        System.out.println(Json.GSON.toJson(out));
      } else {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "STATUS", "SESSIONS", "VERSION", "LAST SEEN", "ADDRESS"});
        for (Map<String, Object> r : out) {
          Object seen = r.get("last_seen");
          rows.add(
              new String[] {
                String.valueOf(r.get("name")),
                "offline".equals(r.get("status")) ? "offline (" + r.get("error") + ")" : "online",
                r.containsKey("sessions") ? String.valueOf(r.get("sessions")) : "-",
                r.containsKey("version") ? String.valueOf(r.get("version")) : "-",
                seen == null ? "never" : SessionCommand.ListCmd.age(seen.toString()) + " ago",
                String.valueOf(r.get("address"))
              });
        }
        System.out.print(Tables.render(rows));
      }
      return failures == 0 ? 0 : 1;
    }
  }

  @Command(
      name = "use",
      description = "Make NODE the default for commands without --node or @NODE.",
      mixinStandardHelpOptions = true)
  static final class Use implements Callable<Integer> {
    @Parameters(paramLabel = "NODE")
    String node;

    @Override
    public Integer call() throws Exception {
      NodeRegistry.open(HackHome.fromEnvironment()).setDefault(node);
      System.out.println("default node: " + node);
      return 0;
    }
  }

  @Command(
      name = "remove",
      description = "Forget a node and its recorded host key.",
      mixinStandardHelpOptions = true)
  static final class Remove implements Callable<Integer> {
    @Parameters(paramLabel = "NODE")
    String node;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      NodeRegistry registry = NodeRegistry.open(home);
      Optional<RegisteredNode> n = registry.find(node);
      if (n.isEmpty()) {
        throw new IllegalArgumentException("no node named " + node + "; see: hack node list");
      }
      NodeClient.Target t = Nodes.targetOf(n.get());
      registry.remove(node);
      new KnownHosts(home.knownHosts()).forget(t.host(), t.port());
      System.out.println("removed node " + n.get().name());
      return 0;
    }
  }
}
