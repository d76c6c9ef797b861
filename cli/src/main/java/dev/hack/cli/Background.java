package dev.hack.cli;

import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.node.platform.Platform;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * No service manager: hack starts the node itself, detached from the terminal it was started from,
 * and stops it with SIGTERM. What keeps it alive after its starter is gone:
 *
 * <ul>
 *   <li>the platform's new-session helper ({@link Platform#newSessionCommand}: {@code setsid} on
 *       Linux, Perl's {@code POSIX::setsid} on macOS, which has no {@code setsid} command) gives it
 *       a session of its own with no controlling terminal: a terminal or SSH connection that closes
 *       sends SIGHUP to its own session, and Ctrl-C in it goes to its own foreground group, never
 *       to the node;
 *   <li>{@code node serve --log-file} catches SIGHUP and does nothing with it, where a node in a
 *       terminal ends: a SIGHUP sent to the group that started it, or to it, does nothing. This is
 *       what holds, once the JVM has started, where there is no helper. (Not {@code nohup}: a
 *       signal ignored when the JVM starts stays ignored in every program the node starts, so
 *       sessions would not end on a hangup; a caught one is reset by exec.)
 *   <li>its stdin is {@code /dev/null} and its stdout and stderr go to {@code node.log}, so it
 *       never touches the terminal; {@code node serve --log-file} then writes and rotates that log;
 *   <li>it runs in the user's home directory, so that it keeps no other directory busy, with the
 *       starter's environment minus what belonged to the terminal or SSH connection ({@link
 *       #TERMINAL_ENV}).
 * </ul>
 *
 * <p>Nothing restarts it when it fails; {@code hack daemon install} hands it to a service manager
 * that does.
 */
final class Background implements ServiceManager {
  /**
   * Variables that describe the terminal, SSH connection or multiplexer the node was started from,
   * which are gone soon after; sessions inherit the node's environment and must not see them.
   */
  static final List<String> TERMINAL_ENV =
      List.of("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "TMUX", "TMUX_PANE", "STY", "WINDOWID");

  private final HackHome home;

  Background(HackHome home) {
    this.home = home;
  }

  @Override
  public String kind() {
    return "none";
  }

  @Override
  public String describe() {
    return "hack itself (no service manager)";
  }

  @Override
  public Path jar(HackHome home) {
    return NodeLaunch.jarIn(home);
  }

  @Override
  public Optional<Process> start(NodeLaunch launch) throws IOException {
    return Optional.of(spawn(launch, List.of()));
  }

  /**
   * Starts a node that waits up to {@code within} for the one running now to end and then takes
   * over its home ({@code node serve --take-over}): a restart's new node starts while the old one
   * still serves.
   */
  Process startTakingOver(NodeLaunch launch, java.time.Duration within) throws IOException {
    return spawn(launch, List.of("--take-over", within.toMillis() + "ms"));
  }

  private Process spawn(NodeLaunch launch, List<String> extra) throws IOException {
    launch.installJar();
    Path log = NodeLaunch.log(home);
    FileModes.ensurePrivateDir(home.daemonDir());
    if (!Files.exists(log)) {
      Files.createFile(
          log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    List<String> argv = new ArrayList<>(Platform.current().newSessionCommand());
    argv.addAll(launch.argv());
    argv.addAll(extra);
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .directory(new File(System.getProperty("user.home")))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    TERMINAL_ENV.forEach(env::remove);
    env.putAll(launch.env());
    launch.remember();
    return pb.start();
  }

  /** An executable called {@code name} in a directory of {@code PATH}. */
  static Optional<String> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /**
   * SIGTERM to the node, after checking that its pid is still that node ({@link
   * RunningNode#notThisNode}): never a signal to a program that merely got its pid.
   */
  @Override
  public void stop(RunningNode running) throws IOException {
    Optional<String> not = running.notThisNode();
    if (not.isPresent()) {
      throw new IOException(
          home.nodeFile()
              + " names pid "
              + running.pid()
              + ", but "
              + not.get()
              + "; not signalling it");
    }
    ProcessHandle.of(running.pid()).ifPresent(ProcessHandle::destroy);
  }

  @Override
  public boolean restart(NodeLaunch launch) {
    return false;
  }

  @Override
  public Optional<String> state() {
    return Optional.empty();
  }

  @Override
  public Optional<Path> unitFile() {
    return Optional.empty();
  }

  @Override
  public Optional<Long> mainPid() {
    return Optional.empty();
  }

  @Override
  public String unitText(NodeLaunch launch) {
    throw new UnsupportedOperationException("hack itself has no unit file");
  }

  @Override
  public void install(NodeLaunch launch, PrintStream out) throws IOException {
    throw new UnsupportedOperationException("hack itself has no unit to install");
  }

  @Override
  public void uninstall(Path home, PrintStream out) {
    throw new UnsupportedOperationException("hack itself has no unit to uninstall");
  }
}
