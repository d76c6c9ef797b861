package dev.hack.tui;

import static dev.hack.tui.FakeBackend.session;
import static org.assertj.core.api.Assertions.assertThat;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextCharacter;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.input.MouseAction;
import com.googlecode.lanterna.input.MouseActionType;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Each input mode alone: keys fed to it over a real {@link Selection}, and what it asked of the
 * picker recorded by a {@link Recorder} instead of done.
 */
class ModesTest {
  /** The picker's side, recording what the mode asked for. */
  static final class Recorder implements Mode.Context {
    final Selection selection = new Selection(() -> {});
    final List<String> asked = new ArrayList<>();
    PickerView.Hits hits = PickerView.Hits.NONE;
    Form created;

    @Override
    public Selection selection() {
      return selection;
    }

    @Override
    public PickerView.Hits hits() {
      return hits;
    }

    @Override
    public void attach(boolean readOnly) {
      asked.add(readOnly ? "view" : "attach");
    }

    @Override
    public void followLog(boolean on) {
      asked.add(on ? "follow the log" : "back to the screen");
    }

    @Override
    public void create(Form form) {
      asked.add("create");
      created = form;
    }

    @Override
    public void run(ConfirmMode.Confirm c) {
      asked.add(c.verb() + " " + c.id() + "@" + c.node().name());
    }

    @Override
    public void error(String message) {
      asked.add("error: " + message);
    }

    @Override
    public void quit() {
      asked.add("quit");
    }

    @Override
    public void redrawAll() {
      asked.add("redraw");
    }
  }

  private final Recorder c = new Recorder();

  ModesTest() {
    c.selection.relist(
        List.of(
            online(
                "alpha",
                session("build", "running", "ok 42 tests"),
                new Backend.SessionRow(FakeBackend.info("old", "exited", 2, true), "bye"),
                new Backend.SessionRow(FakeBackend.info("mine", "running", null, false), "")),
            online("beta", session("agent", "running", "thinking…"))));
  }

  private static NodeState online(String name, Backend.SessionRow... rows) {
    return new NodeState(
        new Backend.NodeRef(name, "", null), NodeState.Reach.ONLINE, null, null, List.of(rows));
  }

  private static KeyStroke key(char ch) {
    return new KeyStroke(ch, false, false);
  }

  private static KeyStroke ctrl(char ch) {
    return new KeyStroke(ch, true, false);
  }

  private static KeyStroke key(KeyType t) {
    return new KeyStroke(t);
  }

  private static MouseAction mouse(MouseActionType type, TerminalPosition at) {
    return new MouseAction(type, type == MouseActionType.CLICK_DOWN ? 1 : 0, at);
  }

  /** Feeds keys to {@code mode}, each to the mode the last one returned; returns the last. */
  private Mode feed(Mode mode, KeyStroke... keys) {
    Mode m = mode;
    for (KeyStroke k : keys) {
      m = m.onKey(k, c);
    }
    return m;
  }

  private String selected() {
    Selection.Row r = c.selection.selectedRow();
    return r == null ? null : r.session().info().id();
  }

  /** Draws the selection as the picker would, so that clicks have somewhere to land. */
  private TerminalPosition drawAndFind(String text) throws IOException {
    DefaultVirtualTerminal vt = new DefaultVirtualTerminal(new TerminalSize(80, 24));
    TerminalScreen screen = new TerminalScreen(vt);
    screen.startScreen();
    Selection s = c.selection;
    Frame f =
        new Frame(
            java.time.Instant.EPOCH,
            s.nodes(),
            true,
            s.nodeIndex(),
            s.focus(),
            s.rows(),
            s.selected(),
            s.selectedRow(),
            s.filter(),
            List.of(),
            null,
            null,
            false,
            Frame.Showing.MAIN,
            null,
            null);
    c.hits = new PickerView(false).draw(screen.newTextGraphics(), vt.getTerminalSize(), f).hits();
    screen.refresh();
    for (int y = 0; y < 24; y++) {
      StringBuilder row = new StringBuilder();
      for (int x = 0; x < 80; x++) {
        TextCharacter ch = vt.getCharacter(x, y);
        row.append(ch.getCharacterString());
      }
      int x = row.indexOf(text);
      if (x >= 0) {
        return new TerminalPosition(x, y);
      }
    }
    throw new AssertionError(text + " not drawn");
  }

