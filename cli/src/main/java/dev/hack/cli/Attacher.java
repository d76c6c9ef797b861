package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.api.ExitCodes;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.DetachKeys;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.common.util.io.output.NoCloseOutputStream;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.NonBlockingReader;

/**
 * Puts this terminal in raw mode and connects it to a node command on a PTY ({@code attach}, {@code
 * new --attach}): keys go to the session, window size changes follow, and the terminal is restored
 * on every way out. When the connection drops, {@code attach} says so and reconnects with backoff
 * until it is back or you press the detach key.
 *
 * <p>Threads: the caller's thread runs connections; {@code attach-keys} reads the keyboard for the
 * whole attach and hands keys to whichever channel is current.
 */
final class Attacher {
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  private final Terminal term;
  private final int detachKey;
  private volatile ChannelExec current;
  private volatile boolean gaveUp;
  private volatile boolean done;

  private Attacher(Terminal term, int detachKey) {
    this.term = term;
    this.detachKey = detachKey;
  }

  /**
   * Runs {@code words} on {@code node} attached to this terminal.
   *
   * @param reconnect whether a dropped connection is retried (true for attach; false for new
   *     --attach, which must not start a second session)
   */
  static int attach(String node, List<String> words, String detachKeySpec, boolean reconnect)
      throws IOException {
    int detachKey = detachKeySpec == null ? DetachKeys.DEFAULT : DetachKeys.parse(detachKeySpec);
    Nodes nodes = new Nodes(HackHome.fromEnvironment());
    nodes.resolve(node); // a bad node name fails before the terminal is touched
    // saved before JLine opens the terminal: on Linux, JLine's JNA attribute round trip loses
    // the line speed and discipline, and `stty -g` restores every field exactly
    String saved = System.console() == null ? null : stty("-g").strip();
    Terminal term = TerminalBuilder.builder().system(true).provider("exec").dumb(true).build();
    Attacher a = new Attacher(term, detachKey);
    try {
      if (Terminal.TYPE_DUMB.equals(term.getType())
          || Terminal.TYPE_DUMB_COLOR.equals(term.getType())
          || term.getWidth() <= 0) {
        throw new IllegalArgumentException("attach needs a terminal (run it in one, not a pipe)");
      }
      return a.loop(nodes, node, CommandLines.join(words), reconnect);
    } finally {
      a.done = true;
      term.close();
      if (saved != null) {
        stty(saved);
      }
    }
  }

  private int loop(Nodes nodes, String node, String command, boolean reconnect) throws IOException {
    Terminal.SignalHandler previous =
        term.handle(
            Terminal.Signal.WINCH,
            s -> {
              ChannelExec ch = current;
              if (ch != null) {
                try {
                  ch.sendWindowChange(term.getWidth(), term.getHeight());
                } catch (IOException e) {
                  // the channel is closing; the next one starts at the new size
                }
              }
            });
    boolean raw = false;
    Thread keys = null;
    try {
      int attempt = 0;
      while (true) {
        Nodes.Ref ref;
        String lost;
        try {
          ref = nodes.resolve(node); // again each time: a restarted local node has a new port
          try (NodeClient client = nodes.connect(ref)) {
            ChannelExec ch = open(client, command);
            if (!raw) {
              stty("raw", "-echo");
              raw = true;
              keys = new Thread(this::pumpKeys, "attach-keys");
              keys.setDaemon(true);
              keys.start();
            }
            current = ch;
            attempt = 0;
            ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), 0L);
            current = null;
            Integer code = ch.getExitStatus();
            if (code != null && !(reconnect && code == ExitCodes.NODE_STOPPING)) {
              return code; // detached, the session ended, or the node refused with a message
            }
            // the node said it is stopping (a restart, an upgrade): its session may go on
            lost = code != null ? ref.name() + " stopped" : "lost the connection to " + ref.name();
          }
        } catch (IOException e) {
          if (!raw || !reconnect) {
            throw e; // never connected: a plain error, the terminal untouched
          }
          lost = e.getMessage();
        }
        if (!reconnect) {
          say("\r\n[hack: " + lost + "]\r\n");
          return 255;
        }
        attempt++;
        Duration wait =
            Duration.ofMillis(Math.min(MAX_BACKOFF.toMillis(), 500L << Math.min(attempt - 1, 5)));
        say(
            "\r\n[hack: "
                + lost
                + "; reconnecting in "
                + (wait.toMillis() < 1000 ? wait.toMillis() + " ms" : wait.toSeconds() + " s")
                + " (attempt "
                + attempt
                + "); press the detach key to give up]\r\n");
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
          if (gaveUp) {
            say("[hack: gave up reconnecting; the session may still be running]\r\n");
            return 255;
          }
          sleep(50);
        }
      }
    } finally {
      done = true;
      if (keys != null) {
        keys.interrupt();
      }
      term.handle(Terminal.Signal.WINCH, previous);
      term.flush();
    }
  }

  private ChannelExec open(NodeClient client, String command) throws IOException {
    Map<String, String> env = new HashMap<>();
    System.getenv()
        .forEach(
            (k, v) -> {
              if (k.equals("LANG") || k.startsWith("LC_")) {
                env.put(k, v);
              }
            });
    ChannelExec ch = client.openPty(command, term.getWidth(), term.getHeight(), env);
    OutputStream screen = term.output();
    ch.setOut(new NoCloseOutputStream(screen));
    ch.setErr(new NoCloseOutputStream(screen));
    ch.open().verify(Nodes.CONNECT_TIMEOUT);
    return ch;
  }

  private void say(String text) {
    try {
      term.output().write(text.getBytes(StandardCharsets.UTF_8));
      term.output().flush();
    } catch (IOException e) {
      // the terminal is gone: nobody to tell
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Keys to the current channel; while disconnected, only the detach key means something. */
  private void pumpKeys() {
    NonBlockingReader reader = term.reader();
    try {
      while (!done && !Thread.currentThread().isInterrupted()) {
        int c = reader.read(100L);
        if (c == NonBlockingReader.READ_EXPIRED) {
          continue;
        }
        if (c < 0) {
          break;
        }
        ChannelExec ch = current;
        if (ch == null) {
          if (c == detachKey) {
            gaveUp = true;
          }
          continue;
        }
        try {
          OutputStream remote = ch.getInvertedIn();
          remote.write(new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8));
          remote.flush();
        } catch (IOException e) {
          // that channel just closed; the key is lost with it, as with ssh
        }
      }
    } catch (IOException e) {
      // the terminal closed: the attach is over
    }
  }

  static String stty(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("stty");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectInput(new java.io.File("/dev/tty"));
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("stty " + String.join(" ", args) + " failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }
}
