package dev.hack.node.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real terminal for end-to-end tests: a tmux server of its own (separate from any node's) whose
 * one window runs a client program (e.g. {@code ssh -tt}); keys go in with send-keys, the screen
 * comes out with capture-pane.
 */
public final class TmuxTerminal implements AutoCloseable {
  private final Path socket;

  private TmuxTerminal(Path socket) {
    this.socket = socket;
  }

  public static TmuxTerminal start(int columns, int rows, List<String> argv) throws IOException {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "hack-term");
    TmuxTerminal t = new TmuxTerminal(dir.resolve("t"));
    List<String> args =
        new ArrayList<>(
            List.of(
                "new-session",
                "-d",
                "-x",
                String.valueOf(columns),
                "-y",
                String.valueOf(rows),
                "-s",
                "term"));
    args.add(String.join(" ", argv.stream().map(TmuxTerminal::quote).toList()));
    t.tmux(args.toArray(String[]::new));
    t.tmux("set-option", "-t", "term", "remain-on-exit", "on");
    return t;
  }

  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Types keys, in tmux send-keys syntax (e.g. "echo hi", "Enter", "C-\\"). */
  public void keys(String... keys) throws IOException {
    List<String> args = new ArrayList<>(List.of("send-keys", "-t", "term"));
    args.addAll(List.of(keys));
    tmux(args.toArray(String[]::new));
  }

  /** Types literal text. */
  public void type(String text) throws IOException {
    tmux("send-keys", "-t", "term", "-l", text);
  }

  public String screen() throws IOException {
    return tmux("capture-pane", "-p", "-t", "term");
  }

  public void resize(int columns, int rows) throws IOException {
    tmux("resize-window", "-t", "term", "-x", String.valueOf(columns), "-y", String.valueOf(rows));
  }

  /** Whether the terminal is showing its alternate screen (a full-screen program's). */
  public boolean alternateScreen() throws IOException {
    return tmux("display-message", "-p", "-t", "term", "#{alternate_on}").strip().equals("1");
  }

  /** The cursor's column and row, from 0. */
  public String cursor() throws IOException {
    return tmux("display-message", "-p", "-t", "term", "#{cursor_x},#{cursor_y}").strip();
  }

  /** Whether the program in the window has exited. */
  public boolean exited() throws IOException {
    return tmux("display-message", "-p", "-t", "term", "#{pane_dead}").strip().equals("1");
  }

  /** Waits for {@code text} on the screen; a timeout's message shows the screen as it was. */
  public String waitFor(String text, Duration timeout) throws Exception {
    try {
      return Poll.until(
          timeout,
          "screen to show " + text,
          () -> {
            String s = screen();
            return s.contains(text) ? s : null;
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the screen:\n" + screen(), e);
    }
  }

  String tmux(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("TMUX");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    try {
      tmux("kill-server");
    } catch (IOException e) {
      // already gone
    }
  }
}
