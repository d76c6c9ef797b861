package dev.hack.tui;

import static dev.hack.tui.FakeBackend.session;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.googlecode.lanterna.TerminalPosition;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextCharacter;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The view alone: frames made by hand, drawn on Lanterna's virtual terminal. No picker. */
class PickerViewTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:05:00Z");

  private final Selection sel = new Selection(() -> {});
  private final PickerView view = new PickerView(true);
  private DefaultVirtualTerminal vt;

  PickerViewTest() {
    sel.relist(
        List.of(
            node("alpha", session("build", "running", "ok"), session("shell1", "running", "$")),
            node("beta", session("agent", "running", "thinking"))));
  }

  private static NodeState node(String name, Backend.SessionRow... rows) {
    return new NodeState(
        new Backend.NodeRef(name, "10.0.0.9:2222", null),
        NodeState.Reach.ONLINE,
        NOW,
        null,
        List.of(rows));
  }

  private Frame frame(Frame.Showing showing, Form.Shown form) {
    return new Frame(
        NOW,
        sel.nodes(),
        true,
        sel.nodeIndex(),
        sel.focus(),
        sel.rows(),
        sel.selected(),
        sel.selectedRow(),
        sel.filter(),
        List.of("$ make", "ok"),
        null,
        null,
        false,
        showing,
        form,
        null);
  }

  private PickerView.Drawn draw(Frame f, int columns, int rows) throws IOException {
    vt = new DefaultVirtualTerminal(new TerminalSize(columns, rows));
    TerminalScreen screen = new TerminalScreen(vt);
    screen.startScreen();
    PickerView.Drawn d = view.draw(screen.newTextGraphics(), screen.getTerminalSize(), f);
    screen.setCursorPosition(d.cursor());
    screen.refresh();
    return d;
  }

  private List<String> rows() {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < vt.getTerminalSize().getRows(); r++) {
      StringBuilder b = new StringBuilder();
      for (int c = 0; c < vt.getTerminalSize().getColumns(); c++) {
        TextCharacter ch = vt.getCharacter(c, r);
        b.append(ch.getCharacterString());
      }
      out.add(b.toString());
    }
    return out;
  }

  private TerminalPosition whereIs(String text) {
    List<String> rows = rows();
    for (int y = 0; y < rows.size(); y++) {
      int x = rows.get(y).indexOf(text);
      if (x >= 0) {
        return new TerminalPosition(x, y);
      }
    }
    throw new AssertionError(text + " is not on the screen:\n" + String.join("\n", rows));
  }

  @Test
  void aFrameIsDrawnFromItsOwnValuesAndTellsWhereRowsWentForClicks() throws IOException {
    PickerView.Drawn d = draw(frame(Frame.Showing.MAIN, null), 80, 24);
    assertThat(rows().get(0)).contains("hack · 2 nodes · 3 sessions");
    assertThat(rows().get(whereIs("● build").getRow())).contains("> ● build");
    Selection.Row agent = d.hits().rowAt(whereIs("agent"));
    assertThat(agent.key()).isEqualTo(Selection.Row.key("beta", "agent"));
    assertThat(d.hits().rowAt(whereIs("beta · 1 session")).session()).isNull();
    assertThat(d.hits().nodeAt(whereIs("● beta"))).isEqualTo(1);
    assertThat(d.hits().nodeAt(whereIs("agent"))).isEqualTo(-1);
    assertThat(d.hits().rowAt(whereIs("Preview"))).isNull();
    assertThat(d.previewRows()).isEqualTo(9); // the preview pane, less its title
    assertThat(d.cursor()).isNull();
  }

  @Test
  void theLogTakesTheWholeBodyAndLeavesNothingToClick() throws IOException {
    PickerView.Drawn d = draw(frame(Frame.Showing.LOG, null), 80, 24);
    assertThat(rows().get(1)).startsWith(" Log · build@alpha (following; Esc back)");
    assertThat(String.join("\n", rows())).contains(" ok").doesNotContain("Nodes");
    assertThat(d.previewRows()).isEqualTo(21);
    for (int y = 0; y < 24; y++) {
      assertThat(d.hits().rowAt(new TerminalPosition(40, y))).isNull();
      assertThat(d.hits().nodeAt(new TerminalPosition(2, y))).isEqualTo(-1);
    }
  }

  @Test
  void theFormPutsTheCursorInItsFocusedTextField() throws IOException {
    Form form = new Form(List.of("alpha", "beta"), 1);
    form.key(new KeyStroke('w', false, false));
    PickerView.Drawn d = draw(frame(Frame.Showing.FORM, form.shown()), 80, 24);
    TerminalPosition name = whereIs("│ Name");
    assertThat(rows().get(name.getRow())).contains("w");
    assertThat(d.cursor().getRow()).isEqualTo(name.getRow());
    assertThat(String.join("\n", rows())).contains("◂ beta ▸").contains("Esc cancel");
  }

  @Test
  void aTinyTerminalDrawsNoPreviewAndNothingToClick() throws IOException {
    PickerView.Drawn d = draw(frame(Frame.Showing.MAIN, null), 18, 5);
    assertThat(rows().get(0)).startsWith("hack: make the te");
    assertThat(d.previewRows()).isZero();
    assertThat(d.hits().nodeAt(new TerminalPosition(1, 1))).isEqualTo(-1);
  }

  @Test
  void aFrameRefusesADialogThatDoesNotMatchWhatItShows() {
    Form.Shown form = new Form(List.of("alpha"), 0).shown();
    assertThatThrownBy(() -> frame(Frame.Showing.MAIN, form))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MAIN");
    assertThatThrownBy(() -> frame(Frame.Showing.FORM, null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
