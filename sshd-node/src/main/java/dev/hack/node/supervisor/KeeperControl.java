package dev.hack.node.supervisor;

import com.google.gson.JsonElement;
import dev.hack.node.platform.Platform;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The keeper seen from outside a node: whether one runs for a home, what it holds, and ending it
 * with every program it holds ({@code hack daemon stop --end-sessions}). Never starts one.
 */
public final class KeeperControl {
  private KeeperControl() {}

  /**
   * A running keeper.
   *
   * @param pid its process id
   * @param version the protocol it and this build both speak
   * @param sessions how many programs it holds, running or ended while no node held them
   * @param running how many of them still run
   */
  public record Info(long pid, int version, int sessions, int running) {}

  /** The keeper listening at {@code socket}, or empty when none answers. */
  public static Optional<Info> info(Path socket) {
    try (KeeperClient c = KeeperClient.connect(socket)) {
      int sessions = 0;
      int running = 0;
      for (JsonElement e : c.list()) {
        sessions++;
        if (e.getAsJsonObject().get("alive").getAsBoolean()) {
          running++;
        }
      }
      return Optional.of(new Info(c.keeperPid(), c.version(), sessions, running));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Ends every program the keeper at {@code socket} holds, and the keeper. Run it after the node
   * has stopped: a running node would find its sessions ended.
   *
   * <p>Waits (up to 10 s) for the keeper's process to end.
   *
   * @return how many programs still ran, or empty when no keeper answered
   * @throws IOException when a keeper answered but could not be shut down
   */
  public static Optional<Integer> shutdown(Path socket) throws IOException {
    KeeperClient c;
    try {
      c = KeeperClient.connect(socket);
    } catch (IOException e) {
      return Optional.empty();
    }
    long pid = c.keeperPid();
    int ended;
    try (c) {
      ended = c.shutdown();
    }
    // not ProcessHandle.onExit: it waits for the reaper too (Platform.isRunning)
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (Platform.current().isRunning(pid) && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break; // it answered and is on its way out; nothing more to wait for
      }
    }
    return Optional.of(ended);
  }
}
