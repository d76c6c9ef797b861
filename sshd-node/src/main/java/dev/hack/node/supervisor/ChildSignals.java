package dev.hack.node.supervisor;

import dev.hack.node.platform.Platform;
import dev.hack.node.platform.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the programs a node or keeper starts get the signals a terminal's programs get. A
 * signal ignored when a process starts stays ignored in every program it execs: a node started with
 * {@code nohup} would start shells that ignore {@code SIGHUP} (so closing their terminal or
 * stopping the session cannot end them politely, and they are killed after the grace), and one
 * started with {@code &} from a script (where the shell ignores {@code SIGINT} and {@code SIGQUIT}
 * for background commands) would start programs that Ctrl-C cannot interrupt. The JVM cannot undo
 * that itself ({@code sun.misc.Signal.handle} leaves an ignored signal ignored). A caught signal,
 * by contrast, is reset to its default by exec: so each of {@code SIGHUP}, {@code SIGINT} and
 * {@code SIGQUIT} that this process ignores is caught instead by a handler that does nothing
 * ({@link Posix#catchWithNothing}). This process goes on ignoring it, as it was asked; its programs
 * get the default.
 */
public final class ChildSignals {
  private static final Logger LOG = LoggerFactory.getLogger(ChildSignals.class);
  private static final String[] SIGNALS = {"HUP", "INT", "QUIT"};
  private static boolean done;

  private ChildSignals() {}

  /** Once per process, before it starts programs. */
  public static synchronized void resetForChildren() {
    if (done) {
      return;
    }
    done = true;
    for (String name : SIGNALS) {
      int sig = Platform.current().signalNumber(name);
      if (Posix.ignores(sig)) {
        if (Posix.catchWithNothing(sig)) {
          LOG.info(
              "SIG{} was ignored when this process started; its programs get the default", name);
        } else {
          LOG.warn("SIG{} is ignored and stays ignored in the programs this process starts", name);
        }
      }
    }
  }
}
