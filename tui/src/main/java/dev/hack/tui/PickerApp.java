package dev.hack.tui;

import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.PtySize;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session picker that a node serves to {@code ssh -t NODE} with no command: the TUI on the
 * channel, over this node's sessions. Give it to the node with {@code
 * NodeSshServer.Settings.withShellApp}.
 *
 * <p>Threads: each channel gets a render thread {@code picker-N}, which ends when the user quits
 * (then the SSH session ends with status 0) or the client leaves. Backend calls for all channels
 * run on one cached pool of daemon threads {@code picker-io-N}, idle ones ending after a minute.
 */
public final class PickerApp implements ChannelApp.Factory {
  private static final Logger LOG = LoggerFactory.getLogger(PickerApp.class);
  private static final AtomicInteger PICKERS = new AtomicInteger();

  private final TuiOptions options;
  private final ExecutorService io;

  public PickerApp(TuiOptions options) {
    this.options = options;
    AtomicInteger n = new AtomicInteger();
    this.io =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "picker-io-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public ChannelApp start(ChannelApp.Channel channel) throws IOException {
    PtySize size = channel.size();
    TerminalTui tui =
        TerminalTui.onSink(
            new ChannelBackend(channel, io),
            io,
            channel::send,
            size.columns(),
            size.rows(),
            options.forEnvironment(channel.env()));
    Thread t =
        new Thread(
            () -> {
              try {
                tui.run();
              } catch (IOException | RuntimeException e) {
                LOG.warn("the session picker failed", e);
              } finally {
                channel.exit(0);
              }
            },
            "picker-" + PICKERS.incrementAndGet());
    t.setDaemon(true);
    t.start();
    return new ChannelApp() {
      @Override
      public void input(byte[] data, int off, int len) {
        tui.input(data, off, len);
      }

      @Override
      public void resize(PtySize newSize) {
        tui.resize(newSize.columns(), newSize.rows());
      }

      @Override
      public void close() {
        tui.close();
      }
    };
  }
}
