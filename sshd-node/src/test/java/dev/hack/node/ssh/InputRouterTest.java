package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hack.node.api.PtySize;
import dev.hack.node.supervisor.Attachment;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one rule for keys, for a plain attach and the picker alike. */
class InputRouterTest {
  private static final class Recorder implements Attachment {
    final ByteArrayOutputStream got = new ByteArrayOutputStream();

    @Override
    public void input(byte[] data, int off, int len) {
      got.write(data, off, len);
    }

    @Override
    public void resize(PtySize size) {}

    @Override
    public void detach() {}

    String text() {
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  private static void type(InputRouter r, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    r.input(b, 0, b.length);
  }

  @Test
  void heldKeysComeFirstThenTheSessionGetsWhatIsBeforeTheDetachKeyAndTheAppWhatIsAfter() {
    List<Attachment> left = new ArrayList<>();
    InputRouter r = new InputRouter(left::add);
    ByteArrayOutputStream app = new ByteArrayOutputStream();
    type(r, "typed while attaching ");
    Recorder s = new Recorder();
    r.toSession(s);
    r.release();
    type(r, "ls\r\u001cq");
    assertThat(s.text()).isEqualTo("typed while attaching ls\r");
    assertThat(left).containsExactly(s);
    assertThat(r.session()).isNull();
    r.toApp(app::write); // the picker takes keys from here (a plain attach never does)
    type(r, "j");
    assertThat(app.toString(StandardCharsets.UTF_8)).isEqualTo("j");

    // the picker attaches again: keys after the detach key in the same packet are the app's
    Recorder again = new Recorder();
    r.hold();
    r.toSession(again);
    r.release();
    type(r, "x\u001ck");
    assertThat(again.text()).isEqualTo("x");
    assertThat(app.toString(StandardCharsets.UTF_8)).isEqualTo("jk");
  }

  @Test
  void withoutADetachKeyEveryByteIsTheSessionsAndHeldKeysAreBounded() {
    InputRouter r = new InputRouter(a -> {});
    r.detachKey(-1);
    type(r, "a".repeat(InputRouter.MAX_HELD));
    type(r, "dropped");
    Recorder s = new Recorder();
    r.toSession(s);
    r.release();
    type(r, "\u001c");
    assertThat(s.text()).hasSize(InputRouter.MAX_HELD + 1).endsWith("a\u001c");
  }
}
