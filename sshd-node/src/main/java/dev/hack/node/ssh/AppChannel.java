package dev.hack.node.ssh;

import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.service.Attachments;
import dev.hack.node.service.NodeContext;
import dev.hack.node.service.Sessions;
import dev.hack.node.supervisor.Attachment;
import dev.hack.node.supervisor.Session;
import dev.hack.node.supervisor.Supervisor;
import dev.hack.node.text.SessionText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * A shell channel that runs a {@link ChannelApp} (the picker), and lends itself to sessions the app
 * attaches to. Input from the client is routed here, on the SSH I/O thread, before anything reads
 * it: to the attached session (watching for the detach key), or to the app.
 *
 * <p>Owned by its {@link ChannelCommand}, which calls {@link #data}, {@link #resized} and {@link
 * #close}; the app calls the {@link ChannelApp.Channel} methods from its own threads.
 */
final class AppChannel implements ChannelApp.Channel {

  /**
   * After a session: the terminal modes it may have set are reset, and the cursor goes to a fresh
   * bottom line, so that what the session left on the main screen stays readable after the app ends
   * and the client's next prompt starts below it.
   */
  private static final byte[] RESET =
      (TerminalReset.SEQUENCE + "\u001b[999;1H\r\n").getBytes(StandardCharsets.UTF_8);

  /** The app left its screen already; this only marks the end of its output. */
  private static final byte[] AT_EXIT = "\r".getBytes(StandardCharsets.UTF_8);

  private final Supervisor supervisor;
  private final NodeContext node;
  private final ChannelSink out;
  private final Map<String, String> env;
  private final Map<String, String> locale;
  private final Supplier<PtySize> size;
  private final IntConsumer exit;

  // guarded by this
  private ChannelApp app;
  private CompletableFuture<ChannelApp.AttachEnd> attached;

  /** Keys: held while the app starts or an attach is set up, then the session's or the app's. */
  private final InputRouter keys =
      new InputRouter(a -> ended(a, new ChannelApp.AttachEnd(false, null), true));

  private boolean closed;

  /** Where the picker's changes and attaches are audited (set by the channel's command). */
  private volatile SshAudit audit = SshAudit.of(null, null);

  void audit(SshAudit a) {
    audit = a;
  }

  SshAudit audit() {
    return audit;
  }

  AppChannel(
      NodeContext node,
      ChannelSink out,
      Map<String, String> env,
      Map<String, String> locale,
      Supplier<PtySize> size,
      IntConsumer exit) {
    this.supervisor = node.supervisor();
    this.node = node;
    this.out = out;
    this.env = Map.copyOf(env);
    this.locale = Map.copyOf(locale);
    this.size = size;
    this.exit = exit;
  }

  /** Starts the app; input typed meanwhile is handed to it afterwards. */
  void start(ChannelApp.Factory factory) throws IOException {
    ChannelApp a = factory.start(this);
    synchronized (this) {
      if (closed) {
        a.close();
        return;
      }
      app = a;
    }
    keys.toApp(a::input);
  }

  /** Client input, on an SSH I/O thread. */
  void data(byte[] buf, int start, int len) {
    keys.input(buf, start, len);
  }

  /** The client's window changed. */
  void resized(PtySize newSize) {
    Attachment a;
    ChannelApp target;
    synchronized (this) {
      target = app;
    }
    a = keys.session();
    if (a != null) {
      a.resize(newSize);
    }
    if (target != null) {
      target.resize(newSize);
    }
  }

  /** The channel is going away: detach and stop the app. Idempotent. */
  void close() {
    Attachment a;
    ChannelApp target;
    CompletableFuture<ChannelApp.AttachEnd> f;
    synchronized (this) {
      closed = true;
      a = keys.close();
      target = app;
      f = attached;
      attached = null;
    }
    if (a != null) {
      a.detach();
      audit.ok("detach", null, "from the picker: the connection closed");
    }
    if (f != null) {
      f.complete(new ChannelApp.AttachEnd(false, null));
    }
    if (target != null) {
      target.close();
    }
  }

  /** Hands the channel back to the app, once, after the client's terminal was reset. */
  private void ended(Attachment a, ChannelApp.AttachEnd end, boolean detach) {
    CompletableFuture<ChannelApp.AttachEnd> f;
    synchronized (this) {
      Attachment current = keys.session();
      if (current != a && current != null) {
        return;
      }
      keys.clear(a);
      f = attached;
      attached = null;
    }
    if (detach) {
      a.detach();
      audit.ok("detach", null, "from the picker");
    }
    if (f != null) {
      out.send(RESET, 0, RESET.length, () -> {});
      f.complete(end);
    }
  }

  // ---- ChannelApp.Channel ----

  @Override
  public PtySize size() {
    return size.get();
  }

  @Override
  public Map<String, String> env() {
    return env;
  }

  @Override
  public void send(byte[] data, int off, int len, Runnable onSent) {
    out.send(data, off, len, onSent);
  }

  @Override
  public void exit(int code) {
    out.send(AT_EXIT, 0, AT_EXIT.length, () -> exit.accept(code));
  }

  @Override
  public NodeStatus status() {
    return node.status();
  }

  @Override
  public List<SessionInfo> sessions() {
    return supervisor.list();
  }

  @Override
  public String lastLine(String id) {
    try {
      return SessionText.lastLine(supervisor.get(id));
    } catch (RuntimeException e) {
      return ""; // gone since it was listed
    }
  }

  @Override
  public List<String> preview(String id, boolean log, int lines) throws IOException {
    Session s = supervisor.get(id);
    return log ? SessionText.logTail(s, lines) : SessionText.screen(s, lines);
  }

  @Override
  public SessionInfo create(String name, String type, String cwd, String commandLine)
      throws IOException {
    List<String> command =
        commandLine == null || commandLine.isBlank() ? List.of() : ShellWords.split(commandLine);
    SessionInfo info =
        node.sessions()
            .create(
                new Sessions.Request(
                    name == null || name.isBlank() ? null : name.strip(),
                    type,
                    command,
                    cwd == null || cwd.isBlank() ? null : cwd.strip(),
                    null,
                    locale,
                    null,
                    size.get()))
            .info();
    audit.ok("session_new", "new " + info.id(), "type " + info.type() + ", from the picker");
    return info;
  }

  @Override
  public void stop(String id) throws IOException {
    supervisor.stop(id);
    audit.ok("session_stop", "stop " + id, "from the picker");
  }

  @Override
  public void restart(String id) throws IOException {
    supervisor.restart(id);
    audit.ok("session_restart", "restart " + id, "from the picker");
  }

  @Override
  public List<dev.hack.node.api.PeerStatus> peers() throws IOException {
    return node.peers() == null ? List.of() : node.peers().status();
  }

  @Override
  public String onPeer(String peer, String command, java.time.Duration limit) throws IOException {
    dev.hack.node.client.NodeClient.Result r = node.peers().run(peer, command, limit);
    if (r.exit() != 0) {
      throw new IOException(peer + ": " + r.err().strip().replaceFirst("^hack: ", ""));
    }
    return r.out();
  }

  @Override
  public CompletableFuture<ChannelApp.AttachEnd> attach(String id, boolean readOnly)
      throws IOException {
    Attachments.Target target = node.attachments().resolve(id);
    if (target.local()) {
      supervisor.get(target.id()); // an unknown session is refused before anything changes
    }
    CompletableFuture<ChannelApp.AttachEnd> f = new CompletableFuture<>();
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the channel is closed");
      }
      if (attached != null) {
        throw new IllegalStateException("already attached");
      }
      attached = f;
      keys.hold(); // keys typed from now on are the session's
    }
    Attachment a;
    try {
      java.util.function.Consumer<Attachment.End> onEnd =
          end -> onSessionEnd(f, new ChannelApp.AttachEnd(end.sessionExited(), end.exitCode()));
      a = node.attachments().attach(target, readOnly, size.get(), locale, out, onEnd);
    } catch (IOException | RuntimeException e) {
      synchronized (this) {
        attached = null;
      }
      keys.release(); // to the app after all
      throw e;
    }
    boolean endedAlready;
    synchronized (this) {
      endedAlready = f.isDone() || attached != f;
      if (!endedAlready) {
        keys.toSession(a); // with the check: a session that ends now finds it attached
      }
    }
    audit.ok("attach", "attach " + id, (readOnly ? "read-only, " : "") + "from the picker");
    if (endedAlready) {
      a.detach();
    }
    keys.release();
    return f;
  }

  /** The session ended while attached (after every byte of it was sent). */
  private void onSessionEnd(CompletableFuture<ChannelApp.AttachEnd> f, ChannelApp.AttachEnd end) {
    Attachment a;
    synchronized (this) {
      if (attached != f) {
        return;
      }
      a = keys.session();
      if (a == null) {
        // ended before attach() returned: complete here; attach() sees it and detaches
        attached = null;
        out.send(RESET, 0, RESET.length, () -> {});
        f.complete(end);
        return;
      }
    }
    ended(a, end, false);
  }
}
