package dev.hack.node.service;

import dev.hack.node.api.PtySize;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import dev.hack.node.supervisor.Attachment;
import dev.hack.node.supervisor.Sink;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An attach to a session on a peer, through this node: an SSH channel with a PTY from this node to
 * the owner running {@code attach ID}, piped to the client's channel (one hop). The client's window
 * changes go to the owner; the detach key is handled here (the owner's is turned off), so detaching
 * closes only the hop. Output waits for the client when it falls more than 1 MiB behind, which
 * holds up only this hop's own connection.
 */
final class HopAttachment implements Attachment {
  private static final Logger LOG = LoggerFactory.getLogger(HopAttachment.class);
  private static final long MAX_PENDING = 1 << 20;

  private final NodeClient client;
  private final ChannelExec channel;
  private volatile OutputStream toOwner; // the channel's input, once it is open
  private final Sink out;
  private final Object flow = new Object();
  private long pending; // guarded by flow
  private volatile boolean detached;

  private HopAttachment(NodeClient client, ChannelExec channel, Sink out) throws IOException {
    this.client = client;
    this.channel = channel;
    this.out = out;
  }

  /**
   * Connects to the owner and attaches; {@code onEnd} runs when the owner's side ends (the session
   * exited, or the owner went away), not on {@link #detach}.
   */
  static HopAttachment open(
      NodeClient client,
      String id,
      boolean readOnly,
      PtySize size,
      Map<String, String> env,
      Sink out,
      Consumer<End> onEnd)
      throws IOException {
    List<String> words = new ArrayList<>(List.of("attach", id, "--detach-key", "none"));
    if (readOnly) {
      words.add("--read-only");
    }
    ChannelExec ch = client.openPty(CommandLines.join(words), size.columns(), size.rows(), env);
    HopAttachment hop;
    try {
      hop = new HopAttachment(client, ch, out);
      ch.setOut(hop.fromOwner());
      ch.setErr(hop.fromOwner());
      ch.open().verify(Duration.ofSeconds(10));
      hop.toOwner = ch.getInvertedIn();
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
    Thread waiter =
        new Thread(
            () -> {
              ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), 0);
              Integer code = ch.getExitStatus();
              if (!hop.detached) {
                hop.close();
                onEnd.accept(new End(code != null, code));
              }
            },
            "hop-" + id);
    waiter.setDaemon(true);
    waiter.start();
    return hop;
  }

  /** The owner's output: handed to the client's sink, waiting while 1 MiB is unsent. */
  private OutputStream fromOwner() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        synchronized (flow) {
          while (pending > MAX_PENDING && !detached) {
            try {
              flow.wait(1000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("interrupted");
            }
          }
          pending += len;
        }
        out.send(
            b,
            off,
            len,
            () -> {
              synchronized (flow) {
                pending -= len;
                flow.notifyAll();
              }
            });
      }
    };
  }

  @Override
  public void input(byte[] data, int off, int len) {
    OutputStream to = toOwner;
    if (to == null) {
      return;
    }
    try {
      to.write(data, off, len);
      to.flush();
    } catch (IOException e) {
      LOG.debug("input through the hop: {}", e.toString());
    }
  }

  @Override
  public void resize(PtySize size) {
    try {
      channel.sendWindowChange(size.columns(), size.rows());
    } catch (IOException e) {
      LOG.debug("resize through the hop: {}", e.toString());
    }
  }

  @Override
  public void detach() {
    detached = true;
    close();
  }

  private void close() {
    synchronized (flow) {
      flow.notifyAll();
    }
    channel.close(true);
    client.close();
  }
}