  @Nested
  class Main {
    @Test
    void slashQuestionMarkAndLOpenTheirModes() {
      assertThat(feed(MainMode.INSTANCE, key('/'))).isSameAs(FilterMode.INSTANCE);
      assertThat(feed(MainMode.INSTANCE, key('?'))).isSameAs(HelpMode.INSTANCE);
      assertThat(feed(MainMode.INSTANCE, key('l'))).isSameAs(LogMode.INSTANCE);
      assertThat(c.asked).containsExactly("follow the log");
    }

    @Test
    void nOpensTheDialogOnTheSelectedNode() {
      c.selection.move(3); // agent, on beta
      Mode m = feed(MainMode.INSTANCE, key('n'));
      assertThat(m).isInstanceOf(FormMode.class);
      assertThat(((FormMode) m).form().nodeName()).isEqualTo("beta");
    }

    @Test
    void nWithNoNodesSaysSoAndStays() {
      c.selection.relist(List.of());
      assertThat(feed(MainMode.INSTANCE, key('n'))).isSameAs(MainMode.INSTANCE);
      assertThat(c.asked).containsExactly("error: no nodes to start a session on");
    }

    @Test
    void sAndRAskAboutTheSelectedSession() {
      Mode m = feed(MainMode.INSTANCE, key('s'));
      assertThat(((ConfirmMode) m).confirm())
          .isEqualTo(new ConfirmMode.Confirm("stop", c.selection.selectedNode(), "build"));
      m = feed(MainMode.INSTANCE, key('j'), key('r')); // restarting an ended session is fine
      assertThat(((ConfirmMode) m).confirm().id()).isEqualTo("old");
      assertThat(c.asked).isEmpty();
    }

    @Test
    void sOnAnEndedSessionOrYourOwnTmuxSessionSaysWhyAndAsksNothing() {
      assertThat(feed(MainMode.INSTANCE, key('j'), key('s'))).isSameAs(MainMode.INSTANCE);
      assertThat(feed(MainMode.INSTANCE, key('j'), key('r'))).isSameAs(MainMode.INSTANCE);
      assertThat(c.asked)
          .containsExactly(
              "error: old is not running (exited(2)); r restarts it",
              "error: mine is your own tmux session; hack does not restart it");
    }

    @Test
    void enterAttachesVWatchesAndInTheNodesPaneEnterGoesToItsSessions() {
      feed(MainMode.INSTANCE, key(KeyType.Enter), key('v'));
      assertThat(c.asked).containsExactly("attach", "view");
      feed(MainMode.INSTANCE, key(KeyType.Tab));
      assertThat(c.selection.focus()).isEqualTo(Selection.Pane.NODES);
      feed(MainMode.INSTANCE, key(KeyType.Enter));
      assertThat(c.selection.focus()).isEqualTo(Selection.Pane.SESSIONS);
      assertThat(c.asked).containsExactly("attach", "view");
    }

    @Test
    void arrowsAndLettersMoveInTheFocusedPane() {
      feed(MainMode.INSTANCE, key(KeyType.ArrowDown), key('j'));
      assertThat(selected()).isEqualTo("mine");
      feed(MainMode.INSTANCE, key('G'));
      assertThat(selected()).isEqualTo("agent");
      feed(MainMode.INSTANCE, key(KeyType.ArrowLeft), key('k'));
      assertThat(c.selection.selectedNode().name()).isEqualTo("alpha");
      feed(MainMode.INSTANCE, key(KeyType.ArrowRight), key('g'));
      assertThat(selected()).isEqualTo("build");
    }

    @Test
    void qCtrlCAndCtrlDQuitAndCtrlLRedraws() {
      feed(MainMode.INSTANCE, key('q'), ctrl('c'), ctrl('d'), ctrl('l'), ctrl('q'));
      assertThat(c.asked).containsExactly("quit", "quit", "quit", "redraw");
    }

    @Test
    void escapeClearsTheFilter() {
      c.selection.filter("agent");
      assertThat(feed(MainMode.INSTANCE, key(KeyType.Escape))).isSameAs(MainMode.INSTANCE);
      assertThat(c.selection.filter()).isEmpty();
    }

