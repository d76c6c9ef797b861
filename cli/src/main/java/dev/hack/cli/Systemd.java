package dev.hack.cli;

import dev.hack.keys.HackHome;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The node as a systemd service, {@code hack-node.service}: a user unit in {@code
 * ~/.config/systemd/user} (started at login, or at boot with lingering), or with {@code --system} a
 * system unit in {@code /etc/systemd/system} that runs as a given user. systemd restarts it when it
 * fails; {@code hack daemon start|stop|restart} go through {@code systemctl}.
 *
 * <p>One unit per user (per system for {@code --system}); it names the {@code HACK_HOME} it serves
 * in its {@code Environment=}, and only commands run with that home go through it.
 */
final class Systemd implements ServiceManager {
  static final String UNIT = "hack-node.service";

  /** How long a {@code systemctl} call may take: a stop waits for the node (30 s, below). */
  private static final Duration SYSTEMCTL_TIMEOUT = Duration.ofSeconds(60);

  /** Where {@code --system} keeps the jar its node runs: root's, outside any user's home. */
  static final Path SYSTEM_JAR = Path.of("/usr/local/lib/hack/hack.jar");

  private final boolean system;
  private final Path unitFile;
  private final List<String> systemctl;
  private final String runAs;

  /**
   * @param system a system unit (else a user unit)
   * @param unitFile where the unit is written
   * @param systemctl the {@code systemctl} command, with {@code --user} for a user unit
   * @param runAs the user a system unit runs as (ignored for a user unit)
   */
  Systemd(boolean system, Path unitFile, List<String> systemctl, String runAs) {
    this.system = system;
    this.unitFile = unitFile;
    this.systemctl = List.copyOf(systemctl);
    this.runAs = runAs;
  }

