package dev.hack.node.supervisor;

import dev.hack.node.platform.Posix;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread, {@code pty-poll}, that waits with {@code poll(2)} on the PTY master of every session
 * and reads each as its program writes, as tmux's and sshd's event loops do: no thread per session
 * at rest. A session {@link #watch}es its descriptor with a {@link Reader}, which the poller calls
 * on its own thread each time the descriptor is readable (or hung up); the reader reads once and
 * says whether to go on watching. A reader that must wait (pacing, the program's exit) stops being
 * watched and hands the waiting to another thread, which watches again when done.
 *
 * <p>A descriptor is {@link #forget}ten before it is closed: the poller never polls or reads a
 * descriptor number after its close, which the next PTY may reuse.
 */
final class PtyPoller {
  private static final Logger LOG = LoggerFactory.getLogger(PtyPoller.class);

  /** The node's poller, started on first use. */
  static final PtyPoller SHARED = new PtyPoller("pty-poll");

  /** Called on the poller's thread when the descriptor is readable. */
  interface Reader {
    /** Reads what is there; whether the poller should go on watching the descriptor. */
    boolean readable();
  }

  private final Object lock = new Object();
  private final Map<Integer, Reader> watched = new HashMap<>(); // guarded by lock
  private long generation; // guarded by lock: bumped by each forget
  private long served = -1; // guarded by lock: the generation the poll set under way was made at
  private boolean wakePending; // guarded by lock
  private boolean changed = true; // guarded by lock: watched differs from the last poll set
  private int wakeRead = -1;
  private int wakeWrite = -1;
  private Thread thread;
  private final String name;

  /** A poller whose thread, started on first use, is called {@code name}. */
  PtyPoller(String name) {
    this.name = name;
  }

  /** Watches {@code fd} until its reader says otherwise or it is forgotten. */
  void watch(int fd, Reader reader) {
    synchronized (lock) {
      start();
      watched.put(fd, reader);
      changed = true;
    }
    wake();
  }

  /**
   * Stops watching {@code fd} and returns once the poller will neither poll it nor call its reader
   * again, so that the caller may close it. On the poller's own thread (a reader closing its
   * descriptor) it returns at once: the iteration under way calls each reader only while it is
   * still the one watched.
   */
  void forget(int fd) {
    long mine;
    synchronized (lock) {
      if (thread == null) {
        return;
      }
      if (watched.remove(fd) != null) {
        changed = true;
      }
      mine = ++generation;
      if (Thread.currentThread() == thread) {
        return;
      }
    }
    wake();
    synchronized (lock) {
      boolean interrupted = false;
      while (served < mine) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** How many descriptors it watches now (tests, status). */
  int watching() {
    synchronized (lock) {
      return watched.size();
    }
  }

  private void start() {
    if (thread != null) {
      return;
    }
    int[] pipe = new int[2];
    if (Posix.pipeCloseOnExec(pipe) != 0) {
      throw new IllegalStateException("pipe failed: errno " + Posix.errno());
    }
    wakeRead = pipe[0];
    wakeWrite = pipe[1];
    thread = new Thread(this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void wake() {
    synchronized (lock) {
      if (wakePending || wakeWrite < 0) {
        return;
      }
      wakePending = true;
    }
    Posix.write(wakeWrite, new byte[] {1}, 1);
  }

  private void loop() {
    byte[] drain = new byte[64];
    int[] fds = new int[0];
    Reader[] readers = new Reader[0];
    int[] pollfds = new int[2];
    while (true) {
      synchronized (lock) {
        // a new turn: the last one's readers have all returned, and this one's poll set is made
        // after every forget so far, so those forgets are done
        served = generation;
        lock.notifyAll();
        if (changed) { // the set is copied only when it changed, not on every output chunk
          changed = false;
          fds = new int[watched.size()];
          readers = new Reader[fds.length];
          int i = 0;
          for (Map.Entry<Integer, Reader> e : watched.entrySet()) {
            fds[i] = e.getKey();
            readers[i++] = e.getValue();
          }
          pollfds = new int[2 * (fds.length + 1)];
          pollfds[0] = wakeRead;
          for (int j = 0; j < fds.length; j++) {
            pollfds[2 * (j + 1)] = fds[j];
          }
        }
      }
      for (int j = 0; j <= fds.length; j++) {
        pollfds[2 * j + 1] = Posix.POLLIN; // events; the kernel's revents from the last turn go
      }
      int n = Posix.poll(pollfds, fds.length + 1, -1);
      if (n < 0) {
        int errno = Posix.errno();
        if (errno != Posix.EINTR) {
          LOG.warn("poll failed: errno {}", errno);
          sleepQuietly();
        }
      } else {
        if ((pollfds[1] >>> 16) != 0) {
          // drained first, then marked: a wake that wrote meanwhile is either drained now or
          // still in the pipe for the next poll, never lost
          Posix.read(wakeRead, drain, drain.length);
          synchronized (lock) {
            wakePending = false;
          }
        }
        for (int i = 0; i < fds.length; i++) {
          if ((pollfds[2 * (i + 1) + 1] >>> 16) == 0) {
            continue;
          }
          synchronized (lock) {
            if (watched.get(fds[i]) != readers[i]) {
              continue; // forgotten, or another reader's now
            }
          }
          boolean keep;
          try {
            keep = readers[i].readable();
          } catch (RuntimeException e) {
            LOG.warn("{}: a reader failed: {}", name, e.toString());
            keep = false;
          }
          if (!keep) {
            synchronized (lock) {
              if (watched.remove(fds[i], readers[i])) {
                changed = true;
              }
            }
          }
        }
      }
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
