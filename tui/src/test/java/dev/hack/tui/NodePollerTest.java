package dev.hack.tui;

import static dev.hack.tui.FakeBackend.session;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The poller alone: backend calls wait in {@link #io} until run, their answers wait in {@link
 * #answers} until delivered, in any order, as a slow I/O pool would deliver them.
 */
class NodePollerTest {
  private final FakeBackend backend =
      new FakeBackend().node("alpha", session("build", "running", "")).node("beta");
  private final ArrayDeque<Runnable> io = new ArrayDeque<>();
  private final List<Runnable> answers = new ArrayList<>();
  private final List<String> told = new ArrayList<>();
  private Instant now = Instant.parse("2026-01-01T00:05:00Z");

  private final Clock clock =
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

  private final NodePoller poller =
      new NodePoller(
          backend,
          io::add,
          answers::add,
          TuiOptions.defaults(),
          clock,
          new NodePoller.Listener() {
            @Override
            public void listed(List<NodeState> nodes) {
              told.add("listed " + nodes.stream().map(NodeState::name).toList());
            }

            @Override
            public void changed(List<NodeState> nodes) {
              told.add("changed");
            }

            @Override
            public void failed(String message) {
              told.add("failed " + message);
            }
          });

  /** Lists the nodes and asks each once; their answers are left waiting. */
  private void listed() {
    poller.tick();
    io.poll().run(); // the listing
    deliver(0); // asks alpha and beta
    assertThat(told).containsExactly("listed [alpha, beta]");
    told.clear();
  }

  /** Runs every backend call waiting; their answers wait in {@link #answers}. */
  private void runCalls() {
    while (!io.isEmpty()) {
      io.poll().run();
    }
  }

  private void deliver(int answer) {
    answers.remove(answer).run();
  }

  private List<String> sessionsOf(String node) {
    return poller.nodes().stream()
        .filter(n -> n.name().equals(node))
        .findFirst()
        .orElseThrow()
        .sessions()
        .stream()
        .map(r -> r.info().id())
        .toList();
  }

  private NodeState node(String name) {
    return poller.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aStaleAnswerArrivingAfterANewerOneIsIgnored() {
    listed();
    runCalls(); // alpha answers [build], beta [] ; both still on their way
    answers.remove(1); // beta's, not needed here
    backend.sessions.get("alpha").add(session("web", "running", ""));
    poller.refresh("alpha"); // a newer question, asked after web started
    runCalls();
    deliver(1); // the newer answer first
    assertThat(sessionsOf("alpha")).containsExactly("build", "web");
    assertThat(told).containsExactly("changed");
    deliver(0); // then the older one, late: dropped, and nobody told
    assertThat(sessionsOf("alpha")).containsExactly("build", "web");
    assertThat(told).containsExactly("changed");
  }

  @Test
  void anOlderAnswerCountsWhileNothingNewerHasBeenApplied() {
    listed();
    runCalls();
    answers.remove(1);
    backend.sessions.get("alpha").add(session("web", "running", ""));
    poller.refresh("alpha");
    runCalls();
    deliver(0); // the first question's answer, before the second's: the newest so far
    assertThat(sessionsOf("alpha")).containsExactly("build");
    assertThat(node("alpha").reach()).isEqualTo(NodeState.Reach.ONLINE);
    deliver(0);
    assertThat(sessionsOf("alpha")).containsExactly("build", "web");
  }

  @Test
  void pollAsksOnlyWhenNoQuestionIsOutButRefreshAsksAnyway() {
    listed(); // a question to alpha and one to beta are out
    poller.poll("alpha");
    assertThat(io).hasSize(2);
    poller.refresh("alpha");
    assertThat(io).hasSize(3);
    runCalls();
    assertThat(backend.calls).containsExactly("sessions alpha", "sessions beta", "sessions alpha");
    deliver(2); // the last question out is answered: poll asks again
    poller.poll("alpha");
    assertThat(io).hasSize(1);
  }

  @Test
  void aSessionJustStartedStaysListedUntilAnAnswerNewerThanIt() {
    listed();
    runCalls(); // alpha's answer, read before web started, is on its way
    List<NodeState> nodes =
        poller.started(
            "alpha", new Backend.SessionRow(FakeBackend.info("web", "running", null, true), ""));
    assertThat(nodes.get(0).sessions()).extracting(r -> r.info().id()).contains("web");
    assertThat(told).isEmpty(); // the caller selects it; no one else is told
    deliver(0); // asked before web started: web stays listed
    assertThat(sessionsOf("alpha")).containsExactly("build", "web");
    poller.refresh("alpha"); // asked after: its answer is the truth (web is gone by now)
    runCalls();
    deliver(answers.size() - 1);
    assertThat(sessionsOf("alpha")).containsExactly("build");
  }

  @Test
  void aNodeSilentPastTheTimeoutIsOfflineAndItsLateAnswerStillCounts() {
    listed();
    runCalls();
    now = now.plus(Duration.ofSeconds(6));
    poller.tick();
    assertThat(node("alpha").reach()).isEqualTo(NodeState.Reach.OFFLINE);
    assertThat(node("alpha").error()).isEqualTo("no answer within 5 s");
    assertThat(told).contains("changed");
    deliver(0);
    assertThat(node("alpha").reach()).isEqualTo(NodeState.Reach.ONLINE);
    assertThat(node("alpha").lastSeen()).isEqualTo(now);
    assertThat(sessionsOf("alpha")).containsExactly("build");
  }

  @Test
  void aFailedAnswerShowsTheNodeOfflineWithTheReason() {
    backend.offline.add("beta");
    listed();
    runCalls();
    deliver(1);
    assertThat(node("beta").reach()).isEqualTo(NodeState.Reach.OFFLINE);
    assertThat(node("beta").error()).isEqualTo("cannot reach beta: Connection refused");
    assertThat(node("alpha").reach()).isEqualTo(NodeState.Reach.CONNECTING);
  }

  @Test
  void aNodeKeepsWhatItKnowsWhenTheRegistryIsListedAgain() {
    listed();
    runCalls();
    deliver(0);
    answers.clear();
    backend.sessions.remove("beta");
    backend.node("gamma");
    now = now.plus(Duration.ofSeconds(2));
    poller.tick();
    io.poll().run();
    deliver(0);
    assertThat(told).contains("listed [alpha, gamma]");
    assertThat(node("alpha").reach()).isEqualTo(NodeState.Reach.ONLINE);
    assertThat(sessionsOf("alpha")).containsExactly("build");
    assertThat(node("gamma").reach()).isEqualTo(NodeState.Reach.CONNECTING);
  }
}
