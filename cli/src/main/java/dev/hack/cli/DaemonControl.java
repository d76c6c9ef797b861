package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.platform.Platform;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Starting and stopping the node through a {@link ServiceManager}, and the waits that follow, the
 * same for every manager: ready is {@code node.json} naming the node this start made and its SSH
 * port answering; stopped is its process gone. Progress and results go to {@code System.out},
 * failures to {@code System.err}. Runs on the command's thread; every wait is bounded.
 */
final class DaemonControl {
  private DaemonControl() {}

  /** How often the waits look again. */
  private static final Duration POLL = Duration.ofMillis(25);

  /** Lines of node.log shown when a node fails to start. */
  private static final int TAIL_ON_FAILURE = 20;

  /** The node running from {@code home}, if node.json names a live process that is that node. */
  static Optional<RunningNode> running(HackHome home) {
    return RunningNode.find(home).filter(n -> n.notThisNode().isEmpty());
  }

  /**
   * The manager that runs {@code node}: {@code m} when it is its parent (its main pid), else hack
   * itself (a node started with {@code node serve} or {@code daemon start} before a unit was
   * installed is stopped with SIGTERM, not through a manager that does not run it).
   */
  static ServiceManager runningUnder(ServiceManager m, RunningNode node, HackHome home) {
    if (m instanceof Background || m.mainPid().equals(Optional.of(node.pid()))) {
      return m;
    }
    return new Background(home);
  }

  /**
   * Makes this command outlive a hangup of its terminal. {@code restart} and {@code install} stop
   * the node, then start it again: run from a shell in one of the node's own PTY sessions, that
   * shell is hung up when the node stops, and the command would die half way, leaving no node. The
   * command's output to the dead terminal is lost; the node's log says what happened.
   */
  static void outliveHangup() {
    org.jline.utils.Signals.register("HUP", () -> {});
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
    while (Platform.current().isRunning(pid)) { // a zombie waiting for its reaper is gone
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
  static int startAndWait(
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

  static int awaitStart(
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
   * Restarts a node that runs without a service manager with the least time unserved: starts the
   * new node first ({@link Background#startTakingOver}), which starts its JVM and loads what it can
   * while the old one still serves, then stops the old one once the new one waits for it (or after
   * {@code startTimeout}), and the new one opens the home the moment the old one has let it go. A
   * new node that fails to start (a bad option, a broken jar) ends before the old one is stopped,
   * which keeps running. Prints the progress; returns the exit status.
   */
  static int handOver(
      HackHome home,
      Background b,
      NodeLaunch launch,
      RunningNode old,
      Duration stopTimeout,
      Duration startTimeout)
      throws IOException, InterruptedException {
    PrintStream out = System.out;
    Path next = NodeLaunch.nextFile(home);
    Files.deleteIfExists(next); // a killed node's
    out.print("starting the new node in the background… ");
    out.flush();
    long t0 = System.nanoTime();
    Instant issued = Instant.now();
    Process child;
    try {
      child = b.startTakingOver(launch, stopTimeout.plus(startTimeout));
    } catch (IOException e) {
      out.println("failed");
      throw e;
    }
    long deadline = t0 + startTimeout.toNanos();
    while (!NodeLaunch.nextIs(next, child.pid())
        && child.isAlive()
        && System.nanoTime() - deadline < 0) {
      Thread.sleep(POLL.toMillis());
    }
    if (!child.isAlive()) {
      out.println("failed");
      startFailed(
          home,
          "the new node exited with status " + child.exitValue() + " before it could take over",
          "the old node (pid " + old.pid() + ") still runs");
      return 1;
    }
    out.println(
        NodeLaunch.nextIs(next, child.pid())
            ? "waiting to take over in " + seconds(since(t0))
            : "still starting after " + seconds(since(t0)));
    if (!stopAndWait(home, b, old, stopTimeout, false)) {
      child.destroy(); // it would wait for a node that does not stop
      return 1;
    }
    out.print("new node taking over… ");
    out.flush();
    return awaitStart(
        home, b, Optional.of(child), issued, old.pid(), startTimeout, System.nanoTime());
  }

  /**
   * Stops {@code node} through {@code how} and waits; prints the progress and the result. Returns
   * whether it is gone.
   */
  static boolean stopAndWait(
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
              + " SIGKILL (its sessions keep running: the keeper and tmux hold them)");
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

  /** {@code " (node.json names pid 42, but …)"} when a node.json is left that names no node. */
  static String staleNote(HackHome home) {
    return RunningNode.find(home)
        .flatMap(
            n ->
                n.notThisNode()
                    .map(why -> " (node.json names pid " + n.pid() + ", but " + why + ")"))
        .orElse("");
  }
}