  /** This user's unit, in {@code $XDG_CONFIG_HOME/systemd/user} (default {@code ~/.config}). */
  static Systemd user() {
    String xdg = System.getenv("XDG_CONFIG_HOME");
    Path config =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".config");
    return new Systemd(
        false,
        config.resolve("systemd/user").resolve(UNIT),
        List.of("systemctl", "--user"),
        System.getProperty("user.name"));
  }

  /**
   * The system unit, run as the user who ran {@code sudo} ({@code SUDO_USER}), else as the user
   * running this command.
   */
  static Systemd system() {
    String sudoUser = System.getenv("SUDO_USER");
    String user =
        sudoUser != null && !sudoUser.isBlank() ? sudoUser : System.getProperty("user.name");
    return new Systemd(
        true, Path.of("/etc/systemd/system").resolve(UNIT), List.of("systemctl"), user);
  }

  /** Whether systemd manages this machine ({@code sd_booted(3)}'s test). */
  static boolean running() {
    return Files.isDirectory(Path.of("/run/systemd/system"));
  }

  boolean isSystem() {
    return system;
  }

  String runAs() {
    return runAs;
  }

  @Override
  public String kind() {
    return system ? "systemd-system" : "systemd-user";
  }

  @Override
  public String describe() {
    return (system ? "systemd system unit " : "systemd user unit ") + UNIT;
  }

  @Override
  public Optional<Path> unitFile() {
    return Optional.of(unitFile);
  }

  /** Whether the unit is written, for {@code home}. */
  boolean installedFor(HackHome home) {
    return servedHome().map(h -> h.equals(home.root())).orElse(false);
  }

  /** The {@code HACK_HOME} of the unit on disk, if there is one that names it. */
  Optional<Path> servedHome() {
    try {
      if (!Files.isRegularFile(unitFile)) {
        return Optional.empty();
      }
      for (String line : Files.readAllLines(unitFile, StandardCharsets.UTF_8)) {
        if (line.startsWith("Environment=")) {
          String assignment = unquote(line.substring("Environment=".length()).strip());
          if (assignment.startsWith("HACK_HOME=")) {
            return Optional.of(Path.of(assignment.substring("HACK_HOME=".length())));
          }
        }
      }
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // unreadable, or not ours: it runs no node of ours
    }
  }

  // ---- the unit

  @Override
  public String unitText(NodeLaunch launch) {
    StringBuilder u = new StringBuilder();
    u.append("# hack's node, written by `hack daemon install` (docs/daemon.md);\n");
    u.append("# `hack daemon uninstall` removes it. Edits are lost when it is installed again.\n");
    u.append("[Unit]\n");
    u.append("Description=")
        .append(specifiers("hack node (HACK_HOME=" + launch.home().root() + ")"))
        .append('\n');
    if (system) {
      // with --bind on a LAN or tailnet address, the address must be there first
      u.append("Wants=network-online.target\n");
      u.append("After=network-online.target\n");
    }
    // a node that cannot start (a port in use) is tried 5 times, then left failed
    u.append("StartLimitIntervalSec=60\n");
    u.append("StartLimitBurst=5\n");
    u.append('\n');
    u.append("[Service]\n");
    u.append("Type=simple\n");
    if (system) {
      u.append("User=").append(specifiers(runAs)).append('\n');
    }
    for (Map.Entry<String, String> e : launch.env().entrySet()) {
      u.append("Environment=").append(quote(e.getKey() + "=" + e.getValue())).append('\n');
    }
    u.append("WorkingDirectory=~\n");
    u.append("ExecStart=");
    List<String> argv = launch.argv();
    for (int i = 0; i < argv.size(); i++) {
      if (i > 0) {
        u.append(' ');
      }
      u.append(quote(argv.get(i)).replace("$", "$$")); // no variable is expanded in a word
    }
    u.append('\n');
    u.append("Restart=on-failure\n");
    u.append("RestartSec=5s\n");
    u.append("# the JVM ends with 143 when SIGTERM has stopped the node cleanly\n");
    u.append("SuccessExitStatus=143\n");
    u.append("TimeoutStopSec=30s\n");
    u.append(
        "# only the node is stopped: a tmux server it started, and its sessions, keep running\n");
    u.append("KillMode=process\n");
    u.append('\n');
    u.append("[Install]\n");
    u.append("WantedBy=").append(system ? "multi-user.target" : "default.target").append('\n');
    return u.toString();
  }

  /**
   * One word or assignment as a unit file reads it: in double quotes with C escapes when it has
   * anything but plain characters, and {@code %} doubled (systemd's specifiers).
   *
   * @throws IllegalArgumentException for a control character, which no unit line can hold
   */
  static String quote(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        throw new IllegalArgumentException(
            "a unit file cannot hold a control character: "
                + dev.hack.node.api.Json.GSON.toJson(s));
      }
    }
    String escaped = specifiers(s);
    if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:=+,@%-]+")) {
      return escaped;
    }
    return "\"" + escaped.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String specifiers(String s) {
    return s.replace("%", "%%");
  }

  /** The inverse of {@link #quote}, for the lines this class wrote. */
  static String unquote(String s) {
    String t = s;
    if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
      StringBuilder out = new StringBuilder();
      for (int i = 1; i < t.length() - 1; i++) {
        char c = t.charAt(i);
        if (c == '\\' && i + 1 < t.length() - 1) {
          out.append(t.charAt(++i));
        } else {
          out.append(c);
        }
      }
      t = out.toString();
    }
    return t.replace("%%", "%");
  }

  // ---- systemctl

  /** What a program printed and how it ended. */
  record Result(int exit, String out) {}

  private Result systemctl(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(systemctl);
    cmd.addAll(List.of(args));
    return run(cmd, SYSTEMCTL_TIMEOUT);
  }

  /** Runs {@code cmd} with stdin closed, stdout and stderr together; bounded by {@code timeout}. */
  static Result run(List<String> cmd, Duration timeout) throws IOException {
    Process p;
    try {
      p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
    } catch (IOException e) {
      throw new IOException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(
            String.join(" ", cmd) + " did not finish in " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", cmd), e);
    }
    // the output is read after the exit: systemctl and launchctl print a few lines at most
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return new Result(p.exitValue(), out);
  }

  /** Runs {@code systemctl ARGS}; a failure is an exception with what systemctl said. */
  private void must(String... args) throws IOException {
    Result r = systemctl(args);
    if (r.exit() != 0) {
      String cmd = String.join(" ", systemctl) + " " + String.join(" ", args);
      String hint = "";
      if (!system && r.out().contains("bus")) {
        hint =
            "; systemctl --user needs your user manager: log in as yourself (ssh or a desktop;"
                + " su and sudo do not start one)";
      } else if (system && (r.out().contains("authentication") || r.out().contains("denied"))) {
        hint = "; run it as root: sudo " + cmd;
      }
      throw new IOException(
          cmd + " failed" + (r.out().isEmpty() ? "" : ": " + r.out().replace('\n', ' ')) + hint);
    }
  }

  @Override
  public Optional<Process> start(NodeLaunch launch) throws IOException {
    refreshJar(launch);
    resetFailed();
    must("start", UNIT);
    return Optional.empty();
  }

  @Override
  public void stop(RunningNode running) throws IOException {
    must("stop", UNIT);
  }

  @Override
  public boolean restart(NodeLaunch launch) throws IOException {
    refreshJar(launch);
    resetFailed();
    must("restart", UNIT);
    return true;
  }

  /**
   * Forgets that the unit failed, so that a start asked for by hand is made even after systemd gave
   * up restarting it (StartLimitBurst); a unit that has not failed is left as it is.
   */
  private void resetFailed() throws IOException {
    systemctl("reset-failed", UNIT); // fails when there is nothing to reset: fine
  }

  /**
   * A user unit runs the jar in the home: the hack that starts it puts its own jar there. A system
   * unit's jar is root's, changed only by installing again.
   */
  private void refreshJar(NodeLaunch launch) throws IOException {
    if (!system) {
      launch.installJar();
    }
  }

  @Override
  public Path jar(HackHome home) {
    return system ? SYSTEM_JAR : NodeLaunch.jarIn(home);
  }

  /**
   * The {@code HACK_HOME} a system unit serves when none is given: {@code ~USER/.hack}, the home
   * directory read from the user database ({@code getent passwd USER}).
   */
  static Path defaultHomeOf(String user) throws IOException {
    Result r = run(List.of("getent", "passwd", user), Duration.ofSeconds(10));
    String[] fields = r.out().split(":");
    if (r.exit() != 0 || fields.length < 6 || fields[5].isBlank()) {
      throw new IOException("no user " + user + " on this machine (getent passwd " + user + ")");
    }
    return Path.of(fields[5], ".hack");
  }

  @Override
  public Optional<String> state() {
    try {
      Result enabled = systemctl("is-enabled", UNIT);
      Result active = systemctl("show", "--property=ActiveState,SubState,MainPID", "--value", UNIT);
      List<String> values = active.out().lines().toList();
      String activeText =
          values.size() >= 2 ? values.get(0) + " (" + values.get(1) + ")" : active.out();
      return Optional.of(enabled.out() + ", " + activeText);
    } catch (IOException e) {
      return Optional.of("systemctl: " + e.getMessage());
    }
  }

  @Override
  public Optional<Long> mainPid() {
    try {
      Result r = systemctl("show", "--property=MainPID", "--value", UNIT);
      long pid = Long.parseLong(r.out().strip());
      return pid > 0 ? Optional.of(pid) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  // ---- install

  @Override
  public void install(NodeLaunch launch, PrintStream out) throws IOException {
    if (system && !"root".equals(System.getProperty("user.name"))) {
      throw new IOException(
          "--system writes " + unitFile + " and needs root: sudo hack daemon install --system");
    }
    Optional<Path> other = servedHome().filter(h -> !h.equals(launch.home().root()));
    if (other.isPresent()) {
      throw new IOException(
          unitFile
              + " already runs the node of "
              + other.get()
              + "; one unit per "
              + (system ? "machine" : "user")
              + ": remove it first with: HACK_HOME="
              + other.get()
              + " hack daemon uninstall"
              + (system ? " --system" : ""));
    }
    launch.installJar();
    Files.createDirectories(unitFile.getParent());
    Path tmp = unitFile.resolveSibling(unitFile.getFileName() + ".tmp");
    Files.writeString(tmp, unitText(launch), StandardCharsets.UTF_8);
    Files.move(tmp, unitFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    out.println("wrote " + unitFile);
    must("daemon-reload");
    must("enable", "--now", UNIT);
    if (system) {
      out.println(
          "enabled "
              + UNIT
              + ": systemd starts the node (as "
              + runAs
              + ") at boot, and again when it fails");
      return;
    }
    out.println(
        "enabled " + UNIT + ": systemd starts the node when you log in, and again when it fails");
    if (Files.exists(Path.of("/var/lib/systemd/linger", runAs))) {
      out.println("lingering is on for " + runAs + ": it also starts at boot, without a login");
    } else {
      out.println(
          "to start it at boot and keep it running after you log out (without that, systemd"
              + " stops it with your last session): loginctl enable-linger "
              + runAs);
    }
  }

  @Override
  public void uninstall(Path home, PrintStream out) throws IOException {
    if (!Files.exists(unitFile)) {
      out.println("no " + describe() + " is installed (" + unitFile + "); nothing to do");
      return;
    }
    if (system && !"root".equals(System.getProperty("user.name"))) {
      throw new IOException(
          "--system removes " + unitFile + " and needs root: sudo hack daemon uninstall --system");
    }
    Optional<Path> served = servedHome();
    if (served.isPresent() && !served.get().equals(home)) {
      throw new IOException(
          unitFile
              + " runs the node of "
              + served.get()
              + ", not of "
              + home
              + "; to remove it: HACK_HOME="
              + served.get()
              + " hack daemon uninstall"
              + (system ? " --system" : ""));
    }
    must("disable", "--now", UNIT);
    Files.delete(unitFile);
    must("daemon-reload");
    out.println("stopped and disabled " + UNIT + ", removed " + unitFile);
  }
}
