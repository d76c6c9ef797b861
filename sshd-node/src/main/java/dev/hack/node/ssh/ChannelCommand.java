package dev.hack.node.ssh;

import dev.hack.node.api.ChannelApp;
import dev.hack.node.service.NodeContext;
import dev.hack.node.text.Tables;
import java.io.IOException;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutorService;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.channel.ChannelDataReceiver;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.channel.ChannelSessionAware;
import org.apache.sshd.server.command.AsyncCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * One SSH exec or shell request, as MINA sees it: its lifecycle, its input, and the way from a
 * command line to a {@link Verb}: the line's limits, the tailnet role (checked on the raw words and
 * again on the parse), the parse, {@code --help}, and one lookup. What a command does is its
 * verb's; how the channel prints and ends is {@link SshCall}'s. A shell request with a terminal
 * runs the session picker ({@link AppChannel}).
 *
 * <p>Output is asynchronous throughout, so nothing here ever blocks a PTY reader; verbs run on the
 * node's command executor, never on an SSH I/O thread.
 */
final class ChannelCommand implements AsyncCommand, ChannelSessionAware, ChannelDataReceiver {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelCommand.class);
  static final int MAX_COMMAND_LINE = 64 * 1024;

  /** The most words a command line may have (a command and its arguments included). */
  static final int MAX_ARGUMENTS = 1024;

  private final String line;
  private final NodeContext node;
  private final ExecutorService executor;
  private final ChannelApp.Factory shellApp;
  private ChannelSession channel;
  private ChannelSink out;
  private ChannelSink err;
  private ExitCallback exit;
  private volatile SshCall call;
  private volatile AppChannel app;
  private volatile TailnetLogin login;
  private volatile SshAudit audit = SshAudit.of(null, null);

  /** Keys typed before anything takes them are held here from the start (see the class). */
  private final InputRouter keys = new InputRouter(a -> call.detached(a));

  /**
   * @param line the exec command line, or null for a shell request
   * @param shellApp what a shell request with a pty runs, or null for the session list and usage
   */
  ChannelCommand(
      String line,
      NodeContext node,
      ExecutorService executor,
      ChannelApp.Factory shellApp,
      java.util.Set<SshCall> live) {
    this.line = line;
    this.node = node;
    this.executor = executor;
    this.shellApp = shellApp;
    this.live = live;
  }

  /** Every call of the server that has not been destroyed, for telling them the node stops. */
  private final java.util.Set<SshCall> live;

  @Override
  public void setChannelSession(ChannelSession session) {
    this.channel = session;
    session.setDataReceiver(this); // input straight from the I/O thread, no pipe
    login = TailnetLogin.of(session.getSession()); // null for key logins: no role applies
    audit = SshAudit.of(node.home(), session.getServerSession());
  }

  @Override
  public void setIoInputStream(IoInputStream in) {}

  @Override
  public void setIoOutputStream(IoOutputStream out) {
    this.out = new ChannelSink(out);
  }

  @Override
  public void setIoErrorStream(IoOutputStream err) {
    this.err = new ChannelSink(err);
  }

  @Override
  public void setInputStream(java.io.InputStream in) {}

  @Override
  public void setOutputStream(java.io.OutputStream out) {}

  @Override
  public void setErrorStream(java.io.OutputStream err) {}

  @Override
  public void setExitCallback(ExitCallback callback) {
    this.exit = callback;
  }

  @Override
  public void start(ChannelSession channel, Environment env) {
    SshCall c =
        new SshCall(
            node, executor, audit, login, channel.getServerSession(), out, err, exit, env, keys);
    call = c;
    live.add(c);
    if (line == null && c.pty() && shellApp != null) {
      // created here, before any input can arrive, so that none is lost while the app starts
      AppChannel a =
          new AppChannel(node, out, env.getEnv(), c.clientLocale(), c::clientSize, c::exit);
      a.audit(audit);
      app = a;
      env.addSignalListener((ch, signal) -> a.resized(c.clientSize()), Signal.WINCH);
    }
    executor.execute(() -> run(c));
  }

  private void run(SshCall c) {
    try {
      if (line == null) {
        AppChannel a = app;
        if (a != null) {
          startApp(a, c);
          return;
        }
        c.finish(0, overview(), "");
        return;
      }
      if (line.length() > MAX_COMMAND_LINE) {
        c.finish(
            2,
            "",
            "hack: command line too long ("
                + line.length()
                + " characters; the limit is "
                + MAX_COMMAND_LINE
                + ")\n");
        return;
      }
      List<String> words = ShellWords.split(line);
      if (words.size() > MAX_ARGUMENTS) {
        // picocli's work and memory for unmatched words grow far faster than the line: 32,000
        // words once took 12 s of CPU and 2.6 GB
        c.finish(
            2,
            "",
            "hack: too many words in the command line ("
                + words.size()
                + "; the limit is "
                + MAX_ARGUMENTS
                + ")\n");
        return;
      }
      if (words.isEmpty()) {
        c.finish(0, overview(), "");
        return;
      }
      dispatch(c, words);
    } catch (IllegalArgumentException e) {
      auditFailure(c, e);
      c.finish(2, "", "hack: " + Quote.line(e.getMessage()) + "\n"); // the arguments were wrong
    } catch (IllegalStateException | NoSuchElementException | IOException e) {
      auditFailure(c, e);
      c.finish(1, "", "hack: " + Quote.line(e.getMessage()) + "\n");
    } catch (RuntimeException e) {
      // never leave the client hanging on an open channel, whatever went wrong
      LOG.warn("command {} failed", Quote.word(line), e);
      c.finish(1, "", "hack: internal error: " + e + "\n");
    } catch (Error e) {
      c.finish(1, "", "hack: internal error: " + e + "\n");
      throw e; // the thread's handler ends the node (NodeFailures): it must not go on half alive
    }
  }

  /** The failure of a change or attach, for the audit log (reads and usage errors are not). */
  private static void auditFailure(SshCall c, Exception e) {
    String action = c.auditAction();
    if (action != null) {
      c.audit.failed(action, e.getMessage());
    }
  }

  private void startApp(AppChannel a, SshCall c) {
    TailnetLogin who = login;
    ChannelApp.Factory factory =
        who == null ? shellApp : ch -> shellApp.start(new TailnetRoleChannel(ch, who.role()));
    try {
      a.start(factory);
    } catch (IOException | RuntimeException e) {
      LOG.warn("the session picker did not start", e);
      app = null;
      c.finish(1, "", "hack: cannot start the session picker: " + e.getMessage() + "\n");
    }
  }

  private void dispatch(SshCall c, List<String> words) throws IOException {
    String name = words.get(0);
    if (!SshCommands.isCommand(name)) {
      c.finish(
          2,
          "",
          "hack: unknown command " + Quote.word(name) + "; run 'help' to see the commands\n");
      return;
    }
    TailnetLogin who = login;
    // a tailnet role is checked on the raw words, before anything is parsed or echoed back
    if (who != null
        && !allowed(
            c, who, SshCommands.needs(words), name.equals("attach"), SshAudit.describe(words))) {
      return;
    }
    ParseResult parsed;
    try {
      parsed = SshCommands.parser().parseArgs(words.toArray(String[]::new));
    } catch (ParameterException e) {
      c.finish(
          2,
          "",
          "hack: " + name + ": " + SshCommands.parseError(e) + " (see: help " + name + ")\n");
      return;
    }
    ParseResult leaf = parsed.subcommand();
    for (ParseResult p = leaf; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
      if (p.isUsageHelpRequested()) {
        c.finish(0, SshCall.usage(p.commandSpec().commandLine()), ""); // job start --help
        return;
      }
      leaf = p;
    }
    Verb verb = (Verb) leaf.commandSpec().userObject();
    if (who != null
        && !allowed(
            c,
            who,
            SshCommands.needs(parsed),
            verb instanceof SessionVerbs.Attach,
            SshAudit.describe(parsed))) {
      return;
    }
    if (verb instanceof Verb.Group) { // job, peer or hub alone
      c.finish(2, "", SshCall.usage(leaf.commandSpec().commandLine()));
      return;
    }
    if (verb.audited()) {
      c.auditing(SshAudit.describe(parsed)); // a change or an attach: its failure is logged
    }
    verb.run(c);
  }

  /** Whether the tailnet login's role allows what the command needs; if not, refuses it. */
  private static boolean allowed(
      SshCall c, TailnetLogin who, SshCommands.Needs needs, boolean attach, String action) {
    if (who.role().allows(needs.role())) {
      return true;
    }
    String hint =
        attach && who.role().allows(TailnetRole.VIEW) ? " (attach --read-only is allowed)" : "";
    c.audit.refused(action, SshCommands.refusal(who.role(), needs.what(), needs.role()));
    c.finish(
        1,
        "",
        "hack: " + SshCommands.refusal(who.role(), needs.what(), needs.role()) + hint + "\n");
    return false;
  }

  @Override
  public int data(ChannelSession channel, byte[] buf, int start, int len) {
    AppChannel ac = app;
    if (ac != null) {
      ac.data(buf, start, len);
      return len;
    }
    keys.input(buf, start, len);
    return len;
  }

  @Override
  public void close() {}

  @Override
  public void destroy(ChannelSession channel) {
    // the client went away (or the channel closed after exit): free what it held
    AppChannel ac = app;
    if (ac != null) {
      ac.close();
    }
    SshCall c = call;
    if (c != null) {
      live.remove(c);
      c.close();
    } else {
      keys.close();
    }
  }

  private String overview() {
    return Tables.sessions(node.supervisor().list()) + "\n" + SshCommands.usage();
  }
}
