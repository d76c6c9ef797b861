package dev.hack.node.ssh;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.hack.node.api.Json;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.PeerStatus;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.client.DetachKeys;
import dev.hack.node.mesh.Peers;
import dev.hack.node.service.Attachments;
import dev.hack.node.service.Sessions;
import dev.hack.node.supervisor.Attachment;
import dev.hack.node.supervisor.Session;
import dev.hack.node.supervisor.Supervisor;
import dev.hack.node.text.Ages;
import dev.hack.node.text.SessionText;
import dev.hack.node.text.StatusText;
import dev.hack.node.text.Tables;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The session commands of the SSH table: {@code ls}, {@code new}, {@code attach}, {@code logs},
 * {@code peek}, {@code send}, {@code stop}, {@code restart}, {@code rm}, {@code tmux}, {@code
 * status} and {@code help}. Each class is a {@link Verb}: its options, its role, its handler.
 */
final class SessionVerbs {
  private static final Logger LOG = LoggerFactory.getLogger(SessionVerbs.class);

  private SessionVerbs() {}

  /**
   * Does a change to each session (in parallel in the supervisor), audits each, and reports each
   * failure on its own line: the others are done. Exit 0 when all went well, 2 when every failure
   * was a bad argument, else 1.
   */
  static void eachSession(
      SshCall call,
      List<String> ids,
      String verb,
      String event,
      Function<List<String>, Map<String, Exception>> change) {
    Map<String, Exception> failed = change.apply(ids);
    StringBuilder err = new StringBuilder();
    boolean usage = true;
    for (String id : new LinkedHashSet<>(ids)) {
      Exception e = failed.get(id);
      if (e == null) {
        call.audit.ok(event, verb + " " + id, null);
        continue;
      }
      call.audit.failed(verb + " " + id, e.getMessage());
      usage &= e instanceof IllegalArgumentException;
      if (e instanceof IOException
          || e instanceof IllegalArgumentException
          || e instanceof IllegalStateException
          || e instanceof NoSuchElementException) {
        err.append("hack: ").append(Quote.line(e.getMessage())).append('\n');
      } else {
        LOG.warn("{} {} failed", verb, Quote.word(id), e);
        err.append("hack: internal error: ").append(e).append('\n');
      }
    }
    call.finish(failed.isEmpty() ? 0 : usage ? 2 : 1, "", err.toString());
  }

  @Command(name = "ls", description = "List sessions.")
  static final class Ls implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--json", description = "JSON array for scripts")
    boolean json;

    @Option(
        names = "--last-line",
        description = "with --json: each session's last line of output, as last_line")
    boolean lastLine;

    @Option(
        names = "--all",
        description = "also the sessions of every registered peer (asked in parallel)")
    boolean all;

