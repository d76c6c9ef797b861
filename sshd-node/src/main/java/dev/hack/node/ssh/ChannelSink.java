package dev.hack.node.ssh;

import dev.hack.node.supervisor.Sink;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * A {@link Sink} over an SSH channel's asynchronous output: never blocks the caller. MINA allows
 * one outstanding write per stream; sends that arrive while one is outstanding (a closing message
 * after a follower's last chunk) wait here in order.
 */
final class ChannelSink implements Sink {
  private final IoOutputStream out;
  private final Deque<Object[]> queue = new ArrayDeque<>();
  private boolean writing;
  private boolean broken;

  ChannelSink(IoOutputStream out) {
    this.out = out;
  }

  @Override
  public void send(byte[] data, int off, int len, Runnable onSent) {
    byte[] copy = Arrays.copyOfRange(data, off, off + len);
    synchronized (this) {
      if (broken) {
        return;
      }
      if (writing) {
        queue.addLast(new Object[] {copy, onSent});
        return;
      }
      writing = true;
    }
    write(copy, onSent);
  }

  private void write(byte[] data, Runnable onSent) {
    try {
      out.writeBuffer(new ByteArrayBuffer(data))
          .addListener(
              f -> {
                if (!f.isWritten()) {
                  synchronized (this) {
                    broken = true; // the channel is closing; destroy() detaches this client
                    queue.clear();
                  }
                  return;
                }
                Object[] next;
                synchronized (this) {
                  next = queue.pollFirst();
                  if (next == null) {
                    writing = false;
                  }
                }
                onSent.run();
                if (next != null) {
                  write((byte[]) next[0], (Runnable) next[1]);
                }
              });
    } catch (IOException e) {
      synchronized (this) {
        broken = true;
        queue.clear();
      }
    }
  }
}
