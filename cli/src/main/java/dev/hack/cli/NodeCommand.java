package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.Node;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.ssh.NodeSshServer;
import dev.hack.tui.PickerApp;
import dev.hack.tui.TuiOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hack node ...}. */
@Command(
    name = "node",
    description = "Run and manage nodes.",
    mixinStandardHelpOptions = true,
    subcommands = {
      NodeCommand.Serve.class,
      NodeAdmin.Add.class,
      NodeAdmin.ListCmd.class,
      NodeAdmin.Status.class,
      NodeAdmin.Use.class,
      NodeAdmin.Remove.class,
      NodeDiscover.class,
      NodePair.class,
      NodeJoin.Join.class,
      NodeJoin.Leave.class
    })
final class NodeCommand {
  @Command(
      name = "serve",
      description = "Run this machine's node in the foreground (SSH server, gateway, sessions).",
      mixinStandardHelpOptions = true)
  static final class Serve implements Callable<Integer> {
    @Option(
        names = "--bind",
        paramLabel = "ADDR",
        defaultValue = "127.0.0.1",
        description = "address to listen on (default: ${DEFAULT-VALUE})")
    String bind;

    @Option(
        names = "--ssh-port",
        paramLabel = "N",
        defaultValue = "2222",
        description = "SSH port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int sshPort;

    @Option(
        names = "--gateway-port",
        paramLabel = "N",
        defaultValue = "7788",
        description =
            "gateway port; 0 picks a free one, -1 turns it off (default: ${DEFAULT-VALUE})")
    int gatewayPort;

    @Option(
        names = "--gateway-bind",
        paramLabel = "ADDR",
        description =
            "gateway address (default: controlPlane.gateway.bind from config, else 127.0.0.1)")
    String gatewayBind;

    @Option(names = "--name", paramLabel = "NAME", description = "node name (default: host name)")
    String name;

    @Option(
        names = "--tmux-socket",
        paramLabel = "PATH",
        description = "tmux server socket (default: your default tmux server)")
    Path tmuxSocket;

    @Option(
        names = "--retention",
        paramLabel = "DURATION",
        defaultValue = "7d",
        description =
            "how long ended sessions stay listed, e.g. 7d, 12h (default: ${DEFAULT-VALUE})")
    String retention;

    @Option(
        names = "--keepalive",
        paramLabel = "DURATION",
        defaultValue = "15s",
        description =
            "SSH keepalive interval; 3 unanswered drop the client (default: ${DEFAULT-VALUE})")
    String keepAlive;

    @Option(
        names = "--keeper",
        description =
            "experimental: a keeper process holds the sessions' terminals, so that their programs"
                + " outlive this node (a crash, a restart, an upgrade; see docs/durability.md)")
    boolean keeper;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      ConfigFile configFile = new ConfigFile(home.config());
      String gatewayHost = gatewayBind;
      if (gatewayHost == null) {
        gatewayHost =
            configFile
                .get("controlPlane.gateway.bind")
                .map(e -> e.getAsString())
                .orElse("127.0.0.1");
      }
      // a bare `ssh -t NODE` gets the session picker; colour follows each client's TERM/NO_COLOR
      PickerApp picker =
          new PickerApp(TuiOptions.defaults().withMouse(configFile.getBoolean("tui.mouse", true)));
      Node.Config config =
          new Node.Config(
                  home,
                  name,
                  bind,
                  sshPort,
                  gatewayHost,
                  gatewayPort,
                  tmuxSocket,
                  Durations.parse(retention),
                  new NodeSshServer.Settings(Durations.parse(keepAlive), 3).withShellApp(picker))
              .withKeeper(keeper);
      // a thread that dies of an uncaught error ends the node instead of leaving it half alive
      dev.hack.node.NodeFailures.exitOnUncaught();
      Node node = Node.start(config, w -> System.err.println("hack: warning: " + w));
      // hack commands on this machine may hand their listings to this node (FastPath); started
      // after the node holds its home, so a socket left there is stale
      FastPathServer cliSocket =
          FastPathServer.start(home, w -> System.err.println("hack: warning: " + w));
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    if (cliSocket != null) {
                      cliSocket.close();
                    }
                    node.close();
                    stopped.countDown();
                  },
                  "node-shutdown"));
      System.out.println(
          "ssh listening on "
              + node.sshAddress().getHostString()
              + ":"
              + node.sshAddress().getPort());
      if (node.gatewayUrl() != null) {
        System.out.println("gateway listening on " + node.gatewayUrl());
      }
      System.out.println(
          "node " + node.name() + " (" + node.id() + ") serving " + home + "; Ctrl-C stops it");
      System.out.flush();
      stopped.await();
      return 0;
    }
  }

  private NodeCommand() {}

  /** Durations as people type them: 7d, 12h, 30m, 15s, 500ms. */
  static final class Durations {
    private Durations() {}

    static Duration parse(String s) {
      String t = s.strip().toLowerCase(java.util.Locale.ROOT);
      try {
        if (t.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
          case 'd' -> Duration.ofDays(n);
          case 'h' -> Duration.ofHours(n);
          case 'm' -> Duration.ofMinutes(n);
          case 's' -> Duration.ofSeconds(n);
          default -> throw new NumberFormatException();
        };
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "invalid duration '" + s + "': use a number and a unit, e.g. 7d, 12h, 30m, 15s, 500ms");
      }
    }
  }
}