    @Test
    void aClickSelectsAndASecondClickOnTheSameSessionAttaches() throws IOException {
      MouseAction click = mouse(MouseActionType.CLICK_DOWN, drawAndFind("agent"));
      assertThat(MainMode.INSTANCE.onMouse(click, c)).isSameAs(MainMode.INSTANCE);
      assertThat(selected()).isEqualTo("agent");
      assertThat(c.asked).isEmpty();
      MainMode.INSTANCE.onMouse(click, c);
      assertThat(c.asked).containsExactly("attach");
      MainMode.INSTANCE.onMouse(mouse(MouseActionType.SCROLL_UP, new TerminalPosition(0, 0)), c);
      assertThat(selected()).isEqualTo("mine");
    }
  }

  @Nested
  class Filter {
    @Test
    void typingFiltersAtOnceAndBackspaceAndCtrlUEdit() {
      Mode m = feed(FilterMode.INSTANCE, key('t'), key('h'), key('i'));
      assertThat(m).isSameAs(FilterMode.INSTANCE);
      assertThat(c.selection.filter()).isEqualTo("thi");
      assertThat(selected()).isEqualTo("agent"); // "thinking…"
      feed(m, key(KeyType.Backspace));
      assertThat(c.selection.filter()).isEqualTo("th");
      assertThat(feed(m, ctrl('u'))).isSameAs(FilterMode.INSTANCE);
      assertThat(c.selection.filter()).isEmpty();
      feed(m, ctrl('x'), new KeyStroke('x', false, true)); // neither Ctrl nor Alt types
      assertThat(c.selection.filter()).isEmpty();
    }

    @Test
    void enterKeepsTheFilterAndEscapeOrCtrlCClearsIt() {
      assertThat(feed(FilterMode.INSTANCE, key('o'), key(KeyType.Enter)))
          .isSameAs(MainMode.INSTANCE);
      assertThat(c.selection.filter()).isEqualTo("o");
      assertThat(feed(FilterMode.INSTANCE, key('k'), key(KeyType.Escape)))
          .isSameAs(MainMode.INSTANCE);
      assertThat(c.selection.filter()).isEmpty();
      assertThat(feed(FilterMode.INSTANCE, key('k'), ctrl('c'))).isSameAs(MainMode.INSTANCE);
      assertThat(c.selection.filter()).isEmpty();
    }

    @Test
    void arrowsKeepTheFilterAndMove() {
      Mode m = feed(FilterMode.INSTANCE, key('a'), key('l'), key('p'), key(KeyType.ArrowDown));
      assertThat(m).isSameAs(MainMode.INSTANCE);
      assertThat(c.selection.filter()).isEqualTo("alp");
      assertThat(selected()).isEqualTo("old"); // from build, the first that matched
    }

    @Test
    void aFilterIsAtMostAHundredCharacters() {
      Mode m = FilterMode.INSTANCE;
      for (int i = 0; i < 150; i++) {
        m = m.onKey(key('x'), c);
      }
      assertThat(c.selection.filter()).hasSize(100);
    }

    @Test
    void clicksStillSelectWhileTyping() throws IOException {
      MouseAction click = mouse(MouseActionType.CLICK_DOWN, drawAndFind("agent"));
      assertThat(FilterMode.INSTANCE.onMouse(click, c)).isSameAs(FilterMode.INSTANCE);
      assertThat(selected()).isEqualTo("agent");
    }
  }

  @Nested
  class Log {
    @Test
    void escapeQAndLGoBackToTheScreen() {
      for (KeyStroke k : List.of(key(KeyType.Escape), key('q'), key('l'))) {
        assertThat(LogMode.INSTANCE.onKey(k, c)).isSameAs(MainMode.INSTANCE);
      }
      assertThat(c.asked)
          .containsExactly("back to the screen", "back to the screen", "back to the screen");
    }

    @Test
    void enterGoesBackAndAttaches() {
      assertThat(LogMode.INSTANCE.onKey(key(KeyType.Enter), c)).isSameAs(MainMode.INSTANCE);
      assertThat(c.asked).containsExactly("back to the screen", "attach");
    }

    @Test
    void ctrlCQuitsCtrlLRedrawsAndOtherKeysDoNothing() {
      Mode m = feed(LogMode.INSTANCE, key('j'), key('n'), key(KeyType.ArrowDown), ctrl('q'));
      assertThat(m).isSameAs(LogMode.INSTANCE);
      assertThat(c.asked).isEmpty();
      assertThat(selected()).isEqualTo("build");
      feed(LogMode.INSTANCE, ctrl('c'), ctrl('l'));
      assertThat(c.asked).containsExactly("quit", "redraw");
    }

