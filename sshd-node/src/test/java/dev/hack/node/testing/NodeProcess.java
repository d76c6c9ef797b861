package dev.hack.node.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node running {@link NodeMain} in a separate JVM, so that a test can kill it with SIGKILL the
 * way a crash or the OOM killer would. The JVM gets this JVM's class path; its stderr (warnings and
 * logs) goes to a file for diagnosis. The caller owns the process: {@link #close} ends it.
 */
public final class NodeProcess implements AutoCloseable {
  /**
   * JVM options for a node that serves a test for a few seconds: it starts sooner on C1 alone and
   * the serial collector, and it is CPU that the other processes of the test (the test's JVM, ssh,
   * tmux) then have; what the node does is the same.
   */
  private static final List<String> FAST_START =
      List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData");

  private static final Pattern LISTENING = Pattern.compile("ssh listening on (\\S+):(\\d+)");

  private final Process process;
  private final Path log;
  private final String host;
  private final int port;

  private NodeProcess(Process process, Path log, String host, int port) {
    this.process = process;
    this.log = log;
    this.host = host;
    this.port = port;
  }

  /**
   * Starts a node on {@code home} and {@code tmuxSocket} and waits until it listens.
   *
   * @param log where the node's stderr goes (appended)
   * @throws IOException if the node does not report its address within {@code timeout}
   */
  public static NodeProcess start(Path home, Path tmuxSocket, Path log, Duration timeout)
      throws IOException {
    return start(home, tmuxSocket, log, timeout, List.of());
  }

  /** As {@link #start(Path, Path, Path, Duration)}, with these JVM options too. */
  public static NodeProcess start(
      Path home, Path tmuxSocket, Path log, Duration timeout, List<String> jvmOptions)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(FAST_START); // before the caller's options, which may override them
    cmd.addAll(jvmOptions);
    String ptyTmp = System.getProperty("pty4j.tmpdir");
    if (ptyTmp != null) {
      cmd.add("-Dpty4j.tmpdir=" + ptyTmp);
    }
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            NodeMain.class.getName(),
            home.toString(),
            tmuxSocket.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process p = pb.start();
    CompletableFuture<Matcher> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> readStdout(p, listening), "node-process-stdout-" + p.pid());
    reader.setDaemon(true);
    reader.start();
    try {
      Matcher m = listening.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new NodeProcess(p, log, m.group(1), Integer.parseInt(m.group(2)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while starting the node", e);
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new IOException(
          "node did not report 'ssh listening on' within "
              + timeout
              + "; its stderr:\n"
              + tail(log),
          e);
    }
  }

  /** Completes {@code listening} with the first matching line, then drains the rest. */
  private static void readStdout(Process p, CompletableFuture<Matcher> listening) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        Matcher m = LISTENING.matcher(line);
        if (!listening.isDone() && m.find()) {
          listening.complete(m);
        }
      }
    } catch (IOException e) {
      // the process ended: whoever waits learns it below
    }
    listening.completeExceptionally(new IOException("node process ended: " + p.info()));
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  /** Waits up to {@code timeout} for the node to end by itself; returns its exit status. */
  public int waitForExit(Duration timeout) throws IOException {
    awaitExit(timeout);
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The node's stderr so far. */
  public String log() {
    return tail(log);
  }

  /** Kills the node's JVM with SIGKILL (no shutdown hooks run) and waits for it to be gone. */
  public void kill9() throws IOException {
    process.destroyForcibly(); // SIGKILL on Unix
    awaitExit(Duration.ofSeconds(10));
  }

  private void awaitExit(Duration timeout) throws IOException {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("node process " + process.pid() + " did not end in " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the node to end", e);
    }
  }

  /**
   * Ends the node gracefully (SIGTERM: it closes and marks its PTY sessions lost), and with SIGKILL
   * if it has not ended after 10 s. Idempotent.
   */
  @Override
  public void close() throws IOException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      awaitExit(Duration.ofSeconds(10));
    } catch (IOException e) {
      kill9();
    }
  }
}
