package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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
 * on every way out.
 */
final class Attacher {
  private Attacher() {}

  static int attach(String node, List<String> words) throws IOException {
    Nodes nodes = new Nodes(HackHome.fromEnvironment());
    Nodes.Ref ref = nodes.resolve(node);
    // saved before JLine opens the terminal: on Linux, JLine's own attribute round trip loses
    // the line speed and discipline, and `stty -g` restores every field exactly
    String saved = System.console() == null ? null : stty("-g").strip();
    Terminal term = TerminalBuilder.builder().system(true).provider("exec").dumb(true).build();
    try {
      if (Terminal.TYPE_DUMB.equals(term.getType())
          || Terminal.TYPE_DUMB_COLOR.equals(term.getType())
          || term.getWidth() <= 0) {
        throw new IllegalArgumentException("attach needs a terminal (run it in one, not a pipe)");
      }
      try (NodeClient client = nodes.connect(ref)) {
        return run(client, term, CommandLines.join(words));
      }
    } finally {
      term.close();
      if (saved != null) {
        stty(saved);
      }
    }
  }

  private static int run(NodeClient client, Terminal term, String command) throws IOException {
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
    stty("raw", "-echo");
    Terminal.SignalHandler previous =
        term.handle(
            Terminal.Signal.WINCH,
            s -> {
              try {
                ch.sendWindowChange(term.getWidth(), term.getHeight());
              } catch (IOException e) {
                // the channel is closing; nothing to resize
              }
            });
    Thread keys = new Thread(() -> pumpKeys(term, ch), "attach-keys");
    keys.setDaemon(true);
    keys.start();
    try {
      ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), 0L);
      Integer code = ch.getExitStatus();
      return code == null ? 1 : code;
    } finally {
      keys.interrupt();
      term.handle(Terminal.Signal.WINCH, previous);
      term.flush();
      ch.close(true);
    }
  }

  /**
   * Raw mode is set with {@code stty raw -echo}, as OpenSSH's client sets it (cfmakeraw): unlike
   * JLine's enterRawMode it also turns off ISIG, so Ctrl-C and Ctrl-\\ reach the session instead of
   * signalling this process, and OPOST, since the session's own terminal already translated its
   * newlines.
   */
  private static String stty(String... args) throws IOException {
    List<String> cmd = new java.util.ArrayList<>();
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

  private static void pumpKeys(Terminal term, ChannelExec ch) {
    NonBlockingReader reader = term.reader();
    OutputStream remote = ch.getInvertedIn();
    try {
      while (!Thread.currentThread().isInterrupted() && ch.isOpen()) {
        int c = reader.read(100L);
        if (c == NonBlockingReader.READ_EXPIRED) {
          continue;
        }
        if (c < 0) {
          break;
        }
        String s = new String(Character.toChars(c));
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        remote.write(b);
        remote.flush();
      }
    } catch (IOException e) {
      // the channel closed: the attach is over
    }
  }
}
