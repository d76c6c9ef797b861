package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.platform.Platform;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What runs the node of a {@code HACK_HOME} in the background: systemd ({@link Systemd}), launchd
 * ({@link Launchd}) or, where neither has a unit for that home, hack itself ({@link Background}).
 * {@code hack daemon} picks one at run time ({@link #forHome}, {@link #forInstall}) and waits for
 * the node itself (its {@code node.json} and its SSH port), whichever started it.
 *
 * <p>Not thread-safe; one command uses one. Every call that runs a program waits for it, bounded.
 */
interface ServiceManager {
  /** For people: {@code systemd user unit hack-node.service}, {@code hack itself}. */
  String describe();

  /**
   * For scripts ({@code status --json}): {@code none}, {@code systemd-user}, {@code systemd-system}
   * or {@code launchd}.
   */
  String kind();

  /**
   * Asks for the node to be started. Returns the node's process when this manager is its parent
   * (hack itself), so that a node that dies at once is noticed without waiting for the timeout.
   */
  Optional<Process> start(NodeLaunch launch) throws IOException;

  /**
   * Asks the node to stop; the caller waits for its process to end.
   *
   * @param running the node, or null when none runs (a manager then stops its unit anyway, so that
   *     one that keeps failing stops being restarted)
   */
  void stop(RunningNode running) throws IOException;

  /** Asks for a restart; false when this manager restarts by stop and start (hack itself). */
  boolean restart(NodeLaunch launch) throws IOException;

  /**
   * One line about the unit for {@code hack daemon status}: whether it is enabled and what the
   * manager says of it ({@code enabled, active (running)}); empty when there is nothing to say.
   */
  Optional<String> state();

  /** The unit file this manager runs the node from; empty for hack itself. */
  Optional<Path> unitFile();

  /** The unit file's text for {@code launch}. */
  String unitText(NodeLaunch launch);

  /**
   * Writes the unit for {@code launch}, makes the manager run it now and at every start (login or
   * boot), and says what it did and what is left to the user on {@code out}.
   */
  void install(NodeLaunch launch, PrintStream out) throws IOException;

  /**
   * Stops the node through the manager and removes its unit, if it is the unit of {@code home};
   * says so on {@code out}.
   */
  void uninstall(Path home, PrintStream out) throws IOException;

  /** Where the jar the node runs from is kept: {@code HACK_HOME/daemon/hack.jar}, mostly. */
  Path jar(HackHome home);

  /** The pid the manager runs the node as, when it runs it. */
  Optional<Long> mainPid();

  /** Whether this machine runs macOS (launchd) rather than Linux (systemd) or another Unix. */
  static boolean macOs() {
    return Platform.current().initSystem() == Platform.InitSystem.LAUNCHD;
  }

  /** Whether this machine runs Linux. */
  static boolean linux() {
    return Platform.current().initSystem() == Platform.InitSystem.SYSTEMD;
  }

  /**
   * The manager that runs {@code home}'s node: the systemd unit (user, then system) or the
   * LaunchAgent written for this home by {@code hack daemon install}, if its manager runs here;
   * else hack itself.
   */
  static ServiceManager forHome(HackHome home) {
    if (linux() && Systemd.running()) {
      for (Systemd s : new Systemd[] {Systemd.user(), Systemd.system()}) {
        if (s.installedFor(home)) {
          return s;
        }
      }
    }
    if (macOs()) {
      Launchd agent = Launchd.agent();
      if (agent.installedFor(home)) {
        return agent;
      }
    }
    return new Background(home);
  }

  /**
   * The manager {@code hack daemon install} writes a unit for: systemd's user manager (its system
   * manager with {@code system}) on Linux, launchd on macOS.
   *
   * @throws IOException naming what is missing, when there is no manager hack knows here
   */
  static ServiceManager forInstall(boolean system) throws IOException {
    if (linux()) {
      if (!Systemd.running()) {
        throw new IOException(
            "systemd is not running on this machine (no /run/systemd/system): there is no"
                + " service manager to hand the node to; hack daemon start runs it in the"
                + " background without one");
      }
      return system ? Systemd.system() : Systemd.user();
    }
    if (macOs()) {
      if (system) {
        throw new IOException(
            "--system is for systemd on Linux; on macOS the node runs as your LaunchAgent: hack"
                + " daemon install");
      }
      return Launchd.agent();
    }
    throw new IOException(
        "hack knows no service manager on "
            + Platform.current()
            + "; hack daemon start runs the node in the background without one");
  }
}
