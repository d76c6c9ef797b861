package dev.hack.node.supervisor;

import dev.hack.node.api.PtySize;
import dev.hack.node.platform.Platform;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A program the keeper holds, seen from the node: a duplicate of the keeper's PTY master, read and
 * written here like a {@link LocalPty}. The keeper is the program's parent, so its exit comes as
 * the keeper's {@code exited} event. Releasing it (the node stops or restarts) leaves the program
 * running, its output drained into the log by the keeper.
 */
final class KeptPty extends Pty {
  private final KeeperClient keeper;
  private final String id;
  private final long pid;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();

  KeptPty(KeeperClient keeper, String id, long pid, int fd) {
    super(fd);
    this.keeper = keeper;
    this.id = id;
    this.pid = pid;
  }

  @Override
  long pid() {
    return pid;
  }

  void exited(int code) {
    exit.complete(code);
  }

  /** The keeper is gone: the exit status can no longer be known. */
  void keeperGone() {
    if (!Platform.current().isRunning(pid)) {
      exit.complete(null);
    }
  }

  @Override
  void resize(PtySize size) {
    if (closed) {
      return;
    }
    // the kernel tells the foreground group (SIGWINCH)
    Platform.current().setWindowSize(fd, size.columns(), size.rows());
  }

  @Override
  boolean isAlive() {
    if (exit.isDone()) {
      return false;
    }
    return Platform.current().isRunning(pid);
  }

  @Override
  Integer waitFor(Duration timeout) throws InterruptedException {
    try {
      return exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    }
  }

  @Override
  CompletableFuture<Integer> onExit() {
    return exit;
  }

  @Override
  boolean survivesNode() {
    return true;
  }

  @Override
  void release() {
    if (closeFd()) {
      exit.complete(null); // a reader waiting for the exit stops waiting: the node lets go
      keeper.release(id);
    }
  }

  /** The session is done with it: the keeper ends the program if it runs, and forgets it. */
  @Override
  public void close() {
    if (closeFd()) {
      keeper.forget(id, pid);
    }
  }
}
