package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.supervisor.KeeperControl;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jline.utils.Signals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hack daemon start|stop|restart|status|logs|install|uninstall}: this machine's node without
 * a terminal, started by hack itself or by a service manager (docs/daemon.md): the options and
 * messages. Starting, stopping and the waits are {@link DaemonControl}'s, {@code status} is {@link
 * DaemonStatus}, and what is OS-specific is behind {@link ServiceManager}.
 */
@Command(
    name = "daemon",
    description = {
      "Run this machine's node in the background, or as a service that starts at login or boot.",
      "Its output goes to HACK_HOME/daemon/node.log (docs/daemon.md)."
    },
    mixinStandardHelpOptions = true,
    subcommands = {
      DaemonCommand.Start.class,
      DaemonCommand.Stop.class,
      DaemonCommand.Restart.class,
      DaemonStatus.class,
      DaemonCommand.Logs.class,
      DaemonCommand.Install.class,
      DaemonCommand.Uninstall.class
    })
final class DaemonCommand {
  private DaemonCommand() {}

  /** LSB's "program is not running", as {@code systemctl status} exits. */
  static final int NOT_RUNNING = 3;

  /** The start timeout option. */
  static final class StartTimeout {
    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "60s",
        description = "how long to wait for the node to serve (default: ${DEFAULT-VALUE})")
    String timeout;

