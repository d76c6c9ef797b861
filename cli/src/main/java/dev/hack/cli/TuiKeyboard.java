package dev.hack.cli;

import dev.hack.node.client.DetachKeys;
import dev.hack.tui.TerminalTui;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import org.apache.sshd.client.channel.ChannelExec;
import org.jline.utils.NonBlockingInputStream;

/**
 * The one reader of the local terminal for the whole of {@code hack tui}: {@code tui-keys} reads
 * raw bytes and hands them to the TUI, or, while a session is attached, to its SSH channel. The
 * detach key ({@code Ctrl-\}) is caught here, so the node never prints a detach message and the TUI
 * gets the terminal straight back.
 *
 * <p>Keys typed while an attach is connecting are kept (up to 64 KiB) and go to the session once it
 * is open, as with {@code hack session attach}.
 */
final class TuiKeyboard implements AutoCloseable {
  private static final int DETACH = DetachKeys.DEFAULT;
  private static final int MAX_PENDING = 64 * 1024;

  private final NonBlockingInputStream in;
  private final TerminalTui tui;
  private Thread thread;
  private volatile boolean closed;

  // guarded by this
  private boolean attaching;
  private ChannelExec channel;
  private ByteArrayOutputStream pending;
  private CompletableFuture<Void> detachPressed;

  TuiKeyboard(NonBlockingInputStream in, TerminalTui tui) {
    this.in = in;
    this.tui = tui;
  }

  void start() {
    thread = new Thread(this::pump, "tui-keys");
    thread.setDaemon(true);
    thread.start();
  }

  /** Keys go to the session being opened from now on; returns what completes on the detach key. */
  synchronized CompletableFuture<Void> attachStarting() {
    attaching = true;
    channel = null;
    pending = new ByteArrayOutputStream();
    detachPressed = new CompletableFuture<>();
    return detachPressed;
  }

  /** The session's channel is open: what was typed meanwhile goes to it, then every key. */
  void attachOpened(ChannelExec ch) {
    byte[] early;
    synchronized (this) {
      if (!attaching || detachPressed.isDone()) {
        return;
      }
      channel = ch;
      early = pending.toByteArray();
      pending = null;
    }
    if (early.length > 0) {
      write(ch, early, 0, early.length);
    }
  }

  /** The session has let go of the terminal: keys are the TUI's again. */
  synchronized void attachEnded() {
    attaching = false;
    channel = null;
    pending = null;
  }

  /** The session's channel is gone and another is being opened: keys are kept until then. */
  synchronized void reconnecting() {
    if (attaching) {
      channel = null;
      pending = new ByteArrayOutputStream();
    }
  }

  /** The channel a window change must reach, or null. */
  synchronized ChannelExec attachedChannel() {
    return channel;
  }

  private void pump() {
    byte[] buf = new byte[4096];
    try {
      while (!closed) {
        int n = in.readBuffered(buf, 100L);
        if (n == NonBlockingInputStream.READ_EXPIRED || n == 0) {
          continue;
        }
        if (n < 0) {
          break; // the terminal is gone
        }
        route(buf, 0, n);
      }
    } catch (IOException e) {
      // the terminal closed: nothing more to read
    } finally {
      if (!closed) {
        tui.close();
      }
    }
  }

  private void route(byte[] buf, int off, int len) {
    ChannelExec ch;
    synchronized (this) {
      if (!attaching) {
        tui.input(buf, off, len);
        return;
      }
      ch = channel;
      for (int i = off; i < off + len; i++) {
        if ((buf[i] & 0xff) == DETACH) {
          if (ch != null) {
            write(ch, buf, off, i - off);
          }
          attaching = false;
          channel = null;
          pending = null;
          detachPressed.complete(null);
          if (i + 1 < off + len) {
            tui.input(buf, i + 1, off + len - i - 1);
          }
          return;
        }
      }
      if (ch == null) {
        if (pending.size() + len <= MAX_PENDING) {
          pending.write(buf, off, len);
        }
        return;
      }
    }
    write(ch, buf, off, len);
  }

  private static void write(ChannelExec ch, byte[] b, int off, int len) {
    if (len == 0) {
      return;
    }
    try {
      OutputStream remote = ch.getInvertedIn();
      remote.write(b, off, len);
      remote.flush();
    } catch (IOException e) {
      // that channel just closed; the keys are lost with it, as with ssh
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
