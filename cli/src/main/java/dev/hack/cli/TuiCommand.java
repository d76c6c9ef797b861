package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.config.ConfigFile;
import dev.hack.tui.TerminalTui;
import dev.hack.tui.TuiOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.client.channel.ChannelExec;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.NonBlockingInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hack tui}: every node and session on one screen. The terminal is in raw mode ({@code stty
 * raw -echo}, restored from {@code stty -g} on every way out) for the whole run; JLine only reports
 * the size and SIGWINCH; Lanterna draws through streams.
 *
 * <p>Threads: the caller's thread renders; {@code tui-keys} reads the keyboard; {@code tui-io-N}
 * talk to the nodes and run attaches.
 */
@Command(
    name = "tui",
    description =
        "Full-screen view of every node and session: Enter attaches, Ctrl-\\ comes back, q quits.",
    mixinStandardHelpOptions = true)
final class TuiCommand implements Callable<Integer> {
  @Option(
      names = "--no-mouse",
      description = "leave the mouse to the terminal (text selection); also: config tui.mouse")
  boolean noMouse;

  @Option(
      names = "--refresh",
      paramLabel = "DURATION",
      defaultValue = "2s",
      description = "how often the nodes are asked (default: ${DEFAULT-VALUE})")
  String refresh;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "5s",
      description =
          "how long a node may take before it is shown offline (default: ${DEFAULT-VALUE})")
  String timeout;

  @Override
  public Integer call() throws Exception {
    HackHome home = HackHome.fromEnvironment();
    Duration every = NodeCommand.Durations.parse(refresh);
    Duration limit = NodeCommand.Durations.parse(timeout);
    if (every.isZero() || limit.isZero()) {
      throw new IllegalArgumentException("--refresh and --timeout must be more than 0");
    }
    boolean mouse = !noMouse && new ConfigFile(home.config()).getBoolean("tui.mouse", true);
    TuiOptions options = new TuiOptions(true, mouse, every, limit).forEnvironment(System.getenv());
    Nodes nodes = new Nodes(home);
    if (System.console() == null) {
      throw new IllegalArgumentException("the TUI needs a terminal (run it in one, not a pipe)");
    }
    // saved before JLine opens the terminal: JLine's attribute round trip loses the line speed
    // and discipline here, and `stty -g` restores every field exactly
    String saved = Attacher.stty("-g").strip();
    Terminal term = TerminalBuilder.builder().system(true).provider("exec").dumb(true).build();
    AtomicInteger n = new AtomicInteger();
    ExecutorService io =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "tui-io-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    RegistryBackend backend = null;
    TuiKeyboard keys = null;
    // while the TUI owns the screen, log lines (a peer's connection reset, say) go to a file:
    // written over the screen they garbled it until the next full redraw
    java.io.PrintStream stderr = System.err;
    java.io.PrintStream log = openLog(home);
    try {
      System.setErr(log);
      if (Terminal.TYPE_DUMB.equals(term.getType())
          || Terminal.TYPE_DUMB_COLOR.equals(term.getType())
          || term.getWidth() <= 0) {
        throw new IllegalArgumentException("the TUI needs a terminal (run it in one, not a pipe)");
      }
      backend =
          new RegistryBackend(nodes, io, limit, term.output(), term::getWidth, term::getHeight);
      TerminalTui tui =
          TerminalTui.onStream(
              backend, io, term.output(), term.getWidth(), term.getHeight(), options);
      keys = new TuiKeyboard((NonBlockingInputStream) term.input(), tui);
      backend.keyboard(keys);
      TuiKeyboard k = keys;
      term.handle(
          Terminal.Signal.WINCH,
          s -> {
            tui.resize(term.getWidth(), term.getHeight());
            ChannelExec ch = k.attachedChannel();
            if (ch != null) {
              try {
                ch.sendWindowChange(term.getWidth(), term.getHeight());
              } catch (IOException e) {
                // the channel is closing; the TUI has the new size
              }
            }
          });
      Attacher.stty("raw", "-echo"); // no ISIG: Ctrl-C and Ctrl-\ arrive as keys
      keys.start();
      tui.run();
      return 0;
    } finally {
      if (keys != null) {
        keys.close();
      }
      if (backend != null) {
        backend.close();
      }
      io.shutdownNow();
      term.close();
      Attacher.stty(saved);
      System.setErr(stderr);
      log.close();
    }
  }

  /**
   * {@code HACK_HOME/tui.log} (0600), appended to; the log lines of the last runs. A log that
   * cannot be opened (a full or read-only disk) never keeps the TUI from starting: its lines are
   * dropped then, rather than drawn over the screen.
   */
  private static java.io.PrintStream openLog(HackHome home) {
    java.io.OutputStream out;
    try {
      dev.hack.keys.FileModes.ensurePrivateDir(home.root());
      java.nio.file.Path file = home.root().resolve("tui.log");
      out =
          java.nio.file.Files.newOutputStream(
              file,
              java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.APPEND);
      java.nio.file.Files.setPosixFilePermissions(
          file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | UnsupportedOperationException e) {
      out = java.io.OutputStream.nullOutputStream();
    }
    return new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8);
  }
}
