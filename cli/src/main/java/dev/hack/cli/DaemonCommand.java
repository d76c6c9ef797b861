package dev.hack.cli;

import com.google.gson.JsonObject;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * a terminal, started by hack itself or by a service manager (docs/daemon.md). Whichever started
 * it, the commands wait for the node itself: ready is its {@code node.json} naming it and its SSH
 * port answering; stopped is its process gone.
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
      DaemonCommand.Status.class,
      DaemonCommand.Logs.class,
      DaemonCommand.Install.class,
      DaemonCommand.Uninstall.class
    })
final class DaemonCommand {
  private DaemonCommand() {}

  /** How often the waits look again. */
  private static final Duration POLL = Duration.ofMillis(100);

  /** Lines of node.log shown when a node fails to start. */
  private static final int TAIL_ON_FAILURE = 20;

  /** LSB's "program is not running", as {@code systemctl status} exits. */
  static final int NOT_RUNNING = 3;

  // ---- what the commands share

  /** The node running from {@code home}, if node.json names a live process that is that node. */
  static Optional<RunningNode> running(HackHome home) {
    return RunningNode.find(home).filter(n -> n.notThisNode().isEmpty());
  }

  /**
   * The manager that runs {@code node}: {@code m} when it is its parent (its main pid), else hack
   * itself (a node started with {@code node serve} or {@code daemon start} before a unit was
   * installed is stopped with SIGTERM, not through a manager that does not run it).
   */
  private static ServiceManager runningUnder(ServiceManager m, RunningNode node, HackHome home) {
    if (m instanceof Background || m.mainPid().equals(Optional.of(node.pid()))) {
      return m;
    }
    return new Background(home);
  }

  /** {@code 1.2 s}. */
  static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /**
   * Waits until the node is serving: node.json names a live node that this start made ({@code
   * child}'s pid, or else one that started at or after {@code issued} and is not {@code oldPid}),
   * and its SSH port takes a connection.
   *
   * @return the node, or empty when {@code child} ended first or the time ran out ({@code why} then
   *     says which)
   */
  static Optional<RunningNode> waitReady(
      HackHome home,
      Optional<Process> child,
      Instant issued,
      long oldPid,
      Duration timeout,
      StringBuilder why)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<RunningNode> n = RunningNode.find(home);
      if (n.isPresent() && ours(n.get(), child, issued, oldPid) && answers(n.get())) {
        return n;
      }
      if (child.isPresent() && !child.get().isAlive()) {
        why.append("the node exited with status ")
            .append(child.get().exitValue())
            .append(" before it was ready");
        return Optional.empty();
      }
      if (System.nanoTime() - deadline > 0) {
        why.append("the node was not ready within ").append(seconds(timeout));
        return Optional.empty();
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  private static boolean ours(RunningNode n, Optional<Process> child, Instant issued, long oldPid) {
    if (child.isPresent()) {
      return n.pid() == child.get().pid();
    }
    return n.pid() != oldPid && n.startedAt() != null && !n.startedAt().isBefore(issued);
  }

  /** Whether the node's SSH port takes a TCP connection (within a second). */
  static boolean answers(RunningNode n) {
    if (n.sshHost() == null || n.sshPort() <= 0) {
      return false;
    }
    String host = n.sshHost();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
      host = "127.0.0.1"; // listening everywhere: loopback is one of them
    }
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(host, n.sshPort()), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits until process {@code pid} has ended; whether it did within {@code timeout}. */
  static boolean waitGone(long pid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(POLL.toMillis());
    }
    return true;
  }

  /** The last {@code n} lines of node.log and its rotated files, oldest first. */
  static List<String> logTail(HackHome home, int n) throws IOException {
    Path log = NodeLaunch.log(home);
    try (AuditMonitor.Tail tail = new AuditMonitor.Tail(log, RotatingLog.KEEP)) {
      return AuditCommand.latest(log, RotatingLog.KEEP, tail.poll(), n);
    }
  }

  /**
   * The warnings ({@code hack: warning: …}) the node {@code pid} wrote to node.log since it
   * started: no authorized keys, no Tailscale, a full disk.
   */
  static List<String> warningsOf(HackHome home, long pid) throws IOException {
    List<String> lines = logTail(home, 200);
    List<String> out = new ArrayList<>();
    boolean its = false; // only what follows this node's first line is its own
    for (String line : lines) {
      if (line.startsWith("--- ") && line.contains("node starting, pid " + pid + " ")) {
        its = true;
        out.clear();
      } else if (its && line.startsWith("hack: warning: ")) {
        out.add(line);
      }
    }
    return out;
  }