    @Test
    void theWheelChoosesWhoseLogButAClickDoesNothing() throws IOException {
      MouseAction click = mouse(MouseActionType.CLICK_DOWN, drawAndFind("agent"));
      assertThat(LogMode.INSTANCE.onMouse(click, c)).isSameAs(LogMode.INSTANCE);
      assertThat(selected()).isEqualTo("build");
      LogMode.INSTANCE.onMouse(mouse(MouseActionType.SCROLL_DOWN, new TerminalPosition(0, 0)), c);
      assertThat(selected()).isEqualTo("old");
    }
  }

  @Nested
  class NewSessionForm {
    @Test
    void enterCreatesWhatTheFormSays() {
      FormMode form = new FormMode(new Form(List.of("alpha", "beta"), 1));
      Mode m = feed(form, key('w'), key('e'), key('b'), key(KeyType.Tab), key('t'), key('o'));
      assertThat(m).isSameAs(form);
      assertThat(feed(m, key(KeyType.Enter))).isSameAs(MainMode.INSTANCE);
      assertThat(c.asked).containsExactly("create");
      assertThat(c.created.value(Form.NAME)).isEqualTo("web");
      assertThat(c.created.value(Form.COMMAND)).isEqualTo("to");
      assertThat(c.created.nodeName()).isEqualTo("beta");
    }

    @Test
    void escapeAndCtrlCCloseItWithoutCreating() {
      assertThat(feed(new FormMode(new Form(List.of("alpha"), 0)), key('x'), key(KeyType.Escape)))
          .isSameAs(MainMode.INSTANCE);
      assertThat(feed(new FormMode(new Form(List.of("alpha"), 0)), ctrl('c')))
          .isSameAs(MainMode.INSTANCE);
      assertThat(c.asked).isEmpty();
    }

    @Test
    void theMouseDoesNothing() throws IOException {
      FormMode form = new FormMode(new Form(List.of("alpha"), 0));
      MouseAction click = mouse(MouseActionType.CLICK_DOWN, drawAndFind("agent"));
      assertThat(form.onMouse(click, c)).isSameAs(form);
      assertThat(selected()).isEqualTo("build");
    }
  }

  @Nested
  class Confirm {
    private final ConfirmMode stop =
        new ConfirmMode(new ConfirmMode.Confirm("stop", c.selection.selectedNode(), "build"));

    @Test
    void yRunsIt() {
      assertThat(stop.onKey(key('y'), c)).isSameAs(MainMode.INSTANCE);
      assertThat(stop.onKey(key('Y'), c)).isSameAs(MainMode.INSTANCE);
      assertThat(c.asked).containsExactly("stop build@alpha", "stop build@alpha");
    }

    @Test
    void nQEscapeAndControlKeysSayNo() {
      for (KeyStroke k : List.of(key('n'), key('N'), key('q'), key(KeyType.Escape), ctrl('x'))) {
        assertThat(stop.onKey(k, c)).as("%s", k).isSameAs(MainMode.INSTANCE);
      }
      assertThat(c.asked).isEmpty();
    }

    @Test
    void otherKeysNeitherConfirmNorLoseTheQuestion() {
      assertThat(feed(stop, key('x'), key(KeyType.Enter), key(KeyType.ArrowDown), key(' ')))
          .isSameAs(stop);
      assertThat(c.asked).isEmpty();
    }
  }

  @Nested
  class Help {
    @Test
    void anyKeyClosesItAndDoesNothingElse() {
      for (KeyStroke k : List.of(key('q'), ctrl('c'), key(KeyType.Enter), key('j'))) {
        assertThat(HelpMode.INSTANCE.onKey(k, c)).isSameAs(MainMode.INSTANCE);
      }
      assertThat(c.asked).isEmpty();
      assertThat(selected()).isEqualTo("build");
    }

    @Test
    void aClickClosesItButTheWheelDoesNot() {
      TerminalPosition p = new TerminalPosition(10, 10);
      assertThat(HelpMode.INSTANCE.onMouse(mouse(MouseActionType.SCROLL_DOWN, p), c))
          .isSameAs(HelpMode.INSTANCE);
      assertThat(HelpMode.INSTANCE.onMouse(mouse(MouseActionType.CLICK_DOWN, p), c))
          .isSameAs(MainMode.INSTANCE);
      assertThat(selected()).isEqualTo("build");
    }
  }
}
