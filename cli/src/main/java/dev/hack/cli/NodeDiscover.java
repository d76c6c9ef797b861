package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.RegisteredNode;
import dev.hack.node.mesh.tailscale.LocalApiClient;
import dev.hack.node.mesh.tailscale.TailnetNode;
import dev.hack.node.mesh.tailscale.TailscaleState;
import dev.hack.node.mesh.tailscale.TailscaleStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hack node discover}: the online peers of this machine's tailnet (from Tailscale's
 * LocalAPI) that run a hack node, found by reading the SSH banner on their hack port in parallel.
 * With {@code --add} or {@code --all} it registers them as {@code hack node add} does (host key
 * recorded, status read), with their tailnet address and name.
 */
@Command(
    name = "discover",
    description =
        "Find the hack nodes on your tailnet (Tailscale) and, with --add or --all, register them.",
    mixinStandardHelpOptions = true)
final class NodeDiscover implements Callable<Integer> {
  @Option(
      names = "--port",
      paramLabel = "N",
      defaultValue = "2222",
      description = "the port hack nodes listen on (default: ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "2s",
      description = "how long to wait for each peer (default: ${DEFAULT-VALUE})")
  String timeout;

  @Option(
      names = "--add",
      paramLabel = "NAME",
      split = ",",
      description = "register these nodes (their tailnet host names)")
  List<String> add = new ArrayList<>();

  @Option(names = "--all", description = "register every hack node found")
  boolean all;

  @Option(names = "--json", description = "JSON for scripts")
  boolean json;

  /** One tailnet peer and what its hack port said. */
  record Found(
      String name, String dnsName, String address, String os, boolean hack, String banner) {}

  @Override
  public Integer call() throws Exception {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("--port must be in 1..65535, not " + port);
    }
    Duration limit = NodeCommand.Durations.parse(timeout);
    TailscaleStatus status;
    try (LocalApiClient ts = LocalApiClient.fromEnvironment()) {
      status = ts.status();
    }
    if (status.state().status() != TailscaleState.Status.RUNNING) {
      System.err.println(
          "hack: tailscale is "
              + status.state().status().wire()
              + ": "
              + status.state().message()
              + "; add nodes by address instead: hack node add NAME ssh://HOST[:PORT]");
      return 1;
    }
    List<TailnetNode> peers = status.onlinePeers();
    List<Found> found = probeAll(peers, limit);
    if (json) {
      System.out.println(Json.GSON.toJson(found));
    } else if (found.isEmpty()) {
      System.out.println("no online peers on your tailnet");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"PEER", "ADDRESS", "OS", "HACK NODE", "DNS NAME"});
      for (Found f : found) {
        rows.add(
            new String[] {
              f.name(),
              f.address(),
              f.os(),
              f.hack() ? "yes (" + f.banner() + ")" : "no",
              f.dnsName()
            });
      }
      System.out.print(Tables.render(rows));
    }
    if (!all && add.isEmpty()) {
      if (!json && found.stream().anyMatch(Found::hack)) {
        System.out.println("register them with: hack node discover --all (or --add NAME)");
      }
      return 0;
    }
    Set<String> wanted = Set.copyOf(add);
    for (String w : wanted) {
      if (found.stream().noneMatch(f -> f.hack() && f.name().equals(w))) {
        throw new IllegalArgumentException(
            "no hack node named " + w + " was found on your tailnet (see: hack node discover)");
      }
    }
    int failures = 0;
    for (Found f : found) {
      if (!f.hack() || !(all || wanted.contains(f.name()))) {
        continue;
      }
      NodeAdmin.Add a = new NodeAdmin.Add();
      a.name = f.name();
      a.url = "ssh://" + hostForUri(f.address()) + ":" + port;
      int code = a.call();
      if (code != 0) {
        failures++;
        continue;
      }
      NodeRegistry registry = NodeRegistry.open(HackHome.fromEnvironment());
      registry
          .find(f.name())
          .ifPresent(
              n -> {
                try {
                  registry.put(
                      n.withTailscale(new RegisteredNode.Tailscale(f.address(), f.dnsName())));
                } catch (IOException e) {
                  System.err.println("hack: recording " + f.name() + "'s tailnet address: " + e);
                }
              });
    }
    return failures == 0 ? 0 : 1;
  }

  private static String hostForUri(String ip) {
    return ip.contains(":") ? "[" + ip + "]" : ip;
  }

  private List<Found> probeAll(List<TailnetNode> peers, Duration limit)
      throws InterruptedException {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(peers.size(), 16)),
            r -> {
              Thread t = new Thread(r, "discover");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<Found>> futures = new ArrayList<>();
      for (TailnetNode p : peers) {
        futures.add(pool.submit(() -> probe(p, limit)));
      }
      List<Found> out = new ArrayList<>();
      for (int i = 0; i < peers.size(); i++) {
        TailnetNode p = peers.get(i);
        try {
          out.add(futures.get(i).get(limit.toMillis() * 2 + 500, TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          out.add(found(p, false, "no answer"));
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private Found probe(TailnetNode p, Duration limit) {
    String ip = p.ipv4().or(p::ipv6).orElse(null);
    if (ip == null) {
      return found(p, false, "no address");
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, port), (int) limit.toMillis());
      s.setSoTimeout((int) limit.toMillis());
      String banner = firstLine(s.getInputStream());
      // RFC 4253: the server's identification string; hack's reads SSH-2.0-hack_VERSION
      if (banner.startsWith("SSH-2.0-hack_")) {
        return found(p, true, "hack " + banner.substring("SSH-2.0-hack_".length()));
      }
      return found(p, false, banner.startsWith("SSH-") ? banner : "not SSH");
    } catch (IOException e) {
      return found(p, false, "port " + port + " closed");
    }
  }

  private static String firstLine(InputStream in) throws IOException {
    byte[] buf = new byte[255];
    int n = 0;
    while (n < buf.length) {
      int b = in.read();
      if (b < 0 || b == '\n') {
        break;
      }
      buf[n++] = (byte) b;
    }
    return new String(buf, 0, n, StandardCharsets.US_ASCII).strip();
  }

  private static Found found(TailnetNode p, boolean hack, String banner) {
    String ip = p.ipv4().or(p::ipv6).orElse("-");
    String host = p.hostName() != null ? p.hostName() : p.name();
    return new Found(
        host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-"),
        p.dnsName(),
        ip,
        p.os() == null ? "-" : p.os(),
        hack,
        banner);
  }
}
