package dev.hack.node.ssh;

import dev.hack.node.api.PtySize;
import dev.hack.node.service.NodeContext;
import dev.hack.node.supervisor.Attachment;
import dev.hack.node.supervisor.Follower;
import dev.hack.node.supervisor.Session;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.session.ServerSession;
import picocli.CommandLine;

/**
 * What a {@link Verb} can do with the SSH channel it runs on: print and exit (stdout, then stderr,
 * then the exit status, in that order, once), read the client's terminal and locale, and hand the
 * channel over to an attachment or a log follower that ends it later. {@link ChannelCommand} makes
 * one per exec or shell request; a verb never sees MINA's channel.
 *
 * <p>Thread-safe: a verb runs on the node's command executor while input arrives on an SSH I/O
 * thread and the channel may be destroyed at any time.
 */
final class SshCall {
  final NodeContext node;
  final ExecutorService executor;
  final SshAudit audit;

  /** The tailnet login, or null for a key login (no role applies). */
  final TailnetLogin login;

  private final ServerSession session;
  private final ChannelSink out;
  private final ChannelSink err;
  private final ExitCallback exit;
  private final Environment env;
  private final boolean pty;
  private final InputRouter keys;
  private final AtomicBoolean exited = new AtomicBoolean();

  private volatile String auditAction; // a change or attach being done, for its failure line
  private volatile String attachedTo;
  private volatile Follower follower;
  private volatile Session followed;
  private volatile AutoCloseable reader; // what else ends with the channel (a job's log pump)

  SshCall(
      NodeContext node,
      ExecutorService executor,
      SshAudit audit,
      TailnetLogin login,
      ServerSession session,
      ChannelSink out,
      ChannelSink err,
      ExitCallback exit,
      Environment env,
      InputRouter keys) {
    this.node = node;
    this.executor = executor;
    this.audit = audit;
    this.login = login;
    this.session = session;
    this.out = out;
    this.err = err;
    this.exit = exit;
    this.env = env;
    this.keys = keys;
    this.pty =
        !env.getPtyModes().isEmpty()
            || env.getEnv().containsKey(Environment.ENV_TERM)
            || env.getEnv().containsKey(Environment.ENV_COLUMNS);
  }

  /** The connection, for what acts on it ({@code peer join}, disconnecting a revoked key). */
  ServerSession session() {
    return session;
  }

  /** The channel's stdout, for what streams to it (an attachment, a log). */
  ChannelSink out() {
    return out;
  }

  /** Whether the client asked for a terminal ({@code ssh -t}). */
  boolean pty() {
    return pty;
  }

  /** Refuses a verb that needs a terminal on a channel without one. */
  void requirePty(String what) {
    if (!pty) {
      throw new IllegalArgumentException(
          what + " needs a terminal: connect with ssh -t (e.g. ssh -t HOST " + what + " ...)");
    }
  }

  /** The client's {@code LANG} and {@code LC_*}, for what starts programs on its behalf. */
  Map<String, String> clientLocale() {
    Map<String, String> locale = new HashMap<>();
    for (Map.Entry<String, String> e : env.getEnv().entrySet()) {
      String k = e.getKey();
      if (k.equals("LANG") || k.startsWith("LC_")) {
        locale.put(k, e.getValue());
      }
    }
    return locale;
  }

  /** The client's terminal size now, or the default where it sent none. */
  PtySize clientSize() {
    return PtySize.orDefault(
        parseInt(env.getEnv().get(Environment.ENV_COLUMNS)),
        parseInt(env.getEnv().get(Environment.ENV_LINES)));
  }

