package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.Node;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.ssh.NodeSshServer;
import dev.hack.tui.PickerApp;
import dev.hack.tui.TuiOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
      NodeJoin.Leave.class,
      NodeCommand.Restart.class
    })
final class NodeCommand {
  /** {@code hack node restart}: the same as {@code hack daemon restart}. */
  @Command(
      name = "restart",
      description = {
        "Restart this machine's node, keeping every session (the same as hack daemon restart).",
        "Without options it runs with those of the last start. The keeper holds shell and process"
            + " sessions meanwhile, tmux holds tmux sessions; hack session attach and the picker"
            + " reconnect by themselves (docs/durability.md)."
      },
      mixinStandardHelpOptions = true)
  static final class Restart extends DaemonCommand.Restart {}

  @Command(
      name = "serve",
      description = "Run this machine's node in the foreground (SSH server, gateway, sessions).",
      mixinStandardHelpOptions = true)
  static final class Serve implements Callable<Integer> {
    @Mixin ServeOptions options;

    @Option(
        names = "--log-file",
        paramLabel = "PATH",
        description = {
          "for a node without a terminal: write its output to PATH, rotated at 10 MiB, keeping"
              + " PATH.1 … PATH.5, and let SIGHUP pass (what hack daemon start does;"
              + " docs/daemon.md)"
        })
    Path logFile;

    @Option(
        names = "--take-over",
        paramLabel = "DURATION",
        hidden = true,
        description = {
          "when a node already runs from this home: wait up to DURATION for it to end, and start"
              + " then (hack daemon restart starts the new node this way before it stops the old"
              + " one; docs/daemon.md)"
        })
    String takeOver;

    @Override
    public Integer call() throws Exception {
      if (logFile == null) {
        return serve();
      }
      // in the background nobody sees stderr: everything goes to the log, errors included
      // (slf4j-simple writes to System.err as it is at each call, so it follows)
      System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd HH:mm:ss");
      PrintStream log =
          new PrintStream(
              new RotatingLog(logFile, RotatingLog.ROTATE_BYTES, RotatingLog.KEEP),
              true,
              StandardCharsets.UTF_8);
      System.setOut(log);
      System.setErr(log);
      // no terminal to hang up: a SIGHUP (to the group that started it, say) must not end the
      // node as it ends one in a terminal. Caught, not ignored: an ignored signal would stay
      // ignored in every session's program, a caught one is reset when they exec.
      org.jline.utils.Signals.register("HUP", () -> {});
      log.println(
          "--- "
              + Instant.now()
              + " hack "
              + dev.hack.node.Version.get()
              + ": node starting, pid "
              + ProcessHandle.current().pid()
              + " ---");
      try {
        return serve();
      } catch (Exception e) {
        log.println("hack: " + Main.describe(e));
        return e instanceof IllegalArgumentException ? 2 : 1;
      }
    }

    private int serve() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      ConfigFile configFile = new ConfigFile(home.config());
      String gatewayHost = options.gatewayBind;
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
                  options.name,
                  options.bind,
                  options.sshPort,
                  gatewayHost,
                  options.gatewayPort,
                  options.tmuxSocket,
                  Durations.parse(options.retention),
                  new NodeSshServer.Settings(Durations.parse(options.keepAlive), 3)
                      .withShellApp(picker))
              .withKeeper(options.keeper);
      boolean warm = options.warmUp && !"1".equals(System.getenv("HACK_NO_WARMUP"));
      if (warm && takeOver != null) {
        // a restart's new node: the old one serves meanwhile, so warm up before taking over;
        // bounded, so that a warm-up that hangs never keeps the node from taking over
        NodeWarmup.quietly(NodeWarmup.JIT_KEYS, System.out).join(WARMUP_BOUND.toMillis());
      }
      // a thread that dies of an uncaught error ends the node instead of leaving it half alive
      dev.hack.node.NodeFailures.exitOnUncaught();
      Node node;
      if (takeOver == null) {
        node = Node.start(config, w -> System.err.println("hack: warning: " + w));
      } else {
        Path next = NodeLaunch.nextFile(home);
        try {
          node =
              Node.start(
                  config,
                  w -> System.err.println("hack: warning: " + w),
                  Durations.parse(takeOver),
                  () -> {
                    System.out.println(
                        "another node runs from " + home + "; taking over when it stops");
                    NodeLaunch.markNext(next);
                  });
        } finally {
          Files.deleteIfExists(next);
        }
      }
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
                    if (logFile != null) {
                      System.out.println("--- " + Instant.now() + " node stopped ---");
                    }
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
          "node "
              + node.name()
              + " ("
              + node.id()
              + ") serving "
              + home
              + (logFile == null ? "; Ctrl-C stops it" : "; hack daemon stop stops it"));
      System.out.flush();
      if (warm && takeOver == null) {
        // serving already; the first seconds' keys share the machine with it
        NodeWarmup.quietly(NodeWarmup.JIT_KEYS, System.out);
      }
      stopped.await();
      return 0;
    }
  }

  /** The longest a restart's new node waits for its warm-up before it takes over anyway. */
  static final Duration WARMUP_BOUND = Duration.ofSeconds(20);

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
