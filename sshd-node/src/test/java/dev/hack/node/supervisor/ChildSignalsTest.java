package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * A node started with SIGHUP ignored ({@code nohup hack node serve}) must not pass the ignoring on:
 * its sessions' shells would outlive a hangup, and the grace would end in SIGKILL.
 */
class ChildSignalsTest {
  @Test
  void aSignalThisProcessIgnoresIsTheDefaultAgainInItsPrograms() throws Exception {
    Signal hup = new Signal("HUP");
    SignalHandler before = Signal.handle(hup, SignalHandler.SIG_IGN); // as nohup leaves it
    try {
      // the ignoring is inherited: the child survives its own SIGHUP
      assertThat(hangUpItself()).isEqualTo("survived");
      resetFor();
      // now it is the default in the child: SIGHUP ends it
      assertThat(hangUpItself()).isEqualTo("ended by SIGHUP");
    } finally {
      Signal.handle(hup, before);
    }
  }

  private static void resetFor() throws Exception {
    // a fresh run of the check (once per process otherwise)
    java.lang.reflect.Field done = ChildSignals.class.getDeclaredField("done");
    done.setAccessible(true);
    done.setBoolean(null, false);
    ChildSignals.resetForChildren();
  }

  private static String hangUpItself() throws Exception {
    Process p =
        new ProcessBuilder("sh", "-c", "kill -HUP $$; echo survived")
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return p.exitValue() == 129 ? "ended by SIGHUP" : out;
  }
}
