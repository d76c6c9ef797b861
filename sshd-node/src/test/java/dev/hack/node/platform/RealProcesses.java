package dev.hack.node.platform;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import dev.hack.node.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the platform tests share: real programs on a real PTY, and what Linux's {@code /proc} says
 * about a process (the tests' own view, to check the platforms' answers against).
 */
final class RealProcesses {
  static final Duration TIMEOUT = Duration.ofSeconds(20);

  private RealProcesses() {}

  /**
   * Fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, …); null if gone.
   */
  static List<String> stat(long pid) throws IOException {
    String text;
    try {
      text = Files.readString(Path.of("/proc/" + pid + "/stat"));
    } catch (NoSuchFileException e) {
      return null;
    }
    return List.of(text.substring(text.lastIndexOf(')') + 2).trim().split(" "));
  }

  /** The command name in /proc/PID/stat, or null if gone. */
  static String command(long pid) throws IOException {
    try {
      String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return text.substring(text.indexOf('(') + 1, text.lastIndexOf(')'));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** An interactive bash with job control on a PTY of its own, no rc files, a plain prompt. */
  static PtyProcess interactiveShell() throws IOException {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("TERM", "dumb");
    env.put("PS1", "$ ");
    return new PtyProcessBuilder(new String[] {"bash", "--norc", "--noprofile", "-i"})
        .setEnvironment(env)
        .setInitialColumns(80)
        .setInitialRows(24)
        .start();
  }

  /** Everything the PTY prints, read by a daemon thread, for waiting on text. */
  static final class Output {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Output(InputStream in) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[4096];
                try {
                  for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (bytes) {
                      bytes.write(buf, 0, n);
                    }
                  }
                } catch (IOException e) {
                  // the PTY closed: all there was is in bytes
                }
              },
              "test-pty-output");
      t.setDaemon(true);
      t.start();
    }

    String text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }

    void await(String what) throws Exception {
      Poll.until(TIMEOUT, "'" + what + "' in " + text(), () -> text().contains(what));
    }
  }

  /** Runs {@code argv} to its end (bounded) and returns its exit status and output. */
  static Ran run(List<String> argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(argv + " did not end");
    }
    return new Ran(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  record Ran(int status, String output) {}
}