  /** Says on stderr why a start failed, with the end of node.log. */
  private static void startFailed(HackHome home, String why, String hint) throws IOException {
    System.err.println("hack: " + why + "; the end of " + NodeLaunch.log(home) + ":");
    for (String line : logTail(home, TAIL_ON_FAILURE)) {
      System.err.println("  " + line);
    }
    if (hint != null) {
      System.err.println("hack: " + hint);
    }
  }

  /** {@code node vm (node-…), pid 42: ssh 127.0.0.1:2222, gateway http://…}. */
  private static String summary(RunningNode n) {
    return "node "
        + n.name()
        + " ("
        + n.id()
        + "), pid "
        + n.pid()
        + ": ssh "
        + n.sshHost()
        + ":"
        + n.sshPort()
        + (n.gatewayUrl() == null ? ", no gateway" : ", gateway " + n.gatewayUrl());
  }

  /**
   * Starts the node through {@code m} and waits for it; prints the progress and the result, and on
   * failure the end of node.log. Returns the exit status.
   */
  private static int startAndWait(
      HackHome home, ServiceManager m, NodeLaunch launch, long oldPid, Duration timeout)
      throws IOException, InterruptedException {
    PrintStream out = System.out;
    out.print(
        m instanceof Background
            ? "starting the node in the background… "
            : "starting " + m.describe() + "… ");
    out.flush();
    long t0 = System.nanoTime();
    Instant issued = Instant.now();
    Optional<Process> child;
    try {
      child = m.start(launch);
    } catch (IOException e) {
      out.println("failed");
      throw e;
    }
    return awaitStart(home, m, child, issued, oldPid, timeout, t0);
  }

  private static int awaitStart(
      HackHome home,
      ServiceManager m,
      Optional<Process> child,
      Instant issued,
      long oldPid,
      Duration timeout,
      long t0)
      throws IOException, InterruptedException {
    PrintStream out = System.out;
    StringBuilder why = new StringBuilder();
    Optional<RunningNode> ready = waitReady(home, child, issued, oldPid, timeout, why);
    if (ready.isPresent()) {
      out.println("ready in " + seconds(since(t0)));
      out.println(summary(ready.get()));
      out.println("its output: hack daemon logs (" + NodeLaunch.log(home) + ")");
      // what a node in a terminal would have told its user
      warningsOf(home, ready.get().pid()).forEach(System.err::println);
      return 0;
    }
    out.println("failed");
    String hint = null;
    if (child.isPresent() && child.get().isAlive()) {
      child.get().destroy(); // ours, and not serving: nobody else will stop it
      hint = "stopped it (pid " + child.get().pid() + ")";
    } else if (!(m instanceof Background)) {
      hint = "what " + m.describe() + " says: " + m.state().orElse("?");
      if (m instanceof Systemd s) {
        hint += "; more with: journalctl " + (s.isSystem() ? "" : "--user ") + "-u " + Systemd.UNIT;
      }
    }
    startFailed(home, why.toString(), hint);
    return 1;
  }

