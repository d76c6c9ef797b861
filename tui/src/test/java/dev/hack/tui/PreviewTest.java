package dev.hack.tui;

import static dev.hack.tui.FakeBackend.session;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The preview alone, over a real selection: backend calls wait in {@link #io} until run. */
class PreviewTest {
  private final FakeBackend backend = new FakeBackend();
  private final ArrayDeque<Runnable> io = new ArrayDeque<>();
  private Instant now = Instant.parse("2026-01-01T00:05:00Z");
  private Preview preview;
  private final Selection sel = new Selection(() -> preview.changed());

  PreviewTest() {
    Clock clock =
        new Clock() {
          @Override
          public ZoneOffset getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now;
          }
        };
    preview = new Preview(backend, io::add, Runnable::run, sel, Duration.ofSeconds(2), clock);
  }

  private static NodeState node(String name, NodeState.Reach reach, Backend.SessionRow... rows) {
    return new NodeState(new Backend.NodeRef(name, "", null), reach, null, null, List.of(rows));
  }

  private void runCalls() {
    while (!io.isEmpty()) {
      io.poll().run();
    }
  }

  @Test
  void anAnswerForASessionNoLongerSelectedIsNotShownAndTheSelectedOneIsAsked() {
    sel.relist(
        List.of(
            node(
                "alpha",
                NodeState.Reach.ONLINE,
                session("build", "running", ""),
                session("shell1", "running", ""))));
    assertThat(preview.note()).isEqualTo("…");
    sel.move(1); // while build's screen is on its way
    assertThat(io).hasSize(1); // one request at a time
    runCalls();
    assertThat(backend.calls).containsExactly("screen build@alpha", "screen shell1@alpha");
    assertThat(preview.lines()).containsExactly("$ echo from shell1", "from shell1");
    assertThat(preview.note()).isNull();
  }

  @Test
  void followingTheLogAsksForTheLogEverySecondAndLeavingItForTheScreenAgain() {
    sel.relist(List.of(node("alpha", NodeState.Reach.ONLINE, session("build", "running", ""))));
    runCalls();
    preview.tick();
    runCalls();
    now = now.plus(Duration.ofSeconds(1));
    preview.tick(); // the screen is asked for every two seconds: not yet
    assertThat(io).isEmpty();
    preview.follow(true);
    assertThat(preview.lines()).isEmpty();
    runCalls();
    preview.tick();
    runCalls();
    now = now.plus(Duration.ofSeconds(1));
    preview.tick(); // the log every second
    runCalls();
    preview.follow(false);
    runCalls();
    assertThat(backend.calls)
        .containsExactly(
            "screen build@alpha",
            "screen build@alpha",
            "log build@alpha",
            "log build@alpha",
            "log build@alpha",
            "screen build@alpha");
  }

  @Test
  void whatIsNotAskedForSaysWhy() {
    Backend.SessionRow own =
        new Backend.SessionRow(FakeBackend.info("mine", "running", null, false), "");
    sel.relist(
        List.of(node("alpha", NodeState.Reach.ONLINE, own), node("beta", NodeState.Reach.ONLINE)));
    assertThat(preview.note()).isEqualTo("your own tmux session: no log kept; Enter attaches");
    sel.focus(Selection.Pane.NODES);
    sel.move(1);
    assertThat(preview.note()).isEqualTo("no sessions on beta; n starts one");
    assertThat(io).isEmpty();
    assertThat(backend.calls).isEmpty();
  }

  @Test
  void anEmptyScreenAndAFailureAreSaidInTheNote() {
    backend.screens.put("build", List.of());
    sel.relist(List.of(node("alpha", NodeState.Reach.ONLINE, session("build", "running", ""))));
    runCalls();
    assertThat(preview.note()).isEqualTo("(no output yet)");
    backend.previewError = "session build is gone";
    preview.request(false);
    runCalls();
    assertThat(preview.note()).isEqualTo("session build is gone");
  }
}
