package dev.hack.node.supervisor;

import dev.hack.node.platform.Platform;
import dev.hack.node.platform.Posix;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for the ends of the programs this process started on PTYs ({@link LocalPty}) and reaps
 * them, with no thread per program: each program's exit descriptor (Linux: a pidfd) is watched by
 * one poller thread, {@code pty-exits}, which reaps the program the moment it ends, as sshd's and
 * tmux's event loops do with SIGCHLD. pty4j's own process object kept a reaper thread per program
 * for as long as it ran, and 1,000 programs ending at once woke 1,000 threads.
 *
 * <p>Where the system has no exit descriptor (macOS, Linux before 5.3), a thread per program waits
 * in {@code waitpid(2)}, as pty4j's did.
 */
final class ChildExits {
  private static final Logger LOG = LoggerFactory.getLogger(ChildExits.class);

  private static final PtyPoller POLLER = new PtyPoller("pty-exits");

  private ChildExits() {}

  /**
   * Watches child {@code pid} (this process's own, not yet reaped) until it ends, then reaps it.
   * The future completes with its exit code, 128+N when killed by signal N, or -1 when it could not
   * be read. It completes on the watching thread: what depends on it must not block.
   */
  static CompletableFuture<Integer> watch(long pid) {
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    // nothing else reaps our children, so this descriptor is the child's even if it has ended
    OptionalInt descriptor = Platform.current().exitDescriptor(pid);
    if (descriptor.isPresent()) {
      int fd = descriptor.getAsInt();
      POLLER.watch(
          fd,
          () -> {
            OptionalInt code = Platform.current().reap(fd);
            if (code.isEmpty()) {
              // readable means ended; only a wait elsewhere in this process could have taken it
              LOG.warn("program {} ended but its exit status could not be read", pid);
            }
            POLLER.forget(fd); // on the poller's own thread: returns at once
            Posix.close(fd);
            exit.complete(code.orElse(-1));
            return false;
          });
      return exit;
    }
    Thread t = new Thread(() -> exit.complete(Posix.waitForExit(pid)), "pty-reap-" + pid);
    t.setDaemon(true);
    t.start();
    return exit;
  }
}
