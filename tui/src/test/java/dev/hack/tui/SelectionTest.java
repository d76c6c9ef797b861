package dev.hack.tui;

import static dev.hack.tui.FakeBackend.session;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The selection model alone: nodes handed to it as the poller would, no screen. */
class SelectionTest {
  private int shownChanges;
  private final Selection sel = new Selection(() -> shownChanges++);

  private static NodeState online(String name, String... ids) {
    return new NodeState(
        new Backend.NodeRef(name, "", null),
        NodeState.Reach.ONLINE,
        null,
        null,
        Arrays.stream(ids).map(id -> session(id, "running", "")).toList());
  }

  private static NodeState offline(String name) {
    return new NodeState(
        new Backend.NodeRef(name, "", null), NodeState.Reach.OFFLINE, null, "refused", List.of());
  }

  private String selected() {
    Selection.Row r = sel.selectedRow();
    return r == null ? null : r.session().info().id() + "@" + r.node().name();
  }

  private String selectedNode() {
    return sel.selectedNode().name();
  }

  @Test
  void theCursorStaysOnTheSameSessionWhenRowsReorder() {
    sel.relist(List.of(online("alpha", "build", "shell1"), online("beta", "agent")));
    sel.move(1);
    assertThat(selected()).isEqualTo("shell1@alpha");
    // alpha lists a new session first and its others in another order
    sel.update(List.of(online("alpha", "web", "shell1", "build"), online("beta", "agent")));
    assertThat(selected()).isEqualTo("shell1@alpha");
    // the registry now lists beta first: the node goes with its session
    sel.relist(List.of(online("beta", "agent"), online("alpha", "web", "shell1", "build")));
    assertThat(selected()).isEqualTo("shell1@alpha");
    assertThat(sel.nodeIndex()).isEqualTo(1);
    sel.move(1);
    assertThat(selected()).isEqualTo("build@alpha");
  }

  @Test
  void untilTheUserPicksTheFirstSessionListedIsSelectedWhicheverNodeAnswersFirst() {
    NodeState alphaConnecting =
        new NodeState(
            new Backend.NodeRef("alpha", "", null),
            NodeState.Reach.CONNECTING,
            null,
            null,
            List.of());
    sel.relist(List.of(alphaConnecting, online("beta", "agent")));
    assertThat(selected()).isEqualTo("agent@beta");
    assertThat(selectedNode()).isEqualTo("beta");
    sel.update(List.of(online("alpha", "build"), online("beta", "agent")));
    assertThat(selected()).isEqualTo("build@alpha");
    sel.move(1); // the user picks: answers no longer move it
    sel.update(List.of(online("alpha", "aaa", "build"), online("beta", "agent")));
    assertThat(selected()).isEqualTo("agent@beta");
  }

  @Test
  void aSelectedSessionThatIsGoneGivesWayToTheFirstOfItsNode() {
    sel.relist(List.of(online("alpha", "build"), online("beta", "agent", "zed")));
    sel.move(2);
    assertThat(selected()).isEqualTo("zed@beta");
    sel.update(List.of(online("alpha", "build"), online("beta", "agent")));
    assertThat(selected()).isEqualTo("agent@beta");
    sel.update(List.of(online("alpha", "build"), online("beta")));
    assertThat(sel.selectedRow()).isNull();
    assertThat(selectedNode()).isEqualTo("beta");
    assertThat(sel.nothingSelected()).isEqualTo("no sessions on beta; n starts one");
  }

  @Test
  void aSessionOfAnOfflineNodeIsSelectedAgainWhenTheNodeAnswers() {
    sel.relist(List.of(online("alpha", "build"), online("beta", "agent")));
    sel.move(1);
    sel.update(List.of(online("alpha", "build"), offline("beta")));
    assertThat(sel.selectedRow()).isNull();
    assertThat(selectedNode()).isEqualTo("beta");
    assertThat(sel.nothingSelected()).isEqualTo("beta is offline");
    sel.update(List.of(online("alpha", "build"), online("beta", "first", "agent")));
    assertThat(selected()).isEqualTo("agent@beta");
  }

  @Test
  void theFilterMatchesAnyTextWhateverTheCaseAndTheSelectionFollowsWhatItLetsThrough() {
    sel.relist(
        List.of(
            online("alpha", "build", "shell1"),
            new NodeState(
                new Backend.NodeRef("beta", "", null),
                NodeState.Reach.ONLINE,
                null,
                null,
                List.of(session("agent", "running", "Thinking…")))));
    sel.filter("THINK");
    assertThat(sel.rows())
        .extracting(r -> r.session() == null ? "# " + r.node().name() : r.session().info().id())
        .containsExactly("# beta", "agent");
    assertThat(selected()).isEqualTo("agent@beta");
    sel.filter("alpha"); // a node's name lists the node and all its sessions
    assertThat(sel.rows()).hasSize(3);
    assertThat(selected()).isEqualTo("build@alpha");
    sel.filter("nothing like it");
    assertThat(sel.rows()).isEmpty();
    assertThat(sel.selectedRow()).isNull();
    sel.filter("");
    assertThat(sel.rows()).hasSize(5);
  }

  @Test
  void inTheNodesPaneMovingSelectsANodeAndItsFirstSessionButTheSameNodeKeepsItsOwn() {
    sel.relist(List.of(online("alpha", "build", "shell1"), online("beta", "agent")));
    sel.move(1);
    sel.focus(Selection.Pane.NODES);
    sel.move(-1); // already the first node: nothing changes
    assertThat(selected()).isEqualTo("shell1@alpha");
    sel.move(1);
    assertThat(selected()).isEqualTo("agent@beta");
    sel.move(100);
    assertThat(selectedNode()).isEqualTo("beta");
    sel.move(-1);
    assertThat(selected()).isEqualTo("build@alpha");
  }

  @Test
  void sessionMovesStopAtBothEnds() {
    sel.relist(List.of(online("alpha", "build", "shell1"), online("beta", "agent")));
    sel.move(-5);
    assertThat(selected()).isEqualTo("build@alpha");
    sel.move(100_000);
    assertThat(selected()).isEqualTo("agent@beta");
  }

  @Test
  void theShownCallbackRunsOnlyWhenTheListedSelectionChanges() {
    sel.relist(List.of(online("alpha", "build", "shell1")));
    assertThat(shownChanges).isEqualTo(1);
    sel.update(List.of(online("alpha", "build", "shell1", "web")));
    sel.filter("");
    assertThat(shownChanges).isEqualTo(1);
    sel.move(1);
    assertThat(shownChanges).isEqualTo(2);
    sel.focus(Selection.Pane.NODES);
    sel.selectNode(0); // the node already selected: its session stays
    assertThat(shownChanges).isEqualTo(2);
    assertThat(selected()).isEqualTo("shell1@alpha");
  }

  @Test
  void aSessionJustStartedIsSelectedOnItsNode() {
    sel.relist(List.of(online("alpha", "build"), online("beta", "agent")));
    sel.started(List.of(online("alpha", "build"), online("beta", "agent", "web")), "beta", "web");
    assertThat(selected()).isEqualTo("web@beta");
    assertThat(selectedNode()).isEqualTo("beta");
  }
}