  /**
   * Stops {@code node} through {@code how} and waits; prints the progress and the result. Returns
   * whether it is gone.
   */
  private static boolean stopAndWait(
      HackHome home, ServiceManager how, RunningNode node, Duration timeout, boolean force)
      throws IOException, InterruptedException {
    PrintStream out = System.out;
    out.print(
        "stopping the node (pid "
            + node.pid()
            + (how instanceof Background ? "" : ", " + how.describe())
            + ")… ");
    out.flush();
    long t0 = System.nanoTime();
    try {
      how.stop(node);
    } catch (IOException e) {
      out.println("failed");
      throw e;
    }
    if (waitGone(node.pid(), timeout)) {
      out.println("stopped in " + seconds(since(t0)));
      return true;
    }
    if (!force) {
      out.println("still running after " + seconds(timeout));
      System.err.println(
          "hack: the node (pid "
              + node.pid()
              + ") did not stop; see hack daemon logs. hack daemon stop --force ends it with"
              + " SIGKILL (its PTY sessions end with it; tmux sessions stay)");
      return false;
    }
    Optional<String> not = node.notThisNode();
    if (not.isPresent()) {
      out.println("gone");
      return true; // it ended just now, and the pid is someone else's already
    }
    ProcessHandle.of(node.pid()).ifPresent(ProcessHandle::destroyForcibly);
    if (!waitGone(node.pid(), Duration.ofSeconds(10))) {
      out.println("still running");
      System.err.println("hack: the node (pid " + node.pid() + ") survived SIGKILL");
      return false;
    }
    // it had no chance to remove its node.json: nothing else will
    if (RunningNode.find(home).isEmpty()) {
      Files.deleteIfExists(home.nodeFile());
    }
    out.println("killed with SIGKILL after " + seconds(since(t0)));
    return true;
  }

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
      Optional<RunningNode> r = running(home);
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
      return startAndWait(home, m, launch, 0, timeout.get());
    }
  }

  @Command(
      name = "stop",
      description = {
        "Stop the node running from this HACK_HOME (SIGTERM, or through its service manager) and"
            + " wait until it has.",
        "PTY sessions end with it; tmux sessions keep running. Exit 0 also when none ran."
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

    @Override
    public Integer call() throws Exception {
      Duration wait = NodeCommand.Durations.parse(timeout);
      HackHome home = HackHome.fromEnvironment();
      ServiceManager m = ServiceManager.forHome(home);
      Optional<RunningNode> r = running(home);
      if (r.isEmpty()) {
        if (!(m instanceof Background)) {
          try {
            m.stop(null); // a unit that keeps failing and being restarted stops being restarted
          } catch (IOException e) {
            // nothing runs, which is what was asked; the manager's own trouble shows in status
          }
        }
        System.out.println(
            "no node is running from " + home + staleNote(home) + "; nothing to stop");
        return 0;
      }
      return stopAndWait(home, runningUnder(m, r.get(), home), r.get(), wait, force) ? 0 : 1;
    }
  }

  /** {@code " (node.json names pid 42, but …)"} when a node.json is left that names no node. */
  private static String staleNote(HackHome home) {
    return RunningNode.find(home)
        .flatMap(
            n ->
                n.notThisNode()
                    .map(why -> " (node.json names pid " + n.pid() + ", but " + why + ")"))
        .orElse("");
  }

  @Command(
      name = "restart",
      description = {
        "Stop the node and start it again (through its service manager, once installed).",
        "Without options it runs with those of the last hack daemon start. tmux sessions survive"
            + " it; PTY sessions do not yet."
      },
      mixinStandardHelpOptions = true)
  static final class Restart implements Callable<Integer> {
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
      HackHome home = HackHome.fromEnvironment();
      ServiceManager m = ServiceManager.forHome(home);
      refuseOptionsFor(m, options.given(), "restart");
      List<String> args = options.given().isEmpty() ? NodeLaunch.remembered(home) : options.given();
      NodeLaunch launch = NodeLaunch.of(home, m.jar(home), args);
      Optional<RunningNode> r = running(home);
      if (!(m instanceof Background) && (r.isEmpty() || runningUnder(m, r.get(), home) == m)) {
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
        return awaitStart(
            home,
            m,
            Optional.empty(),
            issued,
            r.map(RunningNode::pid).orElse(0L),
            timeout.get(),
            t0);
      }
      if (r.isPresent()
          && !stopAndWait(home, runningUnder(m, r.get(), home), r.get(), stopWait, false)) {
        return 1;
      }
      return startAndWait(home, m, launch, r.map(RunningNode::pid).orElse(0L), timeout.get());
    }
  }

  @Command(
      name = "status",
      description = {
        "Show the node running from this HACK_HOME: pid, version, uptime, ports, sessions, and"
            + " what runs it.",
        "Exit 0 when it runs, 3 when it does not, 1 when it runs but does not answer."
      },
      mixinStandardHelpOptions = true)
  static final class Status implements Callable<Integer> {
    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    private static final DateTimeFormatter WHEN =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      ServiceManager m = ServiceManager.forHome(home);
      Optional<RunningNode> r = running(home);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("running", r.isPresent());
      o.put("home", home.root().toString());
      o.put("log", NodeLaunch.log(home).toString());
      Map<String, Object> service = new LinkedHashMap<>();
      service.put("manager", m.kind());
      service.put("description", m.describe());
      service.put("unit_file", m.unitFile().map(Path::toString).orElse(null));
      service.put("state", m.state().orElse(null));
      o.put("service", service);
      int exit;
      String error = null;
      JsonObject st = null;
      if (r.isEmpty()) {
        exit = NOT_RUNNING;
      } else {
        RunningNode n = r.get();
        o.put("pid", n.pid());
        o.put("id", n.id());
        o.put("name", n.name());
        o.put("version", n.version());
        o.put("started_at", n.startedAt() == null ? null : n.startedAt().toString());
        o.put(
            "uptime_ms",
            n.startedAt() == null
                ? null
                : Duration.between(n.startedAt(), Instant.now()).toMillis());
        Map<String, Object> ssh = new LinkedHashMap<>();
        ssh.put("host", n.sshHost());
        ssh.put("port", n.sshPort());
        o.put("ssh", ssh);
        Map<String, Object> gw = new LinkedHashMap<>();
        gw.put("url", n.gatewayUrl());
        o.put("gateway", n.gatewayUrl() == null ? null : gw);
        try {
          st = askStatus(home);
          o.put("sessions", st.get("sessions").getAsInt());
          o.put("sessions_running", st.get("sessions_running").getAsInt());
          o.put("status", st.get("status").getAsString());
          exit = 0;
        } catch (IOException | RuntimeException e) {
          error = "it does not answer over SSH: " + Main.describe(e);
          o.put("sessions", null);
          o.put("sessions_running", null);
          o.put("status", "not answering");
          o.put("error", error);
          exit = 1;
        }
      }
      if (json) {
        System.out.println(Json.GSON.toJson(o));
        return exit;
      }
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      if (r.isEmpty()) {
        out.println("no node is running from " + home + staleNote(home));
      } else {
        RunningNode n = r.get();
        out.println(
            "node "
                + n.name()
                + " ("
                + n.id()
                + ") is "
                + (error == null ? "running" : "running, but " + error));
        row(out, "pid", String.valueOf(n.pid()));
        row(out, "version", String.valueOf(n.version()));
        if (n.startedAt() != null) {
          row(
              out,
              "uptime",
              uptime(Duration.between(n.startedAt(), Instant.now()))
                  + ", since "
                  + WHEN.format(n.startedAt()));
        }
        row(out, "ssh", n.sshHost() + ":" + n.sshPort());
        row(out, "gateway", n.gatewayUrl() == null ? "off" : n.gatewayUrl());
        if (st != null) {
          row(
              out,
              "sessions",
              st.get("sessions").getAsInt()
                  + ", "
                  + st.get("sessions_running").getAsInt()
                  + " running");
        }
      }
      row(out, "home", home.toString());
      row(out, "log", NodeLaunch.log(home).toString());
      row(out, "runs under", m.describe() + m.state().map(s -> " (" + s + ")").orElse(""));
      return exit;
    }

    private static void row(PrintStream out, String name, String value) {
      out.printf("  %-11s %s%n", name, value);
    }

    /** {@code 3d 4h}, {@code 2h 14m}, {@code 5m 3s}, {@code 12s}. */
    static String uptime(Duration d) {
      long s = Math.max(0, d.toSeconds());
      if (s >= 86400) {
        return s / 86400 + "d " + s % 86400 / 3600 + "h";
      }
      if (s >= 3600) {
        return s / 3600 + "h " + s % 3600 / 60 + "m";
      }
      if (s >= 60) {
        return s / 60 + "m " + s % 60 + "s";
      }
      return s + "s";
    }

    /** The node's {@code status --json}, over SSH as every hack command asks it. */
    private static JsonObject askStatus(HackHome home) throws IOException {
      Nodes nodes = new Nodes(home);
      Nodes.Ref ref = nodes.local().orElseThrow(() -> new IOException("its node.json is gone"));
      try (NodeClient c = nodes.connect(ref)) {
        return NodeAdmin.status(c);
      }
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
      Optional<RunningNode> r = running(home);
      long oldPid = 0;
      if (r.isPresent()) {
        if (m.mainPid().equals(Optional.of(r.get().pid()))) {
          oldPid = r.get().pid();
        } else if (!stopAndWait(
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
      return awaitStart(home, m, Optional.empty(), issued, 0, timeout.get(), t0);
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
