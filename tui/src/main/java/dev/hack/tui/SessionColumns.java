package dev.hack.tui;

import dev.hack.node.api.SessionInfo;
import dev.hack.node.api.SessionStatus;
import java.time.Instant;
import java.util.List;

/**
 * Which columns of the sessions pane fit in a width, and how wide each is; and a session's row and
 * the heading in them. The narrower, the fewer: the status shortens and takes the attached count,
 * the type shortens then goes, the age goes; the last line gets what is left.
 */
record SessionColumns(int id, int type, boolean attached, int status, boolean age, int last) {
  static SessionColumns forWidth(int w, List<Selection.Row> rows) {
    int longest = 7;
    for (Selection.Row r : rows) {
      if (r.session() != null) {
        longest = Math.max(longest, Text.width(r.session().info().id()));
      }
    }
    // dot(2) id status age always; the type (short when narrower) and an attached column when
    // there is room (else "+N" after the status); the last line gets the rest
    int type = w >= 70 ? 7 : w >= 44 ? 4 : 0;
    boolean attached = w >= 70;
    int status = w >= 40 ? 11 : 8;
    boolean age = w >= 30;
    int fixed = 2 + status + 1 + (age ? 5 : 0) + (type > 0 ? type + 1 : 0) + (attached ? 4 : 0);
    int id = Math.max(4, Math.min(longest, Math.min(24, (w - fixed) / 2)));
    int last = Math.max(0, w - fixed - id - 1);
    return new SessionColumns(id, type, attached, status, age, last);
  }

  String heading() {
    StringBuilder b = new StringBuilder("  ");
    b.append(Text.fit("SESSION", id)).append(' ');
    if (type > 0) {
      b.append(Text.fit("TYPE", type)).append(' ');
    }
    b.append(Text.fit("STATUS", status)).append(' ');
    if (attached) {
      b.append(Text.fit("ATT", 3)).append(' ');
    }
    if (age) {
      b.append(Text.right("AGE", 4)).append(' ');
    }
    if (last > 0) {
      b.append("LAST LINE");
    }
    return b.toString();
  }

  private String type(SessionInfo s) {
    String t = s.type();
    if (type < 7) {
      t =
          switch (t) {
            case "shell" -> "sh";
            case "process" -> "proc";
            default -> t;
          };
    }
    return t; // the user's own tmux sessions say so in their last line
  }

  /**
   * The status in the column's width, with "+N" attached clients when there is no column for them:
   * the longest form that fits, down to "run +1" and "ex 2 +1" (the mark before the id tells
   * running from ended anyway), so the count is the last thing to go.
   */
  String status(SessionInfo s) {
    String st = s.status();
    Integer code = s.exitCode();
    boolean exited = s.state() == SessionStatus.EXITED && code != null;
    String plus = !attached && s.attached() > 0 ? " +" + s.attached() : "";
    List<String> forms =
        List.of(
            (exited ? "exited(" + code + ")" : st) + plus,
            (exited ? "exit " + code : st) + plus,
            (exited ? "ex " + code : s.isRunning() ? "run" : st) + plus);
    for (String f : forms) {
      if (Text.width(f) <= status) {
        return f;
      }
    }
    return forms.get(2);
  }

  String row(Backend.SessionRow r, Instant now) {
    SessionInfo s = r.info();
    StringBuilder b = new StringBuilder("  ");
    b.append(Text.fit(s.id(), id)).append(' ');
    if (type > 0) {
      b.append(Text.fit(type(s), type)).append(' ');
    }
    b.append(Text.fit(status(s), status)).append(' ');
    if (attached) {
      b.append(Text.fit(s.attached() > 0 ? String.valueOf(s.attached()) : "", 3)).append(' ');
    }
    if (age) {
      b.append(Text.right(Text.age(Text.parse(s.createdAt()), now), 4)).append(' ');
    }
    if (last > 0) {
      String line = r.lastLine().strip();
      if (line.isEmpty() && !s.managed()) {
        line = "(your own tmux session)";
      }
      if (s.logError() != null) {
        line = "! not logging (" + s.logError() + ") " + line;
      }
      b.append(Text.cut(line, last));
    }
    return b.toString();
  }
}