    Duration get() {
      return NodeCommand.Durations.parse(timeout);
    }
  }

  /** Checks the options before anything starts: a bad one is a usage error now, not a dead node. */
  private static void validate(ServeOptions o) {
    NodeCommand.Durations.parse(o.retention);
    NodeCommand.Durations.parse(o.keepAlive);
    if (o.sshPort < 0 || o.sshPort > 65535) {
      throw new IllegalArgumentException("--ssh-port must be 0 to 65535, not " + o.sshPort);
    }
    if (o.gatewayPort < -1 || o.gatewayPort > 65535) {
      throw new IllegalArgumentException(
          "--gateway-port must be -1 to 65535, not " + o.gatewayPort);
    }
  }

  private static void refuseOptionsFor(ServiceManager m, List<String> given, String verb) {
    if (!(m instanceof Background) && !given.isEmpty()) {
      throw new IllegalArgumentException(
          "the node runs as "
              + m.describe()
              + ", which keeps its own options; to change them: hack daemon install "
              + String.join(" ", given)
              + " (then hack daemon "
              + verb
              + ")");
    }
  }

  // ---- the commands

  @Command(
      name = "start",
      description = {
        "Start the node in the background (or through its service manager, once installed) and"
            + " wait until it serves.",
        "Takes the options of hack node serve. Exit 0 when it serves, also when it already ran."
      },
      mixinStandardHelpOptions = true)
  static final class Start implements Callable<Integer> {
    @Mixin ServeOptions options;
    @Mixin StartTimeout timeout;

    @Override
    public Integer call() throws Exception {
      validate(options);
      HackHome home = HackHome.fromEnvironment();
      Optional<RunningNode> r = DaemonControl.running(home);
      if (r.isPresent()) {
        System.out.println(
            "the node is already running from "
                + home
                + " (pid "
                + r.get().pid()
                + ")"
                + (options.given().isEmpty()
                    ? ""
                    : "; to run it with these options: hack daemon restart "
                        + String.join(" ", options.given())));
        return 0;
      }
      ServiceManager m = ServiceManager.forHome(home);
      refuseOptionsFor(m, options.given(), "restart");
      NodeLaunch launch = NodeLaunch.of(home, m.jar(home), options.given());
      return DaemonControl.startAndWait(home, m, launch, 0, timeout.get());
    }
  }

  @Command(
      name = "stop",
      description = {
        "Stop the node running from this HACK_HOME (SIGTERM, or through its service manager) and"
            + " wait until it has.",
        "Its sessions keep running: the keeper holds shell and process sessions until the node"
            + " is back, tmux holds tmux sessions. --end-sessions ends the keeper's too."
            + " Exit 0 also when none ran."
      },
      mixinStandardHelpOptions = true)
  static final class Stop implements Callable<Integer> {
    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "30s",
        description = "how long to wait for it to stop (default: ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--force", description = "after the timeout, end it with SIGKILL")
    boolean force;

    @Option(
        names = "--end-sessions",
        description =
            "also end every shell and process session the keeper holds, and the keeper (tmux"
                + " sessions are tmux's: hack session rm ends one)")
    boolean endSessions;

    @Override
    public Integer call() throws Exception {
      Duration wait = NodeCommand.Durations.parse(timeout);
      HackHome home = HackHome.fromEnvironment();
      ServiceManager m = ServiceManager.forHome(home);
      Optional<RunningNode> r = DaemonControl.running(home);
      if (r.isEmpty()) {
        if (!(m instanceof Background)) {
          try {
            m.stop(null); // a unit that keeps failing and being restarted stops being restarted
          } catch (IOException e) {
            // nothing runs, which is what was asked; the manager's own trouble shows in status
          }
        }
        System.out.println(
            "no node is running from "
                + home
                + DaemonControl.staleNote(home)
                + (endSessions ? "" : "; nothing to stop"));
        return endSessions ? endSessions(home) : 0;
      }
      boolean stopped =
          DaemonControl.stopAndWait(
              home, DaemonControl.runningUnder(m, r.get(), home), r.get(), wait, force);
      if (!stopped) {
        return 1;
      }
      return endSessions ? endSessions(home) : 0;
    }

    private static int endSessions(HackHome home) {
      try {
        Optional<Integer> ended = KeeperControl.shutdown(home.keeperSocket());
        System.out.println(
            ended
                .map(
                    n ->
                        "ended "
                            + n
                            + " shell and process session"
                            + (n == 1 ? "" : "s")
                            + " and their keeper")
                .orElse("no keeper was running: no shell or process session to end"));
        return 0;
      } catch (IOException e) {
        System.err.println("hack: cannot end the keeper's sessions: " + Main.describe(e));
        return 1;
      }
    }
  }

  @Command(
      name = "restart",
      description = {
        "Stop the node and start it again (through its service manager, once installed).",
        "Without options it runs with those of the last hack daemon start. Sessions survive it:"
            + " the keeper holds shell and process sessions (unless --no-keeper), tmux holds"
            + " tmux sessions (docs/durability.md)."
      },
      mixinStandardHelpOptions = true)
  static class Restart implements Callable<Integer> {
    @Mixin ServeOptions options;
    @Mixin StartTimeout timeout;

    @Option(
        names = "--stop-timeout",
        paramLabel = "DURATION",
        defaultValue = "30s",
        description = "how long to wait for it to stop (default: ${DEFAULT-VALUE})")
    String stopTimeout;

    @Override
    public Integer call() throws Exception {
      validate(options);
      Duration stopWait = NodeCommand.Durations.parse(stopTimeout);
      DaemonControl.outliveHangup();
      HackHome home = HackHome.fromEnvironment();
      ServiceManager m = ServiceManager.forHome(home);
      refuseOptionsFor(m, options.given(), "restart");
      List<String> args = options.given().isEmpty() ? NodeLaunch.remembered(home) : options.given();
      NodeLaunch launch = NodeLaunch.of(home, m.jar(home), args);
      Optional<RunningNode> r = DaemonControl.running(home);
      if (!(m instanceof Background)
          && (r.isEmpty() || DaemonControl.runningUnder(m, r.get(), home) == m)) {
        System.out.print("restarting " + m.describe() + "… ");
        System.out.flush();
        long t0 = System.nanoTime();
        Instant issued = Instant.now();
        try {
          m.restart(launch);
        } catch (IOException e) {
          System.out.println("failed");
          throw e;
        }
        return DaemonControl.awaitStart(
            home,
            m,
            Optional.empty(),
            issued,
            r.map(RunningNode::pid).orElse(0L),
            timeout.get(),
            t0);
      }
      if (r.isPresent() && m instanceof Background b) {
        return DaemonControl.handOver(home, b, launch, r.get(), stopWait, timeout.get());
      }
      if (r.isPresent()
          && !DaemonControl.stopAndWait(
              home, DaemonControl.runningUnder(m, r.get(), home), r.get(), stopWait, false)) {
        return 1;
      }
      return DaemonControl.startAndWait(
          home, m, launch, r.map(RunningNode::pid).orElse(0L), timeout.get());
    }
  }

  @Command(
      name = "logs",
      description = {
        "Show the node's output: HACK_HOME/daemon/node.log and its rotated files.",
        "-f keeps printing it, across rotations, until Ctrl-C."
      },
      mixinStandardHelpOptions = true)
  static final class Logs implements Callable<Integer> {
    @Option(
        names = {"-f", "--follow"},
        description = "keep printing new lines, across rotations, until Ctrl-C")
    boolean follow;

    @Option(
        names = {"-n", "--lines"},
        paramLabel = "N",
        defaultValue = "50",
        description = "how many of the last lines to show (default: ${DEFAULT-VALUE})")
    int lines;

    @Override
    public Integer call() throws Exception {
      if (lines < 0) {
        throw new IllegalArgumentException("--lines must be 0 or more, not " + lines);
      }
      HackHome home = HackHome.fromEnvironment();
      Path log = NodeLaunch.log(home);
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      try (AuditMonitor.Tail tail = new AuditMonitor.Tail(log, RotatingLog.KEEP)) {
        List<String> backlog = AuditCommand.latest(log, RotatingLog.KEEP, tail.poll(), lines);
        if (backlog.isEmpty() && !follow && !Files.exists(log)) {
          out.println("nothing logged yet (" + log + "); hack daemon start writes it");
          return 0;
        }
        backlog.forEach(out::println);
        if (!follow) {
          return 0;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Object previous = Signals.register("INT", stop::countDown);
        try {
          while (!stop.await(250, TimeUnit.MILLISECONDS)) {
            tail.poll().forEach(out::println);
          }
        } finally {
          if (previous != null) {
            Signals.unregister("INT", previous);
          }
        }
      }
      return 0;
    }
  }

  @Command(
      name = "install",
      description = {
        "Run the node as a service: a systemd user unit on Linux (a system unit with --system), a"
            + " launchd agent on macOS.",
        "Writes it, enables and starts it; the service manager restarts the node when it fails."
            + " Takes the options of hack node serve."
      },
      mixinStandardHelpOptions = true)
  static final class Install implements Callable<Integer> {
    @Option(
        names = "--system",
        description =
            "a system unit in /etc/systemd/system, started at boot, run as $SUDO_USER (needs root)")
    boolean system;

    @Option(names = "--print", description = "print the unit file, and write or change nothing")
    boolean print;

    @Mixin ServeOptions options;
    @Mixin StartTimeout timeout;

    @Override
    public Integer call() throws Exception {
      validate(options);
      ServiceManager m;
      if (print) {
        m =
            ServiceManager.macOs()
                ? Launchd.agent()
                : system ? Systemd.system() : Systemd.user(); // to read, systemd need not run
      } else {
        m = ServiceManager.forInstall(system);
      }
      HackHome home = HackHome.fromEnvironment();
      String env = System.getenv("HACK_HOME");
      if (m instanceof Systemd s && s.isSystem() && (env == null || env.isBlank())) {
        home = HackHome.at(Systemd.defaultHomeOf(s.runAs())); // the home of whom it runs as
      }
      NodeLaunch launch = NodeLaunch.of(home, m.jar(home), options.given());
      if (print) {
        System.out.print(m.unitText(launch));
        return 0;
      }
      DaemonControl.outliveHangup();
      Optional<RunningNode> r = DaemonControl.running(home);
      long oldPid = 0;
      if (r.isPresent()) {
        if (m.mainPid().equals(Optional.of(r.get().pid()))) {
          oldPid = r.get().pid();
        } else if (!DaemonControl.stopAndWait(
            home, new Background(home), r.get(), Duration.ofSeconds(30), false)) {
          return 1; // it would hold the home, and the unit's node could not start
        }
      }
      long t0 = System.nanoTime();
      Instant issued = Instant.now();
      m.install(launch, System.out);
      if (oldPid != 0) {
        System.out.println(
            "the node keeps running (pid "
                + oldPid
                + ") with its old settings until: hack daemon restart");
        return 0;
      }
      System.out.print("waiting for the node… ");
      System.out.flush();
      return DaemonControl.awaitStart(home, m, Optional.empty(), issued, 0, timeout.get(), t0);
    }
  }

  @Command(
      name = "uninstall",
      description =
          "Stop the node's service and remove its unit (hack daemon install undone); the node's"
              + " files in HACK_HOME stay.",
      mixinStandardHelpOptions = true)
  static final class Uninstall implements Callable<Integer> {
    @Option(names = "--system", description = "the system unit (needs root)")
    boolean system;

    @Override
    public Integer call() throws Exception {
      ServiceManager m = ServiceManager.forInstall(system);
      HackHome home = HackHome.fromEnvironment();
      String env = System.getenv("HACK_HOME");
      if (m instanceof Systemd s && s.isSystem() && (env == null || env.isBlank())) {
        home = HackHome.at(Systemd.defaultHomeOf(s.runAs()));
      }
      m.uninstall(home.root(), System.out);
      return 0;
    }
  }
}
