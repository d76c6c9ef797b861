package dev.hack.node.supervisor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The tmux command line, on the user's default server or on the socket given. Every call is bounded
 * by a timeout; none is made while holding a session lock.
 */
final class Tmux {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final String FORMAT =
      String.join(
          "\t",
          "#{session_name}",
          "#{session_created}",
          "#{session_attached}",
          "#{window_width}",
          "#{window_height}",
          "#{pane_pid}",
          "#{pane_dead}",
          "#{pane_dead_status}",
          "#{pane_current_path}",
          "#{pane_start_command}");

  /** One tmux session as {@code list-sessions} reports it (its first window's first pane). */
  record Listed(
      String name,
      long created,
      int attached,
      int width,
      int height,
      long panePid,
      boolean paneDead,
      Integer deadStatus,
      String path,
      String startCommand) {}

  private final Path socket;

  /**
   * @param socket tmux server socket, or null for the user's default server
   */
  Tmux(Path socket) {
    this.socket = socket;
  }

  /** The argv that runs tmux with {@code args} against this server. */
  List<String> command(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("tmux");
    if (socket != null) {
      cmd.add("-S");
      cmd.add(socket.toString());
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Environment for tmux clients: never nested inside the node's own tmux, if it has one. */
  static Map<String, String> clientEnv(Map<String, String> base) {
    Map<String, String> env = new HashMap<>(base);
    env.remove("TMUX");
    env.remove("TMUX_PANE");
    return env;
  }

  boolean available() {
    try {
      run("-V");
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Every session on the server; empty when no server runs. */
  List<Listed> list() throws IOException {
    Result r = exec(command("list-sessions", "-F", FORMAT));
    if (r.code != 0) {
      if (r.err.contains("no server running")
          || r.err.contains("No such file")
          || r.err.contains("error connecting")) {
        return List.of();
      }
      throw new IOException("tmux list-sessions failed: " + r.err.strip());
    }
    List<Listed> out = new ArrayList<>();
    for (String line : r.out.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length < 10) {
        continue;
      }
      out.add(
          new Listed(
              f[0],
              parseLong(f[1]),
              (int) parseLong(f[2]),
              (int) parseLong(f[3]),
              (int) parseLong(f[4]),
              parseLong(f[5]),
              "1".equals(f[6]),
              f[7].isEmpty() ? null : (int) parseLong(f[7]),
              f[8],
              f[9]));
    }
    return out;
  }

  boolean has(String name) throws IOException {
    return exec(command("has-session", "-t", "=" + name)).code == 0;
  }

  /** Runs tmux with {@code args}; returns stdout or throws with tmux's own error message. */
  String run(String... args) throws IOException {
    Result r = exec(command(args));
    if (r.code != 0) {
      throw new IOException("tmux " + args[0] + ": " + r.err.strip());
    }
    return r.out;
  }

  private record Result(int code, String out, String err) {}

  private static Result exec(List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("TMUX");
    pb.environment().remove("TMUX_PANE");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    try {
      // tmux output is small; read both streams fully before waiting (no pipe-full deadlock for
      // the sizes list-sessions produces)
      String out = readAll(p.getInputStream());
      String err = readAll(p.getErrorStream());
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("tmux did not answer within " + TIMEOUT.toSeconds() + " s");
      }
      return new Result(p.exitValue(), out, err);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running tmux", e);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** tmux forbids '.' and ':' in session names (they separate window and pane). */
  static String nameFor(String sessionId) {
    return sessionId.replace('.', '_').replace(':', '_');
  }

  /** Single-quotes {@code s} for /bin/sh (tmux runs pipe-pane and commands through a shell). */
  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
