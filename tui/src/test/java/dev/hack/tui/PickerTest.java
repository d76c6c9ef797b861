package dev.hack.tui;

import static dev.hack.tui.FakeBackend.session;
import static org.assertj.core.api.Assertions.assertThat;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextCharacter;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.input.MouseAction;
import com.googlecode.lanterna.input.MouseActionType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The picker on Lanterna's virtual terminal: rows asserted, keys fed, no threads. */
class PickerTest {
  private static FakeBackend twoNodes() {
    return new FakeBackend()
        .node(
            "alpha",
            session("build", "running", "ok 42 tests"),
            session("shell1", "running", "root@vm:~#"))
        .node("beta", session("agent", "running", "thinking…"));
  }

  @Test
  void listsEveryNodeWithItsSessionsAndPreviewsTheSelectedOne() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    String screen = h.text();
    assertThat(screen).contains("hack · 2 nodes · 3 sessions");
    assertThat(screen).contains("alpha").contains("beta").contains("10.0.0.2:2222");
    assertThat(h.rowOf("alpha · 2 sessions")).isLessThan(h.rowOf("build"));
    assertThat(h.rowOf("build")).isLessThan(h.rowOf("shell1"));
    assertThat(h.rowOf("shell1")).isLessThan(h.rowOf("beta · 1 session"));
    assertThat(h.rowOf("beta · 1 session")).isLessThan(h.rowOf("● agent"));
    assertThat(h.rows().get(h.rowOf("build"))).contains("> ● build").contains("ok 42 tests");
    assertThat(screen).contains("Preview · build@alpha").contains("from build");
    assertThat(h.rows().get(23)).contains("Enter attach").contains("q quit");
    assertThat(h.backend.calls).contains("sessions alpha", "sessions beta", "screen build@alpha");
  }

  @Test
  void aSessionThatIsNotLoggingSaysSoInItsRow() throws Exception {
    FakeBackend b = twoNodes();
    dev.hack.node.api.SessionInfo i = FakeBackend.info("flood", "running", null, true);
    dev.hack.node.api.SessionInfo failing =
        new dev.hack.node.api.SessionInfo(
            i.id(),
            i.type(),
            i.status(),
            i.command(),
            i.cwd(),
            i.project(),
            i.pid(),
            i.createdAt(),
            i.updatedAt(),
            i.exitCode(),
            i.attached(),
            i.cols(),
            i.rows(),
            i.node(),
            i.managed(),
            "No space left on device",
            123456);
    b.sessions.get("alpha").add(new Backend.SessionRow(failing, "line 99"));
    Harness h = Harness.start(b, 100, 24);
    assertThat(h.rows().get(h.rowOf("flood")))
        .contains("running")
        .contains("! not logging (No space left on");
  }

  @Test
  void untilTheUserPicksTheFirstSessionListedIsSelectedWhicheverNodeAnswersFirst()
      throws Exception {
    FakeBackend b = twoNodes();
    b.offline.add("alpha"); // alpha answers late: beta's session is listed, and selected, first
    Harness h = Harness.start(b, 80, 24);
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    b.offline.remove("alpha");
    h.after(Duration.ofSeconds(3));
    assertThat(h.rows().get(h.rowOf("● build"))).contains("> ● build");
    assertThat(h.text()).contains("Preview · build@alpha");
    // once the user picks, answers no longer move the selection
    h.type("j");
    b.offline.add("alpha");
    h.after(Duration.ofSeconds(3));
    b.offline.remove("alpha");
    h.after(Duration.ofSeconds(3));
    assertThat(h.rows().get(h.rowOf("shell1"))).contains("> ● shell1");
  }

  @Test
  void anOlderAnswerArrivingLateDoesNotUndoANewerOne() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    // a refresh is out: alpha's answer is read now, but reaches the picker late
    h.now = h.now.plus(Duration.ofSeconds(3));
    h.picker.tick();
    h.io.poll().run(); // the registry listing: it asks alpha and beta
    h.holdPosts = true;
    int asked = h.backend.calls.size();
    while (!h.backend.calls.subList(asked, h.backend.calls.size()).contains("sessions alpha")) {
      h.io.poll().run(); // until alpha answers, without the session about to be started
    }
    h.holdPosts = false;
    // meanwhile the user starts x on alpha; the picker asks alpha again, which lists it
    h.type("n").type("x").key(KeyType.Enter);
    assertThat(h.rows().get(h.rowOf("● x "))).contains("> ● x");
    h.release(); // the stale answer: dropped, x stays listed and selected
    assertThat(h.rowOf("● x ")).isNotNegative();
    assertThat(h.rows().get(h.rowOf("● x "))).contains("> ● x");
    assertThat(h.text()).contains("alpha · 3 sessions");
  }

  @Test
  void aSessionAttachedFromTheFirstSelectionIsWhereTheUserComesBack() throws Exception {
    FakeBackend b = new FakeBackend().node("alpha").node("beta", session("agent", "running", ""));
    Harness h = Harness.start(b, 80, 24);
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent"); // not moved to, only first
    h.key(KeyType.Enter);
    assertThat(h.suspended).isTrue();
    // while attached, a session appears above it on alpha
    b.sessions.get("alpha").add(session("early", "running", ""));
    h.after(Duration.ofSeconds(3));
    b.attach.complete(null);
    h.resume();
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
  }

  @Test
  void aNodeMarkedOfflineByItsTimeoutTakesItsSessionsAndTheSelectionWithIt() throws Exception {
    FakeBackend b = twoNodes();
    // a long refresh: nothing but the timeout happens between the question and the check
    Harness h = Harness.start(b, 80, 24, TuiOptions.defaults().withRefresh(Duration.ofSeconds(60)));
    assertThat(h.rows().get(h.rowOf("● build"))).contains("> ● build");
    b.hung.add("alpha");
    h.after(Duration.ofSeconds(61)); // asked, never answers
    h.after(Duration.ofSeconds(6)); // past the 5 s timeout: offline
    assertThat(h.text()).contains("alpha · offline").doesNotContain("● build");
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    assertThat(h.text()).contains("Preview · agent@beta");
  }

  @Test
  void onAShortTerminalTheDialogScrollsToTheFocusedRow() throws Exception {
    Harness h = Harness.start(twoNodes(), 60, 8);
    h.type("n");
    assertThat(h.text()).contains("Name").doesNotContain("[ Create ]");
    h.key(KeyType.Tab).key(KeyType.Tab).key(KeyType.Tab).key(KeyType.Tab); // to Type
    assertThat(h.text()).contains("Type").contains("◂ default ▸");
    h.type("t");
    assertThat(h.text()).contains("◂ tmux ▸"); // what Enter would create is on screen
    h.key(KeyType.Tab);
    assertThat(h.text()).contains("[ Create ]");
    h.key(KeyType.ArrowUp)
        .key(KeyType.ArrowUp)
        .key(KeyType.ArrowUp)
        .key(KeyType.ArrowUp)
        .key(KeyType.ArrowUp);
    assertThat(h.text()).contains("Name");
  }

  @Test
  void arrowsAndJkMoveAcrossNodesAndTheNodesPaneJumpsToItsSessions() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.key(KeyType.ArrowDown);
    assertThat(h.rows().get(h.rowOf("shell1"))).contains("> ● shell1");
    h.type("j");
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    assertThat(h.text()).contains("Preview · agent@beta").contains("from agent");
    h.type("kk");
    assertThat(h.rows().get(h.rowOf("● build"))).contains("> ● build");
    h.key(KeyType.Tab).key(KeyType.ArrowDown);
    assertThat(h.picker.selection().focus()).isEqualTo(Selection.Pane.NODES);
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    h.key(KeyType.Enter);
    assertThat(h.picker.selection().focus()).isEqualTo(Selection.Pane.SESSIONS);
  }

  @Test
  void enterHandsTheTerminalToTheSessionAndComesBackWhereItWas() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("j").key(KeyType.Enter);
    assertThat(h.suspended).isTrue();
    assertThat(h.backend.calls).contains("attach shell1@alpha");
    h.type("q"); // while suspended the loop reads no keys; this checks the picker stays put
    h.quit = false;
    h.backend.attach.complete(null); // Ctrl-\
    h.resume();
    assertThat(h.suspended).isFalse();
    assertThat(h.rows().get(h.rowOf("shell1"))).contains("> ● shell1");

    h.type("v");
    assertThat(h.backend.calls).contains("view shell1@alpha");
    h.backend.attach.complete("shell1 ended with code 3");
    h.resume();
    assertThat(h.rows().get(23)).contains("shell1 ended with code 3");
  }

  @Test
  void anEndedSessionIsNotAttachedAndSaysWhatToDo() throws Exception {
    FakeBackend b =
        new FakeBackend()
            .node(
                "alpha", new Backend.SessionRow(FakeBackend.info("old", "exited", 2, true), "bye"));
    Harness h = Harness.start(b, 80, 24);
    assertThat(h.rows().get(h.rowOf("old"))).contains("exited(2)");
    h.key(KeyType.Enter);
    assertThat(h.suspended).isFalse();
    assertThat(h.rows().get(23)).contains("old has exited; r restarts it");
  }

  @Test
  void newSessionDialogStartsOnTheChosenNodeAndSelectsIt() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("n");
    assertThat(h.text()).contains("New session").contains("◂ alpha ▸").contains("(login shell)");
    h.type("web");
    h.key(KeyType.ArrowDown).key(KeyType.ArrowDown).key(KeyType.ArrowDown); // node
    h.key(KeyType.ArrowRight);
    assertThat(h.text()).contains("◂ beta ▸");
    h.key(KeyType.ArrowDown).key(KeyType.ArrowRight).key(KeyType.ArrowRight); // type: process
    assertThat(h.text()).contains("◂ process ▸");
    h.key(KeyType.ArrowUp).key(KeyType.ArrowUp).key(KeyType.ArrowUp).type("sleep 100");
    h.key(KeyType.Enter);
    assertThat(h.text()).doesNotContain("New session");
    assertThat(h.backend.created)
        .isEqualTo(new Backend.NewSession("web", "process", "", "sleep 100"));
    assertThat(h.rows().get(h.rowOf("● web"))).contains("> ● web");
    assertThat(h.rowOf("● web")).isGreaterThan(h.rowOf("beta · 2 sessions"));
    assertThat(h.rows().get(h.rowOf("● beta"))).startsWith("> ● beta");
    assertThat(h.rows().get(23)).contains("started web on beta");
  }

  @Test
  void theDialogStartsOnTheFirstFieldAndMovesDownItWithoutWrapping() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("n");
    List<String> rows = h.rows();
    int name = h.rowOf("│ Name");
    assertThat(rows.get(name + 1)).contains("Command");
    assertThat(rows.get(name + 2)).contains("Dir");
    assertThat(rows.get(name + 3)).contains("Node");
    assertThat(rows.get(name + 4)).contains("Type");
    assertThat(rows.get(name + 5)).contains("[ Create ]");
    assertThat(h.screen.getCursorPosition().getRow()).isEqualTo(name); // typing goes to Name
    h.key(KeyType.ArrowUp).key(KeyType.ReverseTab); // already at the top: stays
    assertThat(h.picker.frame().form().field()).isEqualTo(Form.NAME);
    h.type("web").key(KeyType.Tab).type("sh -lc 'echo -lweb'");
    for (int i = 0; i < 8; i++) {
      h.key(KeyType.ArrowDown); // down to Create, and no further
    }
    assertThat(h.picker.frame().form().field()).isEqualTo(Form.CREATE);
    assertThat(h.text()).contains("◂ alpha ▸").contains("◂ default ▸");
    h.key(KeyType.Enter);
    assertThat(h.backend.created)
        .isEqualTo(new Backend.NewSession("web", "", "", "sh -lc 'echo -lweb'"));
    assertThat(h.rows().get(23)).contains("started web on alpha");
  }

  @Test
  void aLetterOnAChoiceFieldPicksByFirstLetterAndAnythingElseSaysWhatWorks() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("n").key(KeyType.Tab).key(KeyType.Tab).key(KeyType.Tab); // Node
    h.type("b");
    assertThat(h.text()).contains("◂ beta ▸");
    h.type("x");
    assertThat(h.text()).contains("◂ beta ▸").contains("no node starts with x");
    h.key(KeyType.Tab).type("t");
    assertThat(h.text()).contains("◂ tmux ▸");
    h.type(" ");
    assertThat(h.text()).contains("◂ tmux ▸").contains("Type is a choice: ← → or a first letter");
    h.type("p");
    assertThat(h.text()).contains("◂ process ▸").doesNotContain("is a choice");
    h.type("-lweb"); // refused, visibly; nothing lands in another field
    assertThat(h.text()).contains("◂ process ▸").contains("no type starts with b");
    h.key(KeyType.Enter);
    assertThat(h.backend.created).isEqualTo(new Backend.NewSession("", "process", "", ""));
    assertThat(h.backend.calls).contains("create @beta");
  }

  @Test
  void escapeClosesTheDialogWithoutStartingAnything() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("nxyz").key(KeyType.Escape);
    assertThat(h.text()).doesNotContain("New session");
    assertThat(h.backend.created).isNull();
  }

  @Test
  void stopAndRestartAskFirst() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("s");
    assertThat(h.text()).contains("Stop build on alpha?");
    h.type("n");
    assertThat(h.text()).doesNotContain("Stop build");
    assertThat(h.backend.calls).noneMatch(c -> c.startsWith("stop"));
    h.type("sy");
    assertThat(h.backend.calls).contains("stop build@alpha");
    h.type("j").type("r");
    assertThat(h.text()).contains("Restart shell1 on alpha?");
    h.type("y");
    assertThat(h.backend.calls).contains("restart shell1@alpha");
    assertThat(h.rows().get(23)).contains("restarted shell1");
  }

  @Test
  void stopOnASessionThatIsNotRunningSaysSoAndAsksNothing() throws Exception {
    FakeBackend b =
        new FakeBackend()
            .node(
                "alpha",
                new Backend.SessionRow(FakeBackend.info("short", "exited", 2, true), "failing"));
    Harness h = Harness.start(b, 80, 24);
    h.type("s");
    assertThat(h.picker.frame().confirm()).isNull();
    assertThat(h.text()).doesNotContain("Stop short");
    assertThat(h.rows().get(23)).contains("short is not running (exited(2)); r restarts it");
    h.type("y");
    assertThat(b.calls).noneMatch(c -> c.startsWith("stop"));
    h.type("r"); // restarting an ended session is what r is for
    assertThat(h.text()).contains("Restart short on alpha?");
    h.type("y");
    assertThat(b.calls).contains("restart short@alpha");
  }

  @Test
  void movingInTheNodesPaneOnTheSameNodeKeepsTheSelectedSession() throws Exception {
    FakeBackend b =
        new FakeBackend()
            .node(
                "alpha",
                session("build", "running", "a"),
                session("shell1", "running", "b"),
                session("web", "running", "c"));
    Harness h = Harness.start(b, 80, 24);
    h.type("jj");
    assertThat(h.rows().get(h.rowOf("● web"))).contains("> ● web");
    h.key(KeyType.Tab);
    h.type("j").type("k").key(KeyType.ArrowDown).key(KeyType.ArrowUp).type("G").type("g");
    h.key(KeyType.Enter); // in the Nodes pane: to its sessions
    assertThat(h.picker.selection().focus()).isEqualTo(Selection.Pane.SESSIONS);
    assertThat(h.rows().get(h.rowOf("● web"))).contains("> ● web");
    assertThat(h.rows().get(h.rowOf("● build"))).doesNotContain(">");
    assertThat(h.text()).contains("Preview · web@alpha");
  }

  @Test
  void theSelectedSessionIsKeptByIdentityAndTheNodesPaneFollowsIt() throws Exception {
    FakeBackend b = twoNodes();
    Harness h = Harness.start(b, 80, 24);
    h.type("jj"); // down into beta's sessions: the Nodes pane moves with the selection
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    assertThat(h.rows().get(h.rowOf("● beta"))).startsWith("> ● beta");
    assertThat(h.rows().get(h.rowOf("● alpha"))).startsWith("  ● alpha");
    // a new session listed before it does not move the selection
    b.sessions.get("beta").add(0, session("aaa", "running", "new"));
    h.after(Duration.ofSeconds(2));
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    // a selected session that is gone: the first one of the same node
    b.sessions.get("beta").removeIf(r -> r.info().id().equals("agent"));
    h.after(Duration.ofSeconds(2));
    assertThat(h.rows().get(h.rowOf("● aaa"))).contains("> ● aaa");
    assertThat(h.rows().get(h.rowOf("● beta"))).startsWith("> ● beta");
  }

  @Test
  void whenTheSelectedSessionsNodeGoesOfflineBothPanesStayOnThatNode() throws Exception {
    FakeBackend b = twoNodes();
    Harness h = Harness.start(b, 80, 24);
    h.type("jj");
    b.offline.add("beta");
    h.after(Duration.ofSeconds(2));
    assertThat(h.rows().get(h.rowOf("✕ beta"))).startsWith("> ✕ beta");
    assertThat(h.rows()).noneMatch(r -> r.matches(".*│?> [●○✕] .*") && !r.contains("beta"));
    assertThat(h.text()).contains("beta is offline");
    h.key(KeyType.Enter);
    assertThat(h.suspended).isFalse();
    assertThat(h.rows().get(23)).contains("beta is offline");
    // the same at 50 columns, where the nodes pane is one line per node
    h.vt.setTerminalSize(new TerminalSize(50, 20));
    h.draw();
    assertThat(h.rows().get(h.rowOf("✕ beta"))).startsWith("> ✕ beta");
    assertThat(h.rows()).noneMatch(r -> r.matches("> [●○✕] .*") && !r.contains("beta"));
    // back online: the same session again, by identity
    b.offline.clear();
    h.after(Duration.ofSeconds(2));
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    // k from an offline node's place goes to the session above it
    b.offline.add("beta");
    h.after(Duration.ofSeconds(2)).type("k");
    assertThat(h.rows().get(h.rowOf("● shell1"))).contains("> ● shell1");
    assertThat(h.rows().get(h.rowOf("● alpha"))).startsWith("> ● alpha");
  }

  @Test
  void aFilterSaysHowManyOfANodesSessionsMatch() throws Exception {
    FakeBackend b = twoNodes();
    b.sessions.get("alpha").add(session("short", "running", "failing"));
    Harness h = Harness.start(b, 80, 24);
    h.type("/fail").key(KeyType.Enter);
    assertThat(h.text()).contains("alpha · 1 of 3 sessions").doesNotContain("beta ·");
    assertThat(h.rows().get(h.rowOf("● short"))).contains("> ● short");
    h.key(KeyType.Escape);
    assertThat(h.text()).contains("alpha · 3 sessions").contains("beta · 1 session");
  }

  @Test
  void theTitleBarKeepsTheFilterApartFromTheCountsAtFiftyColumns() throws Exception {
    FakeBackend b = twoNodes();
    b.sessions.get("alpha").add(session("web", "running", ""));
    b.sessions.get("alpha").add(session("db", "exited", ""));
    b.node("gamma", session("x", "running", ""));
    b.offline.add("beta");
    Harness h = Harness.start(b, 50, 20);
    h.type("/running").key(KeyType.Enter);
    String title = h.rows().get(0);
    assertThat(title).matches(" \\S.* sessions {2,}filter: running");
    assertThat(title).contains("3 nodes (1 off").doesNotContain("…");
    // a long filter, while typing: its end stays in view, the counts keep their distance
    h.type("/" + "x".repeat(40) + "end");
    title = h.rows().get(0);
    assertThat(title.length()).isLessThanOrEqualTo(50);
    assertThat(title).matches(".*\\S {2,}/…x*end");
    assertThat(h.screen.getCursorPosition().getColumn()).isEqualTo(49);
  }

  @Test
  void atThirtyColumnsTheAttachedCountAndTheHelpAndQuitKeysStay() throws Exception {
    FakeBackend b =
        new FakeBackend()
            .node(
                "alpha",
                new Backend.SessionRow(FakeBackend.info("build", "running", null, true, 1), "x"),
                new Backend.SessionRow(FakeBackend.info("old", "exited", 2, true, 2), "y"));
    Harness h = Harness.start(b, 30, 16);
    assertThat(h.rows().get(h.rowOf("● build"))).contains(" run +1 ");
    assertThat(h.rows().get(h.rowOf("○ old"))).contains(" ex 2 +2 ");
    assertThat(h.rows().get(15)).contains("? help").contains("q quit").contains("↵ attach");
    for (int w : new int[] {20, 24, 30, 40, 50, 69}) {
      h.vt.setTerminalSize(new TerminalSize(w, 16));
      h.draw();
      assertThat(h.rows().get(15)).as("at %d columns", w).containsPattern("\\? help  ?q quit$");
      assertThat(h.rows()).allSatisfy(r -> assertThat(r.length()).isLessThanOrEqualTo(w));
    }
    h.vt.setTerminalSize(new TerminalSize(50, 16));
    h.draw();
    assertThat(h.rows().get(h.rowOf("● build"))).contains(" running +1 ");
  }

  @Test
  void anOfflineNodeIsShownWhileTheOthersKeepWorking() throws Exception {
    FakeBackend b = twoNodes();
    b.offline.add("beta");
    Harness h = Harness.start(b, 80, 24);
    assertThat(h.text()).contains("2 nodes (1 offline) · 2 sessions");
    assertThat(h.rows().get(h.rowOf("beta ·"))).contains("offline").contains("Connection refused");
    assertThat(h.text()).contains("✕ beta").doesNotContain("agent");
    assertThat(h.text()).contains("build").contains("shell1");
  }

  @Test
  void aNodeThatDoesNotAnswerTurnsOfflineAfterTheTimeoutAndBackWhenItAnswers() throws Exception {
    FakeBackend b = twoNodes();
    Harness h = Harness.start(b, 80, 24);
    assertThat(h.text()).contains("agent");
    b.hung.add("beta");
    h.after(Duration.ofSeconds(2)); // asks again; beta never answers
    assertThat(h.text()).doesNotContain("offline");
    h.after(Duration.ofSeconds(6));
    assertThat(h.rows().get(h.rowOf("beta ·")))
        .contains("offline")
        .contains("no answer within 5 s");
    assertThat(h.rows().get(h.rowOf("beta ·"))).contains("seen 8s ago");
    b.hung.clear();
    h.picker.poller().forgetQuestion("beta"); // the hung call is gone for good in this fake
    h.after(Duration.ofSeconds(2));
    assertThat(h.text()).contains("agent").doesNotContain("offline");
  }

  @Test
  void aListingThatNeverReturnsNeitherStopsThePollsNorLeavesNodesOnline() throws Exception {
    FakeBackend b = twoNodes();
    Harness h = Harness.start(b, 80, 24);
    assertThat(h.text()).contains("agent").doesNotContain("offline");
    b.listingHangs = true;
    for (int i = 0; i < 8; i++) {
      h.after(Duration.ofSeconds(2)); // the registry listing hangs: nobody is asked
    }
    assertThat(h.text()).contains("2 nodes (2 offline)");
    assertThat(h.rows().get(h.rowOf("beta ·"))).contains("offline").contains("no answer for 16 s");
    b.listingHangs = false;
    h.after(Duration.ofSeconds(2)).after(Duration.ofSeconds(2));
    assertThat(h.text()).contains("agent").doesNotContain("offline");
  }

  @Test
  void fiftyByTwentyStacksThePanesAndNothingOverlaps() throws Exception {
    FakeBackend b = twoNodes();
    b.sessions
        .get("alpha")
        .add(session("a-rather-long-session-name-that-does-not-fit", "running", "x".repeat(200)));
    Harness h = Harness.start(b, 50, 20);
    List<String> rows = h.rows();
    assertThat(rows).hasSize(20);
    assertThat(rows).allSatisfy(r -> assertThat(r.length()).isLessThanOrEqualTo(50));
    // each thing on its own row, in order, whole: nodes, then sessions, then the preview
    int nodes = h.rowOf(" Nodes");
    int alpha = h.rowOf("> ● alpha");
    int beta = h.rowOf("  ● beta");
    int sessions = h.rowOf(" [Sessions]");
    int preview = h.rowOf(" Preview");
    assertThat(nodes).isEqualTo(1);
    assertThat(alpha).isGreaterThan(nodes);
    assertThat(beta).isGreaterThan(alpha);
    assertThat(sessions).isGreaterThan(beta);
    assertThat(h.rowOf("> ● build")).isGreaterThan(sessions);
    assertThat(preview).isGreaterThan(h.rowOf("● agent"));
    assertThat(rows.get(alpha)).contains("alpha").contains("online").contains("10.0.0.1:2222");
    assertThat(rows.get(h.rowOf("● a-rather"))).containsPattern("a-rather-\\S*… ").hasSize(50);
    assertThat(rows.get(19)).startsWith(" ↵ attach").contains("q");
    // the same after a resize from 80x24, and back
    Harness wide = Harness.start(twoNodes(), 80, 24);
    wide.vt.setTerminalSize(new TerminalSize(50, 20));
    wide.draw();
    assertThat(wide.rowOf(" Preview")).isGreaterThan(wide.rowOf("● agent"));
    assertThat(wide.rows()).allSatisfy(r -> assertThat(r.length()).isLessThanOrEqualTo(50));
    wide.vt.setTerminalSize(new TerminalSize(80, 24));
    wide.draw();
    assertThat(wide.rows().get(2)).contains("│");
  }

  @Test
  void dialogsFitOnAPhone() throws Exception {
    Harness h = Harness.start(twoNodes(), 50, 20);
    h.type("n");
    List<String> rows = h.rows();
    int top = h.rowOf("┌─ New session");
    assertThat(top).isGreaterThan(0);
    assertThat(rows.get(top + 8)).contains("└");
    assertThat(rows.get(top + 1)).contains("Name");
    assertThat(rows.get(top + 2)).contains("Command");
    assertThat(rows.get(top + 6)).contains("[ Create ]");
    assertThat(rows.get(19)).contains("Esc cancel");
    h.key(KeyType.Escape).type("?");
    assertThat(h.text()).contains("Keys").contains("Ctrl-\\ comes back").contains("any key closes");
  }

  @Test
  void withoutColourEverythingReadsFromAttributesAndMarks() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24, TuiOptions.defaults().withColor(false));
    TerminalSize s = h.vt.getTerminalSize();
    for (int r = 0; r < s.getRows(); r++) {
      for (int c = 0; c < s.getColumns(); c++) {
        TextCharacter ch = h.vt.getCharacter(c, r);
        assertThat(ch.getForegroundColor())
            .as("fg at %d,%d", c, r)
            .isEqualTo(TextColor.ANSI.DEFAULT);
        assertThat(ch.getBackgroundColor())
            .as("bg at %d,%d", c, r)
            .isEqualTo(TextColor.ANSI.DEFAULT);
      }
    }
    int row = h.rowOf("> ● build");
    int col = h.rows().get(row).indexOf("build");
    assertThat(h.vt.getCharacter(col, row).getModifiers()).contains(SGR.REVERSE);
    assertThat(h.vt.getCharacter(col, h.rowOf("shell1")).getModifiers())
        .doesNotContain(SGR.REVERSE);
  }

  @Test
  void theFocusedPaneIsNamedInBracketsSoItReadsInPlainText() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24, TuiOptions.defaults().withColor(false));
    assertThat(h.rows().get(1)).startsWith(" Nodes ─").contains("│ [Sessions]");
    assertThat(h.text()).doesNotContain("[Nodes]").contains(" Preview · build@alpha ─");
    h.key(KeyType.Tab);
    assertThat(h.rows().get(1)).startsWith(" [Nodes] ").contains("│ Sessions ─");
    assertThat(h.text()).doesNotContain("[Sessions]");
    h.vt.setTerminalSize(new TerminalSize(50, 20));
    h.draw();
    assertThat(h.rows().get(1)).startsWith(" [Nodes]");
    assertThat(h.rows().get(h.rowOf(" Sessions"))).startsWith(" Sessions ─");
    h.key(KeyType.Tab);
    assertThat(h.rows().get(1)).startsWith(" Nodes ─");
    assertThat(h.text()).contains(" [Sessions]");
    // in colour too: the focused title is reverse, the others bold; titles take no colour
    Harness c = Harness.start(twoNodes(), 80, 24);
    int y = c.rowOf("[Sessions]");
    TextCharacter focused = c.vt.getCharacter(c.rows().get(y).indexOf("[Sessions]"), y);
    TextCharacter other = c.vt.getCharacter(2, y);
    assertThat(focused.getModifiers()).contains(SGR.REVERSE);
    assertThat(focused.getForegroundColor()).isEqualTo(TextColor.ANSI.DEFAULT);
    assertThat(other.getModifiers()).contains(SGR.BOLD).doesNotContain(SGR.REVERSE);
  }

  @Test
  void colourMarksStatesWhenAllowed() throws Exception {
    FakeBackend b = twoNodes();
    b.offline.add("beta");
    Harness h = Harness.start(b, 80, 24);
    int row = h.rowOf("● shell1");
    int col = h.rows().get(row).indexOf('●');
    assertThat(h.vt.getCharacter(col, row).getForegroundColor()).isEqualTo(TextColor.ANSI.GREEN);
    int off = h.rowOf("✕ beta");
    assertThat(h.vt.getCharacter(h.rows().get(off).indexOf('✕'), off).getForegroundColor())
        .isEqualTo(TextColor.ANSI.RED);
    assertThat(
            TuiOptions.defaults()
                .forEnvironment(java.util.Map.of("NO_COLOR", "1", "TERM", "xterm"))
                .color())
        .isFalse();
    assertThat(TuiOptions.defaults().forEnvironment(java.util.Map.of("NO_COLOR", "")).color())
        .isTrue();
    assertThat(TuiOptions.defaults().forEnvironment(java.util.Map.of("TERM", "dumb")).color())
        .isFalse();
  }

  @Test
  void slashFiltersSessionsByAnyTextAndEscapeClearsIt() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("/think");
    assertThat(h.rows().get(0)).contains("/think");
    assertThat(h.text()).contains("agent").doesNotContain("shell1").doesNotContain("build");
    assertThat(h.rows().get(h.rowOf("● agent"))).contains("> ● agent");
    h.key(KeyType.Enter);
    assertThat(h.rows().get(0)).contains("filter: think");
    h.key(KeyType.Escape);
    assertThat(h.text()).contains("shell1").contains("build");
  }

  @Test
  void lFollowsTheLogFullScreenAndEscapeReturns() throws Exception {
    FakeBackend b = twoNodes();
    Harness h = Harness.start(b, 80, 24);
    h.type("l");
    assertThat(h.text()).contains("Log · build@alpha (following; Esc back)");
    assertThat(b.calls).contains("log build@alpha");
    b.screens.put("build", List.of("ok 43 tests"));
    h.after(Duration.ofSeconds(1));
    assertThat(h.text()).contains("ok 43 tests");
    h.key(KeyType.Escape);
    assertThat(h.text()).contains("Preview · build@alpha").doesNotContain("following");
  }

  @Test
  void qAndCtrlCQuit() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    h.type("q");
    assertThat(h.quit).isTrue();
    Harness c = Harness.start(twoNodes(), 80, 24);
    c.key(new KeyStroke('c', true, false));
    assertThat(c.quit).isTrue();
  }

  @Test
  void aClickSelectsAndASecondClickAttaches() throws Exception {
    Harness h = Harness.start(twoNodes(), 80, 24);
    int row = h.rowOf("● agent");
    int col = h.rows().get(row).indexOf("agent");
    MouseAction click =
        new MouseAction(MouseActionType.CLICK_DOWN, 1, new TerminalPosition(col, row));
    h.key(click);
    assertThat(h.rows().get(row)).contains("> ● agent");
    assertThat(h.suspended).isFalse();
    h.key(click);
    assertThat(h.backend.calls).contains("attach agent@beta");
    h.backend.attach.complete(null);
    h.resume();
    int nodeRow = h.rowOf("● alpha");
    h.key(new MouseAction(MouseActionType.CLICK_DOWN, 1, new TerminalPosition(4, nodeRow)));
    assertThat(h.picker.selection().focus()).isEqualTo(Selection.Pane.NODES);
    assertThat(h.rows().get(h.rowOf("● build"))).contains("> ● build");
  }

  @Test
  void aTinyTerminalSaysSoInsteadOfDrawingOverItself() throws Exception {
    Harness h = Harness.start(twoNodes(), 18, 5);
    assertThat(h.rows().get(0)).startsWith("hack: make the te");
  }
}