    @Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        defaultValue = "3",
        description = "with --all: how long to wait for each peer (default: ${DEFAULT-VALUE})")
    double timeout;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) throws IOException {
      if (all) {
        listAll(call);
        return;
      }
      Supervisor supervisor = call.node.supervisor();
      List<SessionInfo> list = supervisor.list();
      if (json && lastLine) {
        call.finish(0, withLastLines(supervisor, list) + "\n", "");
      } else {
        call.finish(0, json ? Json.GSON.toJson(list) + "\n" : Tables.sessions(list), "");
      }
    }

    /**
     * {@code ls --all}: this node's sessions and every peer's, each with {@code node}; peers that
     * do not answer within the timeout are named on stderr (exit status stays 0: the listing is
     * what could be had).
     */
    private void listAll(SshCall call) throws IOException {
      if (timeout <= 0 || timeout > 60) {
        throw new IllegalArgumentException("--timeout is in seconds, more than 0 and at most 60");
      }
      String self = call.node.status().name();
      List<SessionInfo> sessions = new ArrayList<>();
      for (SessionInfo s : call.node.supervisor().list()) {
        sessions.add(s.withNode(self));
      }
      Peers.Listing peers = call.node.peers().listAll(Duration.ofMillis((long) (timeout * 1000)));
      sessions.addAll(peers.sessions());
      StringBuilder err = new StringBuilder();
      for (PeerStatus p : peers.offline()) {
        err.append("hack: offline ")
            .append(p.name())
            .append(": ")
            .append(p.error())
            .append(
                p.lastSeen() == null
                    ? ""
                    : " (last seen " + Ages.since(p.lastSeen().toString()) + " ago)")
            .append('\n');
      }
      call.finish(
          0,
          json ? Json.GSON.toJson(sessions) + "\n" : Tables.sessionsWithNodes(sessions),
          err.toString());
    }

    /** {@code ls --json --last-line}: each session with {@code last_line}. */
    private static String withLastLines(Supervisor supervisor, List<SessionInfo> list) {
      JsonArray arr = new JsonArray();
      for (SessionInfo s : list) {
        JsonObject o = Json.GSON.toJsonTree(s).getAsJsonObject();
        String last = "";
        if (s.managed()) {
          try {
            last = SessionText.lastLine(supervisor.get(s.id()));
          } catch (RuntimeException e) {
            last = ""; // removed since it was listed
          }
        }
        o.addProperty("last_line", last);
        arr.add(o);
      }
      return Json.GSON.toJson(arr);
    }
  }

  @Command(name = "new", description = "Start a session; prints its id.")
  static final class New implements Verb {
    @Option(names = "--name", paramLabel = "ID", description = "session id (default: generated)")
    String name;

    @Option(
        names = "--type",
        paramLabel = "shell|process|tmux",
        description =
            "what runs: a login shell, a command, or a tmux session (default: shell,"
                + " or process with a command)")
    String type;

    @Option(names = "--cwd", paramLabel = "DIR", description = "working directory")
    String cwd;

    @Option(names = "--project", paramLabel = "P", description = "project the session belongs to")
    String project;

    @Option(
        names = "--restart",
        paramLabel = "never|on-failure|always",
        description = "whether a process session starts again when it ends (default: never)")
    String restart;

    @Option(
        names = "--on-restore",
        paramLabel = "CMD",
        description =
            "a command line run in the session's directory instead of its program when a node"
                + " starts and finds the program gone, e.g. after a reboot ('claude --continue')")
    String onRestore;

    @Option(names = "--attach", description = "attach right away (needs ssh -t)")
    boolean attach;

    @Option(names = "--json", description = "print the new session as JSON")
    boolean json;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "command and arguments")
    List<String> command = new ArrayList<>();

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      if (attach && !call.pty()) {
        throw new IllegalArgumentException("new --attach needs a terminal: use ssh -t");
      }
      Session s =
          call.node
              .sessions()
              .create(
                  new Sessions.Request(
                      name,
                      type,
                      command,
                      cwd,
                      project,
                      call.clientLocale(),
                      restart,
                      call.clientSize(),
                      onRestore));
      call.audit.ok("session_new", "new " + s.id(), "type " + s.info().type());
      if (!attach) {
        call.finish(0, json ? Json.GSON.toJson(s.info()) + "\n" : s.id() + "\n", "");
        return;
      }
      try {
        Attach.attachLocal(call, s, false, true);
      } catch (IllegalStateException e) {
        // it already ended (a short command): show what it printed and exit as it did
        Integer code = s.info().exitCode();
        call.following(
            null,
            s.read(
                0,
                call.out(),
                () ->
                    call.exitWith(
                        code == null ? 0 : code,
                        "\r\n[session " + s.id() + " exited with code " + code + "]\r\n")));
      }
    }
  }

  @Command(
      name = "attach",
      description =
          "Attach to a session, ID or ID@NODE (through a peer); needs ssh -t, Ctrl-\\ detaches.")
  static final class Attach implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--read-only", description = "watch only; input is ignored")
    boolean readOnly;

    @Option(
        names = "--detach-key",
        paramLabel = "KEY",
        description = "detach key: ^X notation, e.g. ^] (default ^\\), or none")
    String detachKey;

    @Override
    public TailnetRole role() {
      return TailnetRole.ATTACH;
    }

    @Override
    public TailnetRole readOnlyRole() {
      return TailnetRole.VIEW;
    }

    @Override
    public boolean readOnly() {
      return readOnly;
    }

    @Override
    public boolean audited() {
      return true; // an attach is audited, read-only or not
    }

    @Override
    public void run(SshCall call) throws IOException {
      if (detachKey != null) {
        call.detachKey(DetachKeys.parse(detachKey));
      }
      Attachments attachments = call.node.attachments();
      Attachments.Target t = attachments.resolve(id);
      if (t.local()) {
        attachLocal(call, call.node.supervisor().get(t.id()), readOnly, false);
        return;
      }
      // the session lives on a peer; this node is one hop in between
      call.requirePty("attach");
      call.attaching(t.id() + "@" + t.peer());
      Attachment a =
          attachments.attach(
              t, readOnly, call.clientSize(), call.clientLocale(), call.out(), call::sessionEnded);
      call.audit.ok("attach", "attach " + t.id() + "@" + t.peer(), readOnly ? "read-only" : null);
      call.attached(a);
    }

    /**
     * @param fromStart the client has just started the session ({@code new --attach}): it gets the
     *     output from the first byte, not a screen, so what the program printed while the attach
     *     was set up is shown, as under {@code ssh -t HOST CMD}
     */
    static void attachLocal(SshCall call, Session session, boolean readOnly, boolean fromStart)
        throws IOException {
      call.requirePty("attach");
      call.attaching(session.id());
      Attachment a =
          fromStart
              ? session.attachFromStart(call.out(), call.clientSize(), call::sessionEnded)
              : session.attach(call.out(), call.clientSize(), readOnly, call::sessionEnded);
      call.audit.ok("attach", "attach " + session.id(), readOnly ? "read-only" : null);
      call.attached(a);
    }
  }

  @Command(name = "logs", description = "Print a session's output from a byte offset.")
  static final class Logs implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(
        names = {"-f", "--follow"},
        description = "keep printing new output until the session ends")
    boolean follow;

    @Option(names = "--from", paramLabel = "OFFSET", description = "start at this byte offset")
    long from;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) {
      Session session = call.node.supervisor().get(id);
      if (!follow) {
        call.following(null, session.read(from, call.out(), () -> call.exitWith(0, "")));
        return;
      }
      if (from < 0 || from > session.log().end()) {
        session.read(from, call.out(), () -> {}); // throws the range error
      }
      call.following(session, session.follow(from, call.out(), () -> call.exitWith(0, "")));
    }
  }

  @Command(
      name = "peek",
      description = "A session's screen, or the last lines of its log, as plain text.")
  static final class Peek implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--log", description = "the last lines of the log instead of the screen")
    boolean log;

    @Option(
        names = "--lines",
        paramLabel = "N",
        defaultValue = "50",
        description =
            "at most N lines: of the screen, the ones down to the cursor or the last text; of the"
                + " log, the last ones (default: ${DEFAULT-VALUE})")
    int lines;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) throws IOException {
      if (lines < 1) {
        throw new IllegalArgumentException("--lines must be at least 1, not " + lines);
      }
      Session s = call.node.supervisor().get(id);
      StringBuilder sb = new StringBuilder();
      for (String l : log ? SessionText.logTail(s, lines) : SessionText.screen(s, lines)) {
        sb.append(l).append('\n');
      }
      call.finish(0, sb.toString(), "");
    }
  }

  @Command(name = "send", description = "Type TEXT into a session (\\n \\r \\t \\e \\xHH escapes).")
  static final class Send implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1", paramLabel = "TEXT")
    String text;

    @Override
    public TailnetRole role() {
      return TailnetRole.ATTACH;
    }

    @Override
    public void run(SshCall call) throws IOException {
      byte[] sent = ShellWords.unescape(text);
      call.node.supervisor().get(id).send(sent);
      call.audit.ok("session_send", "send " + id, sent.length + " bytes"); // never the text
      call.finish(0, "", "");
    }
  }

  @Command(name = "stop", description = "Stop sessions: end their programs (many at once).")
  static final class Stop implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(arity = "1..*", paramLabel = "ID")
    List<String> ids;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) {
      eachSession(call, ids, "stop", "session_stop", call.node.supervisor()::stop);
    }
  }

  @Command(name = "restart", description = "Restart sessions: start each command again.")
  static final class Restart implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(arity = "1..*", paramLabel = "ID")
    List<String> ids;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) {
      eachSession(call, ids, "restart", "session_restart", call.node.supervisor()::restart);
    }
  }

  @Command(name = "rm", description = "Remove ended sessions and their logs.")
  static final class Rm implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(arity = "1..*", paramLabel = "ID")
    List<String> ids;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) {
      eachSession(call, ids, "rm", "session_rm", call.node.supervisor()::remove);
    }
  }

  @Command(name = "tmux", description = "Attach to tmux session NAME on the node, creating it.")
  static final class TmuxCmd implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      call.requirePty("tmux");
      call.attaching(name);
      Attachment a =
          call.node
              .attachments()
              .tmux(
                  name,
                  call.clientSize(),
                  call.clientLocale(),
                  call.out(),
                  end -> call.exitWith(0, TerminalReset.SEQUENCE));
      call.audit.ok("attach", "tmux " + name, null);
      call.attached(a);
    }
  }

  @Command(name = "status", description = "Node status.")
  static final class Status implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) {
      NodeStatus st = call.node.status();
      call.finish(0, json ? Json.GSON.toJson(st) + "\n" : StatusText.of(st), "");
    }
  }

  @Command(name = "help", description = "This text, or one command's options.")
  static final class Help implements Verb {
    @Parameters(arity = "0..1", paramLabel = "COMMAND")
    String command;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) {
      if (command == null) {
        call.finish(0, SshCommands.usage(), "");
        return;
      }
      CommandLine table = SshCommands.parser();
      if (table.getSubcommands().containsKey(command)) {
        call.finish(0, SshCall.usage(table.getSubcommands().get(command)), "");
      } else {
        call.finish(2, "", "hack: no command " + Quote.word(command) + "; run 'help'\n");
      }
    }
  }
}
