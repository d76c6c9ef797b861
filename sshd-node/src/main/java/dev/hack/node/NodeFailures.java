package dev.hack.node;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a node thread dies of something nobody caught. A node that goes on after one of
 * its threads died is half alive: the supervisor's poll, an SSH command worker or MINA's timer once
 * died of an {@code OutOfMemoryError} and {@code status} hung until a restart. So a periodic task
 * that throws an exception is logged and runs again at its next turn (the part restarts), and an
 * {@link Error}, or any throwable that reaches the top of a thread, ends the process with {@link
 * #EXIT_STATUS} after saying why, so that the service manager starts a whole node again. ({@code
 * scripts/hack node serve} also runs the JVM with {@code -XX:+ExitOnOutOfMemoryError}, for memory
 * running out where a library catches the error.)
 */
public final class NodeFailures {
  private static final Logger LOG = LoggerFactory.getLogger(NodeFailures.class);

  /** The exit status of a node that ended because a thread died (EX_SOFTWARE). */
  public static final int EXIT_STATUS = 70;

  /** How long the node's shutdown may take before the process is halted anyway. */
  static final Duration SHUTDOWN_LIMIT = Duration.ofSeconds(10);

  private static final CountDownLatch FATAL = new CountDownLatch(1);
  private static volatile String why;

  private NodeFailures() {}

  /**
   * Makes any throwable that reaches the top of a thread end the process: the node's {@code serve}
   * calls this once. The threads that exit and, if shutting down hangs, halt are made here, before
   * anything can fail, because a JVM out of memory may not be able to start one.
   */
  public static synchronized void exitOnUncaught() {
    if (Thread.getDefaultUncaughtExceptionHandler() instanceof Handler) {
      return;
    }
    Thread exit =
        new Thread(
            () -> {
              awaitFatal();
              System.err.println("hack: " + why);
              System.exit(EXIT_STATUS); // runs the shutdown hooks: the node closes its sessions
            },
            "node-fatal-exit");
    exit.setDaemon(true);
    Thread halt =
        new Thread(
            () -> {
              awaitFatal();
              try {
                Thread.sleep(SHUTDOWN_LIMIT.toMillis());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              Runtime.getRuntime().halt(EXIT_STATUS);
            },
            "node-fatal-halt");
    halt.setDaemon(true);
    exit.start();
    halt.start();
    Thread.setDefaultUncaughtExceptionHandler(new Handler());
  }

  private static void awaitFatal() {
    while (true) {
      try {
        FATAL.await();
        return;
      } catch (InterruptedException e) {
        // nothing interrupts these threads on purpose; keep waiting
      }
    }
  }

  private static final class Handler implements Thread.UncaughtExceptionHandler {
    @Override
    public void uncaughtException(Thread t, Throwable e) {
      if (FATAL.getCount() == 0) {
        return; // already ending
      }
      why =
          "node thread "
              + t.getName()
              + " died of "
              + e
              + "; the node exits with status "
              + EXIT_STATUS
              + " so that its service manager starts it again";
      try {
        LOG.error(why, e);
      } catch (Throwable ignored) {
        // out of memory, a log line may fail too; the exit thread prints why on stderr
      }
      FATAL.countDown();
    }
  }

  /**
   * {@code task}, for a scheduled executor: an exception is logged and the task runs again at its
   * next turn (a {@code ScheduledExecutorService} silently stops a periodic task that throws); an
   * {@link Error} is handed to the thread's uncaught-exception handler, which ends the node.
   *
   * @param part what the task does, for the log: {@code "session poll"}
   */
  public static Runnable guarded(String part, Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.warn("{} failed; it runs again at its next turn", part, e);
      } catch (Error e) {
        Thread t = Thread.currentThread();
        Thread.UncaughtExceptionHandler h = t.getUncaughtExceptionHandler();
        if (h != null) {
          h.uncaughtException(t, e);
        }
        throw e;
      }
    };
  }
}