  private static int parseInt(String s) {
    try {
      return s == null ? 0 : Integer.parseInt(s.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Names the change or attach under way, so that its failure is audited. */
  void auditing(String action) {
    auditAction = action;
  }

  /** The change or attach under way, or null. */
  String auditAction() {
    return auditAction;
  }

  /** Prints {@code stdout}, then {@code stderr}, then ends the channel with {@code code}. */
  void finish(int code, String stdout, String stderr) {
    byte[] o = terminalText(stdout);
    byte[] e = terminalText(stderr);
    Runnable afterErr = () -> exit(code);
    Runnable afterOut = e.length == 0 ? afterErr : () -> err.send(e, 0, e.length, afterErr);
    if (o.length == 0) {
      afterOut.run();
    } else {
      out.send(o, 0, o.length, afterOut);
    }
  }

  /** Sends {@code message} as it is (a terminal's own bytes), then ends with {@code code}. */
  void exitWith(int code, String message) {
    if (message.isEmpty()) {
      exit(code);
    } else {
      byte[] b = message.getBytes(StandardCharsets.UTF_8);
      out.send(b, 0, b.length, () -> exit(code));
    }
  }

  /** Ends the channel with {@code code}; only the first call counts. */
  void exit(int code) {
    if (exited.compareAndSet(false, true)) {
      exit.onExit(code);
    }
  }

  /** With a PTY the client's terminal is raw: lines need CR LF. */
  private byte[] terminalText(String s) {
    if (pty) {
      s = s.replace("\r\n", "\n").replace("\n", "\r\n");
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A command's help, as {@code help COMMAND} and {@code COMMAND --help} print it. */
  static String usage(CommandLine cl) {
    StringWriter w = new StringWriter();
    cl.usage(new PrintWriter(w), CommandLine.Help.Ansi.OFF);
    return w.toString();
  }

  /** Sets the byte that detaches an attachment of this channel, or -1 for none. */
  void detachKey(int key) {
    keys.detachKey(key);
  }

  /**
   * Names what is about to be attached ({@code ID}, {@code ID@PEER}, a tmux name) for the messages
   * the attachment's end and a detach print; call it before opening the attachment, whose end may
   * come at once.
   */
  void attaching(String label) {
    attachedTo = label;
  }

  /**
   * Makes {@code a} the target of the client's keys and window changes, first handing it what was
   * typed while attaching; the channel then ends with the attachment ({@link #sessionEnded}, the
   * detach key, or the client leaving). {@code a} is detached at once when the client left
   * meanwhile.
   */
  void attached(Attachment a) {
    if (!keys.toSession(a)) {
      a.detach(); // the client left while the attach was being set up
      audit.ok("detach", "detach " + attachedTo, "the connection closed");
      return;
    }
    keys.release();
    // a window change that came while attaching (after the size was read for the attach, before
    // the listener was there) is not lost: the size is read once more, and the same size is free
    env.addSignalListener((channel, signal) -> a.resize(clientSize()), Signal.WINCH);
    a.resize(clientSize());
  }

  /**
   * Ends the channel as an attached session ended: the terminal put back and a line saying so when
   * its program exited, with the program's exit status.
   */
  void sessionEnded(Attachment.End end) {
    int code = end.exitCode() == null ? 0 : end.exitCode();
    String msg =
        end.sessionExited()
            ? TerminalReset.SEQUENCE
                + "\r\n[session "
                + attachedTo
                + " exited"
                + (end.exitCode() == null ? "" : " with code " + end.exitCode())
                + "]\r\n"
            : "";
    exitWith(code, msg);
  }

  /**
   * The node is stopping: an attached client is told in one line whether its session goes on, and
   * the channel ends with {@link #NODE_STOPPING} (a client may take that as "attach again").
   * Returns whether this call had an attachment to end (or one being set up: its screen may take a
   * while to replay).
   */
  boolean nodeStopping(boolean sessionsSurvive) {
    Attachment a = keys.close(); // an attach still being set up finds it closed and detaches
    if (a == null && attachedTo == null) {
      return false; // not attached, nor attaching
    }
    if (a != null) {
      a.detach();
    }
    audit.ok("detach", "detach " + attachedTo, "the node is stopping");
    String what =
        sessionsSurvive
            ? attachedTo + " keeps running; attach again once the node is back"
            : attachedTo + " ends with it";
    exitWith(
        dev.hack.node.api.ExitCodes.NODE_STOPPING,
        TerminalReset.SEQUENCE + "\r\n[hack: the node is stopping; " + what + "]\r\n");
    return true;
  }

  /** The detach key left {@code a}: the client is told, and the channel ends. */
  void detached(Attachment a) {
    a.detach();
    audit.ok("detach", "detach " + attachedTo, null);
    exitWith(0, TerminalReset.SEQUENCE + "\r\n[detached from " + attachedTo + "]\r\n");
  }

  /**
   * Hands the channel to {@code f}, which reads {@code s}'s log (or {@code s} is null for a reader
   * that is not a follower of the session); it is closed with the channel.
   */
  void following(Session s, Follower f) {
    followed = s;
    follower = f;
  }

  /** Hands the channel to {@code r}, closed with the channel. */
  void reading(AutoCloseable r) {
    reader = r;
  }

  /** The client went away, or the channel closed after exit: frees what it held. */
  void close() {
    Attachment a = keys.close();
    if (a != null) {
      a.detach();
      audit.ok("detach", "detach " + attachedTo, "the connection closed");
    }
    AutoCloseable r = reader;
    if (r != null) {
      try {
        r.close();
      } catch (Exception e) {
        // nothing is left to tell: the channel is gone
      }
    }
    Follower f = follower;
    if (f != null) {
      Session s = followed;
      if (s != null) {
        s.unfollow(f);
      } else {
        f.close();
      }
    }
  }
}
