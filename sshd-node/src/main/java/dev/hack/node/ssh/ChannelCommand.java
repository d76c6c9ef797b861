package dev.hack.node.ssh;

import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.Json;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.Printable;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.client.NodeClient;
import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobEvent;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.jobs.JobMeta;
import dev.hack.node.jobs.JobSpec;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.service.Sessions;
import dev.hack.node.service.Workdirs;
import dev.hack.node.supervisor.Attachment;
import dev.hack.node.supervisor.Follower;
import dev.hack.node.supervisor.Session;
import dev.hack.node.supervisor.SessionIds;
import dev.hack.node.supervisor.Supervisor;
import dev.hack.node.supervisor.TmuxSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
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
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * One SSH exec or shell request: parses the command line, runs it against the supervisor, and ends
 * the channel with an exit status. Output is asynchronous throughout, so nothing here ever blocks a
 * PTY reader; blocking work (stop's grace period, tmux calls) runs on the node's command executor,
 * never on an SSH I/O thread.
 */
final class ChannelCommand implements AsyncCommand, ChannelSessionAware, ChannelDataReceiver {
  private ChannelSession channel;
  private static final Logger LOG = LoggerFactory.getLogger(ChannelCommand.class);
  static final int MAX_COMMAND_LINE = 64 * 1024;

  /** The most words a command line may have (a command and its arguments included). */
  static final int MAX_ARGUMENTS = 1024;

  private final String line;
  private final Supervisor supervisor;
  private final NodeInfo node;
  private final ExecutorService executor;
  private final ChannelApp.Factory shellApp;
  private final AtomicBoolean exited = new AtomicBoolean();
  private IoOutputStream rawOut;
  private IoOutputStream rawErr;
  private ChannelSink out;
  private ChannelSink err;
  private ExitCallback exit;
  private Environment env;
  private boolean pty;
  private volatile Follower follower;
  private volatile Session followed;
  private volatile String attachedTo;
  private volatile JobLogPump jobLogs;
  private volatile AppChannel app;
  private volatile TailnetLogin login;
  private volatile SshAudit audit = SshAudit.of(null, null);
  private volatile String auditAction; // a change or attach being done, for its failure line
  private final InputRouter keys = new InputRouter(this::detached);

  /**
   * @param line the exec command line, or null for a shell request
   * @param shellApp what a shell request with a pty runs, or null for the session list and usage
   */
  ChannelCommand(
      String line,
      Supervisor supervisor,
      NodeInfo node,
      ExecutorService executor,
      ChannelApp.Factory shellApp) {
    this.line = line;
    this.supervisor = supervisor;
    this.node = node;
    this.executor = executor;
    this.shellApp = shellApp;
  }

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
    this.rawOut = out;
    this.out = new ChannelSink(out);
  }

  @Override
  public void setIoErrorStream(IoOutputStream err) {
    this.rawErr = err;
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
    this.env = env;
    this.pty =
        !env.getPtyModes().isEmpty()
            || env.getEnv().containsKey(Environment.ENV_TERM)
            || env.getEnv().containsKey(Environment.ENV_COLUMNS);
    if (line == null && pty && shellApp != null) {
      // created here, before any input can arrive, so that none is lost while the app starts
      AppChannel a =
          new AppChannel(
              supervisor,
              node,
              out,
              env.getEnv(),
              clientLocale(),
              this::clientSize,
              code -> exit(code));
      a.audit(audit);
      app = a;
      env.addSignalListener((ch, signal) -> a.resized(clientSize()), Signal.WINCH);
    }
    executor.execute(this::run);
  }

  private void run() {
    try {
      if (line == null) {
        AppChannel a = app;
        if (a != null) {
          startApp(a);
          return;
        }
        finish(0, overview(), "");
        return;
      }
      if (line.length() > MAX_COMMAND_LINE) {
        finish(
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
        finish(
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
        finish(0, overview(), "");
        return;
      }
      dispatch(words);
    } catch (IllegalArgumentException e) {
      auditFailure(e);
      finish(2, "", "hack: " + Quote.line(e.getMessage()) + "\n"); // the arguments were wrong
    } catch (IllegalStateException | NoSuchElementException | IOException e) {
      auditFailure(e);
      finish(1, "", "hack: " + Quote.line(e.getMessage()) + "\n");
    } catch (RuntimeException e) {
      // never leave the client hanging on an open channel, whatever went wrong
      LOG.warn("command {} failed", Quote.word(line), e);
      finish(1, "", "hack: internal error: " + e + "\n");
    } catch (Error e) {
      finish(1, "", "hack: internal error: " + e + "\n");
      throw e; // the thread's handler ends the node (NodeFailures): it must not go on half alive
    }
  }

  /** The failure of a change or attach, for the audit log (reads and usage errors are not). */
  private void auditFailure(Exception e) {
    String action = auditAction;
    if (action != null) {
      audit.failed(action, e.getMessage());
    }
  }

  private void startApp(AppChannel a) {
    TailnetLogin who = login;
    ChannelApp.Factory factory =
        who == null ? shellApp : ch -> shellApp.start(new TailnetRoleChannel(ch, who.role()));
    try {
      a.start(factory);
    } catch (IOException | RuntimeException e) {
      LOG.warn("the session picker did not start", e);
      app = null;
      finish(1, "", "hack: cannot start the session picker: " + e.getMessage() + "\n");
    }
  }

  private void dispatch(List<String> words) throws IOException {
    String name = words.get(0);
    if (!SshCommands.isCommand(name)) {
      finish(
          2,
          "",
          "hack: unknown command " + Quote.word(name) + "; run 'help' to see the commands\n");
      return;
    }
    TailnetLogin who = login;
    // a tailnet role is checked on the raw words, before anything is parsed or echoed back
    if (who != null
        && !allowed(
            who, SshCommands.needs(words), name.equals("attach"), SshAudit.describe(words))) {
      return;
    }
    CommandLine cl = SshCommands.parser();
    ParseResult parsed;
    try {
      parsed = cl.parseArgs(words.toArray(String[]::new));
    } catch (ParameterException e) {
      finish(
          2,
          "",
          "hack: " + name + ": " + SshCommands.parseError(e) + " (see: help " + name + ")\n");
      return;
    }
    ParseResult sub = parsed.subcommand();
    if (sub.isUsageHelpRequested()) {
      finish(0, usage(sub.commandSpec().commandLine()), "");
      return;
    }
    if (who != null
        && !helpAsked(sub)
        && !allowed(
            who,
            SshCommands.needs(parsed),
            sub.commandSpec().userObject() instanceof SshCommands.Attach,
            SshAudit.describe(parsed))) {
      return;
    }
    Object cmd = sub.commandSpec().userObject();
    if (SshCommands.needs(parsed).role() != TailnetRole.VIEW || cmd instanceof SshCommands.Attach) {
      auditAction = SshAudit.describe(parsed); // a change or an attach: its failure is logged
    }
    if (cmd instanceof SshCommands.Ls ls && ls.all) {
      listAll(ls);
    } else if (cmd instanceof SshCommands.Ls ls) {
      List<SessionInfo> list = supervisor.list();
      if (ls.json && ls.lastLine) {
        finish(0, listWithLastLines(list) + "\n", "");
      } else {
        finish(0, ls.json ? Json.GSON.toJson(list) + "\n" : table(list), "");
      }
    } else if (cmd instanceof SshCommands.Peek p) {
      peek(p);
    } else if (cmd instanceof SshCommands.New n) {
      startNew(n);
    } else if (cmd instanceof SshCommands.Attach a) {
      if (a.detachKey != null) {
        keys.detachKey(parseDetachKey(a.detachKey));
      }
      int at = a.id.lastIndexOf('@');
      String owner = at > 0 ? a.id.substring(at + 1) : null;
      NodeStatus self = owner == null ? null : node.status();
      if (owner != null && !owner.equals(self.name()) && !owner.equals(self.id())) {
        attachThroughPeer(owner, a.id.substring(0, at), a.readOnly);
      } else {
        attach(supervisor.get(at > 0 ? a.id.substring(0, at) : a.id), a.readOnly);
      }
    } else if (cmd instanceof SshCommands.Logs l) {
      logs(supervisor.get(l.id), l.from, l.follow);
    } else if (cmd instanceof SshCommands.Send s) {
      byte[] sent = ShellWords.unescape(s.text);
      supervisor.get(s.id).send(sent);
      audit.ok("session_send", "send " + s.id, sent.length + " bytes"); // never the text
      finish(0, "", "");
    } else if (cmd instanceof SshCommands.Stop s) {
      supervisor.stop(s.id);
      audit.ok("session_stop", "stop " + s.id, null);
      finish(0, "", "");
    } else if (cmd instanceof SshCommands.Restart r) {
      supervisor.restart(r.id);
      audit.ok("session_restart", "restart " + r.id, null);
      finish(0, "", "");
    } else if (cmd instanceof SshCommands.Rm r) {
      supervisor.remove(r.id);
      audit.ok("session_rm", "rm " + r.id, null);
      finish(0, "", "");
    } else if (cmd instanceof SshCommands.TmuxCmd t) {
      tmux(t.name);
    } else if (cmd instanceof SshCommands.Status s) {
      NodeStatus st = node.status();
      finish(0, s.json ? Json.GSON.toJson(st) + "\n" : statusText(st), "");
    } else if (cmd instanceof SshCommands.JobCmd) {
      job(sub);
    } else if (cmd instanceof SshCommands.PeerCmd) {
      peer(sub);
    } else if (cmd instanceof MeshCommands.HubCmd) {
      hub(sub);
    } else if (cmd instanceof SshCommands.Help h) {
      if (h.command == null) {
        finish(0, SshCommands.USAGE, "");
      } else if (cl.getSubcommands().containsKey(h.command)) {
        finish(0, usage(cl.getSubcommands().get(h.command)), "");
      } else {
        finish(2, "", "hack: no command " + Quote.word(h.command) + "; run 'help'\n");
      }
    } else {
      finish(2, "", "hack: " + name + " is not available\n");
    }
  }

  /** Whether the tailnet login's role allows what the command needs; if not, refuses it. */
  private boolean allowed(
      TailnetLogin who, SshCommands.Needs needs, boolean attach, String action) {
    if (who.role().allows(needs.role())) {
      return true;
    }
    String hint =
        attach && who.role().allows(TailnetRole.VIEW) ? " (attach --read-only is allowed)" : "";
    audit.refused(action, SshCommands.refusal(who.role(), needs.what(), needs.role()));
    finish(
        1,
        "",
        "hack: " + SshCommands.refusal(who.role(), needs.what(), needs.role()) + hint + "\n");
    return false;
  }

  /** Whether {@code --help} was asked anywhere down the command ({@code job start --help}). */
  private static boolean helpAsked(ParseResult r) {
    for (ParseResult p = r; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
      if (p.isUsageHelpRequested()) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code ls --all}: this node's sessions and every peer's, each with {@code node}; peers that do
   * not answer within the timeout are named on stderr (exit status stays 0: the listing is what
   * could be had).
   */
  private void listAll(SshCommands.Ls ls) throws IOException {
    if (ls.timeout <= 0 || ls.timeout > 60) {
      throw new IllegalArgumentException("--timeout is in seconds, more than 0 and at most 60");
    }
    String self = node.status().name();
    List<SessionInfo> all = new java.util.ArrayList<>();
    for (SessionInfo s : supervisor.list()) {
      all.add(s.withNode(self));
    }
    dev.hack.node.mesh.Peers.Listing peers =
        node.peers().listAll(Duration.ofMillis((long) (ls.timeout * 1000)));
    all.addAll(peers.sessions());
    StringBuilder err = new StringBuilder();
    for (dev.hack.node.api.PeerStatus p : peers.offline()) {
      err.append("hack: offline ")
          .append(p.name())
          .append(": ")
          .append(p.error())
          .append(
              p.lastSeen() == null ? "" : " (last seen " + age(p.lastSeen().toString()) + " ago)")
          .append('\n');
    }
    finish(0, ls.json ? Json.GSON.toJson(all) + "\n" : tableWithNodes(all), err.toString());
  }

  static String tableWithNodes(List<SessionInfo> list) {
    if (list.isEmpty()) {
      return "no sessions on this node or its peers\n";
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-24s %-12s %-8s %-14s %-5s %s%n";
    sb.append(String.format(fmt, "SESSION", "NODE", "TYPE", "STATUS", "AGE", "COMMAND"));
    for (SessionInfo s : list) {
      String cmd = Printable.of(String.join(" ", s.command() == null ? List.of() : s.command()));
      sb.append(
          String.format(
              fmt,
              s.id(),
              Printable.of(s.node()),
              s.type(),
              s.statusText(),
              age(s.createdAt()),
              cmd.length() > 40 ? cmd.substring(0, 37) + "..." : cmd));
    }
    return sb.toString();
  }

  /**
   * The command under a group such as {@code peer} or {@code hub}, or null when there is none to
   * run: the group alone (usage on stderr, exit 2) or {@code --help} (usage on stdout) finished.
   */
  private ParseResult leafOf(ParseResult level) {
    ParseResult leaf = level.subcommand();
    if (leaf == null) {
      finish(2, "", usage(level.commandSpec().commandLine()));
      return null;
    }
    if (leaf.isUsageHelpRequested()) {
      finish(0, usage(leaf.commandSpec().commandLine()), "");
      return null;
    }
    return leaf;
  }

  private void hub(ParseResult level) throws IOException {
    ParseResult leaf = leafOf(level);
    if (leaf == null) {
      return;
    }
    MeshCommands.Outcome o = MeshCommands.hub(leaf.commandSpec().userObject(), node);
    if (!(leaf.commandSpec().userObject() instanceof MeshCommands.HubList)) {
      audit.ok("hub_" + leaf.commandSpec().name(), auditAction, null);
    }
    finish(o.code(), o.out(), o.err());
  }

  private void peer(ParseResult level) throws IOException {
    ParseResult leaf = leafOf(level);
    if (leaf == null) {
      return;
    }
    Object cmd = leaf.commandSpec().userObject();
    dev.hack.node.mesh.NodeRegistry registry = dev.hack.node.mesh.NodeRegistry.open(node.home());
    if (cmd instanceof SshCommands.PeerAdd a) {
      java.security.PublicKey key = parseKey(a.hostKey);
      dev.hack.node.mesh.RegisteredNode.SshEndpoint at =
          dev.hack.node.mesh.RegisteredNode.SshEndpoint.parse(a.url);
      if (a.id != null && a.id.equals(node.status().id())) {
        throw new IllegalArgumentException("that is this node itself: a node is not its own peer");
      }
      dev.hack.node.mesh.RegisteredNode n =
          registry
              .find(a.name)
              .map(old -> old.withEndpoint(dev.hack.node.mesh.RegisteredNode.SSH, at.toString()))
              .orElse(dev.hack.node.mesh.RegisteredNode.of(a.name, at));
      if (a.id != null) {
        n = n.withId(a.id);
      }
      if (!n.labels().contains(dev.hack.node.mesh.Peers.PEER_LABEL)) {
        List<String> labels = new java.util.ArrayList<>(n.labels());
        labels.add(dev.hack.node.mesh.Peers.PEER_LABEL);
        n = n.withLabels(labels);
      }
      registry.put(n);
      node.peers().exchange().readmitted(a.id); // paired again explicitly: learnable again
      new dev.hack.keys.KnownHosts(node.home().knownHosts()).remember(at.host(), at.port(), key);
      if (a.authorize) {
        new dev.hack.keys.AuthorizedKeys(node.home().authorizedKeys(), w -> {})
            .authorize(dev.hack.keys.KeyFiles.openSshLine(key) + " hack-peer:" + a.name);
      }
      audit.ok(
          "peer_add",
          "peer add " + a.name,
          "at "
              + at
              + ", host key "
              + dev.hack.keys.KeyFiles.fingerprint(key)
              + (a.authorize ? ", may log in here" : ""));
      finish(
          0,
          "peer " + a.name + " at " + at + (a.authorize ? "; its node may log in here" : "") + "\n",
          "");
    } else if (cmd instanceof SshCommands.PeerList l) {
      List<dev.hack.node.api.PeerStatus> list = node.peers().status();
      if (l.json) {
        finish(0, Json.GSON.toJson(list) + "\n", "");
        return;
      }
      if (list.isEmpty()) {
        finish(0, "no peers; pair this node with another with: hack node pair NODE\n", "");
        return;
      }
      StringBuilder sb = new StringBuilder();
      String fmt = "%-16s %-24s %-8s %-9s %s%n";
      sb.append(String.format(fmt, "PEER", "ADDRESS", "STATUS", "LAST SEEN", "ERROR"));
      for (dev.hack.node.api.PeerStatus p : list) {
        sb.append(
            String.format(
                fmt,
                p.name(),
                p.address() == null ? "-" : p.address(),
                p.status(),
                p.lastSeen() == null ? "never" : age(p.lastSeen().toString()) + " ago",
                p.error() == null ? "" : p.error()));
      }
      finish(0, sb.toString(), "");
    } else if (cmd instanceof SshCommands.PeerRm r) {
      dev.hack.node.mesh.RegisteredNode n =
          registry
              .find(r.name)
              .orElseThrow(() -> new NoSuchElementException("no peer named " + r.name));
      registry.remove(r.name);
      node.peers().exchange().removed(n.id(), n.name()); // other peers will not bring it back
      // a joined node: its key was let in under its name, and its tunnel may be up right now
      List<java.security.PublicKey> revoked =
          new java.util.ArrayList<>(MeshCommands.revokeComment(node, "hack-peer:" + r.name));
      node.peers().dropTunnel(r.name);
      java.util.Optional<dev.hack.node.mesh.RegisteredNode.SshEndpoint> at = n.ssh();
      if (at.isPresent()) {
        dev.hack.keys.KnownHosts known = new dev.hack.keys.KnownHosts(node.home().knownHosts());
        java.util.Optional<java.security.PublicKey> key =
            known.lookup(at.get().host(), at.get().port());
        if (key.isPresent()
            && new dev.hack.keys.AuthorizedKeys(node.home().authorizedKeys(), w -> {})
                    .revoke(key.get())
                > 0) {
          revoked.add(key.get());
        }
      }
      for (java.security.PublicKey k : revoked) {
        MeshCommands.disconnect(channel.getServerSession(), k); // what it has open ends too
      }
      audit.ok("peer_rm", "peer rm " + r.name, revoked.size() + " keys revoked");
      finish(
          0,
          "removed peer "
              + r.name
              + (revoked.isEmpty() ? "" : "; its node may no longer log in here")
              + "\n",
          "");
    } else if (cmd instanceof MeshCommands.PeerExchangeCmd) {
      MeshCommands.Outcome o = MeshCommands.peerExchange(node);
      finish(o.code(), o.out(), o.err());
    } else if (cmd instanceof MeshCommands.PeerJoin j) {
      MeshCommands.Outcome o = MeshCommands.peerJoin(j, node, channel.getServerSession());
      audit.ok("peer_join", "peer join " + j.name, j.port == null ? "admitted" : "tunnel up");
      finish(o.code(), o.out(), o.err());
    } else if (cmd instanceof SshCommands.PeerWhoami) {
      NodeStatus st = node.status();
      java.security.KeyPair hostKey =
          dev.hack.keys.KeyFiles.loadOrCreate(node.home().hostKey(), "hack host key");
      Map<String, Object> me = new java.util.LinkedHashMap<>();
      me.put("id", st.id());
      me.put("name", st.name());
      me.put("host_key", dev.hack.keys.KeyFiles.openSshLine(hostKey.getPublic()));
      me.put("ssh", st.ssh());
      me.put("tailscale", st.tailscale());
      finish(0, Json.GSON.toJson(me) + "\n", "");
    }
  }

  private static java.security.PublicKey parseKey(String line) {
    try {
      return dev.hack.keys.KeyFiles.parseOpenSshLine(line);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--host-key: " + e.getMessage(), e);
    }
  }

  private void job(ParseResult jobLevel) throws IOException {
    ParseResult leaf = jobLevel.subcommand();
    if (leaf == null) {
      finish(
          jobLevel.isUsageHelpRequested() ? 0 : 2, usage(jobLevel.commandSpec().commandLine()), "");
      return;
    }
    if (leaf.isUsageHelpRequested()) {
      finish(0, usage(leaf.commandSpec().commandLine()), "");
      return;
    }
    JobManager jobs = node.jobs();
    Object cmd = leaf.commandSpec().userObject();
    if (cmd instanceof SshCommands.JobStart j) {
      Job job = jobs.create(jobSpec(j));
      audit.ok("job_start", "job start " + job.id(), null);
      finish(0, j.json ? Json.GSON.toJson(job.meta()) + "\n" : job.id() + "\n", "");
    } else if (cmd instanceof SshCommands.JobList l) {
      String projectId = l.project == null ? null : project(l.project).id();
      List<JobMeta> list = new java.util.ArrayList<>();
      for (Job j : jobs.list(projectId)) {
        list.add(j.meta());
      }
      finish(0, l.json ? Json.GSON.toJson(list) + "\n" : jobTable(list), "");
    } else if (cmd instanceof SshCommands.JobShow j) {
      Job job = job(jobs, j.id);
      finish(0, j.json ? jobJson(job) + "\n" : jobTable(List.of(job.meta())) + jobEvents(job), "");
    } else if (cmd instanceof SshCommands.JobLogs l) {
      Job job = job(jobs, l.id);
      jobLogs =
          JobLogPump.start(
              job, out, executor, l.from, l.follow, j -> exitWith(l.follow ? exitCode(j) : 0, ""));
    } else if (cmd instanceof SshCommands.JobCancel c) {
      Job job = job(jobs, c.id);
      dev.hack.node.service.Jobs.cancel(job);
      audit.ok("job_cancel", "job cancel " + job.id(), null);
      finish(0, "", "");
    }
  }

  /** How {@code job logs --follow} (and so {@code hack job run}) exits: as the job did. */
  static int exitCode(Job job) {
    JobMeta m = job.meta();
    if (JobMeta.COMPLETED.equals(m.status())) {
      return 0;
    }
    if (JobMeta.CANCELLED.equals(m.status())) {
      return 130;
    }
    return m.exitCode() != null && m.exitCode() != 0 ? m.exitCode() : 1;
  }

  private static Job job(JobManager jobs, String id) {
    return jobs.get(id)
        .orElseThrow(
            () ->
                new NoSuchElementException(
                    "no job " + id + " on this node; list them with: job list"));
  }

  private ProjectRegistry.Project project(String nameOrId) throws IOException {
    return ProjectRegistry.open(node.home())
        .find(nameOrId)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no project "
                        + nameOrId
                        + " on this node; register it with: hack project add"));
  }

  private JobSpec jobSpec(SshCommands.JobStart j) throws IOException {
    ProjectRegistry.Project p = j.project == null ? null : project(j.project);
    Path cwd = p != null ? Workdirs.inProject(p.root(), j.cwd) : Workdirs.underHome(j.cwd);
    Map<String, String> env = new HashMap<>(clientLocale());
    for (String kv : j.env) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--env takes NAME=VALUE, not " + Quote.word(kv));
      }
      env.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return new JobSpec(
        p == null ? null : p.id(), p == null ? null : p.name(), j.runner, j.command, cwd, env);
  }

  /** The job's fields and, under {@code events}, its history: why it ended is in the last one. */
  private static String jobJson(Job job) {
    com.google.gson.JsonObject o = Json.GSON.toJsonTree(job.meta()).getAsJsonObject();
    o.add("events", Json.GSON.toJsonTree(job.eventsAfter(0)));
    return Json.GSON.toJson(o);
  }

  private static String jobEvents(Job job) {
    StringBuilder sb = new StringBuilder("\nEVENTS\n");
    for (JobEvent e : job.eventsAfter(0)) {
      String payload = e.payload().size() == 0 ? "" : "  " + e.payload();
      sb.append(String.format("%3d  %s  %s%s%n", e.seq(), e.ts(), e.type(), payload));
    }
    return sb.toString();
  }

  static String jobTable(List<JobMeta> list) {
    if (list.isEmpty()) {
      return "no jobs; start one with: job start -- CMD ARGS...\n";
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-16s %-10s %-5s %-5s %-12s %s%n";
    sb.append(String.format(fmt, "JOB", "STATUS", "EXIT", "AGE", "PROJECT", "COMMAND"));
    for (JobMeta m : list) {
      String cmd = String.join(" ", m.command());
      sb.append(
          String.format(
              fmt,
              m.jobId(),
              m.status(),
              m.exitCode() == null ? "-" : m.exitCode().toString(),
              age(m.createdAt()),
              m.projectName() == null ? "-" : m.projectName(),
              cmd.length() > 60 ? cmd.substring(0, 57) + "..." : cmd));
    }
    return sb.toString();
  }

  private void startNew(SshCommands.New n) throws IOException {
    if (n.attach && !pty) {
      throw new IllegalArgumentException("new --attach needs a terminal: use ssh -t");
    }
    Session s =
        node.sessions()
            .create(
                new Sessions.Request(
                    n.name,
                    n.type,
                    n.command,
                    n.cwd,
                    n.project,
                    clientLocale(),
                    n.restart,
                    clientSize()));
    audit.ok("session_new", "new " + s.id(), "type " + s.info().type());
    if (n.attach) {
      try {
        attach(s, false);
      } catch (IllegalStateException e) {
        // it already ended (a short command): show what it printed and exit as it did
        Integer code = s.info().exitCode();
        follower =
            s.read(
                0,
                out,
                () ->
                    exitWith(
                        code == null ? 0 : code,
                        "\r\n[session " + s.id() + " exited with code " + code + "]\r\n"));
      }
    } else {
      finish(0, n.json ? Json.GSON.toJson(s.info()) + "\n" : s.id() + "\n", "");
    }
  }

  private Map<String, String> clientLocale() {
    Map<String, String> out = new HashMap<>();
    for (Map.Entry<String, String> e : env.getEnv().entrySet()) {
      String k = e.getKey();
      if (k.equals("LANG") || k.startsWith("LC_")) {
        out.put(k, e.getValue());
      }
    }
    return out;
  }

  private PtySize clientSize() {
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

  private void requirePty(String what) {
    if (!pty) {
      throw new IllegalArgumentException(
          what + " needs a terminal: connect with ssh -t (e.g. ssh -t HOST " + what + " ...)");
    }
  }

  private void attach(Session session, boolean readOnly) throws IOException {
    requirePty("attach");
    attachedTo = session.id();
    Attachment a = session.attach(out, clientSize(), readOnly, this::sessionEnded);
    audit.ok("attach", "attach " + session.id(), readOnly ? "read-only" : null);
    if (attached(a)) {
      followResizes(a);
    }
  }

  /** {@code attach ID@PEER}: the session lives on a peer; this node is one hop in between. */
  private void attachThroughPeer(String peer, String id, boolean readOnly) throws IOException {
    requirePty("attach");
    SessionIds.require(id);
    attachedTo = id + "@" + peer;
    Map<String, String> peerEnv = new HashMap<>(clientLocale());
    NodeClient c = node.peers().connectOwn(peer);
    Attachment a =
        HopAttachment.open(c, id, readOnly, clientSize(), peerEnv, out, this::sessionEnded);
    audit.ok("attach", "attach " + attachedTo, readOnly ? "read-only" : null);
    if (attached(a)) {
      followResizes(a);
    }
  }

  private void tmux(String name) throws IOException {
    requirePty("tmux");
    SessionIds.require(name);
    attachedTo = name;
    Attachment a =
        TmuxSession.openClient(
            name,
            supervisor.tmuxAttachCommand(name),
            supervisor.clientEnv(clientLocale()),
            clientSize(),
            out,
            end -> exitWith(0, TERMINAL_RESET));
    audit.ok("attach", "tmux " + name, null);
    if (attached(a)) {
      followResizes(a);
    }
  }

  /**
   * Passes the client's window changes on to {@code a}. A change that came while attaching (after
   * the size was read for the attach, before the listener was there) is not lost: the size is read
   * once more after the listener is registered, and resizing to the same size is free.
   */
  private void followResizes(Attachment a) {
    env.addSignalListener((channel, signal) -> a.resize(clientSize()), Signal.WINCH);
    a.resize(clientSize());
  }

  /**
   * Makes {@code a} the target of input, first handing it what was typed while attaching; false
   * (and {@code a} detached) when the client left meanwhile.
   */
  private boolean attached(Attachment a) {
    if (!keys.toSession(a)) {
      a.detach(); // the client left while the attach was being set up
      audit.ok("detach", "detach " + attachedTo, "the connection closed");
      return false;
    }
    keys.release();
    return true;
  }

  /**
   * Puts the client's terminal back the way a shell expects it, as tmux does on detach: main
   * screen, visible cursor, normal keys, no mouse reporting or bracketed paste, default colours,
   * full-screen scroll region. It leaves the alternate screen with 1047, not 1049: on the main
   * screen 1049 would restore a cursor saved long ago and print the message over old lines. The
   * scroll region is reset between a cursor save and restore (DECSC, DECRC), because resetting it
   * also moves the cursor to the top left, and the message would overwrite the second line.
   */
  static final String TERMINAL_RESET =
      "\u001b[?1047l\u001b7\u001b[r\u001b8\u001b[0m\u001b[?25h\u001b[?1l\u001b>\u001b[?2004l"
          + "\u001b[?1000l\u001b[?1002l\u001b[?1003l\u001b[?1006l\u001b[?1015l\u001b[?1004l";

  private void sessionEnded(Attachment.End end) {
    int code = end.exitCode() == null ? 0 : end.exitCode();
    String msg =
        end.sessionExited()
            ? TERMINAL_RESET
                + "\r\n[session "
                + attachedTo
                + " exited"
                + (end.exitCode() == null ? "" : " with code " + end.exitCode())
                + "]\r\n"
            : "";
    exitWith(code, msg);
  }

  private void logs(Session session, long from, boolean followLog) {
    if (followLog) {
      if (from < 0 || from > session.log().end()) {
        session.read(from, out, () -> {}); // throws the range error
      }
      followed = session;
      follower = session.follow(from, out, () -> exitWith(0, ""));
    } else {
      follower = session.read(from, out, () -> exitWith(0, ""));
    }
  }

  static int parseDetachKey(String key) {
    return dev.hack.node.client.DetachKeys.parse(key);
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

  /** The detach key left {@code a}: the client is told, and the channel ends. */
  private void detached(Attachment a) {
    a.detach();
    audit.ok("detach", "detach " + attachedTo, null);
    exitWith(0, TERMINAL_RESET + "\r\n[detached from " + attachedTo + "]\r\n");
  }

  @Override
  public void close() {}

  @Override
  public void destroy(ChannelSession channel) {
    // the client went away (or the channel closed after exit): free its attachment
    AppChannel ac = app;
    if (ac != null) {
      ac.close();
    }
    Attachment a = keys.close();
    if (a != null) {
      a.detach();
      audit.ok("detach", "detach " + attachedTo, "the connection closed");
    }
    JobLogPump jl = jobLogs;
    if (jl != null) {
      jl.close();
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

  private void exitWith(int code, String message) {
    if (message.isEmpty()) {
      exit(code);
    } else {
      byte[] b = message.getBytes(StandardCharsets.UTF_8);
      out.send(b, 0, b.length, () -> exit(code));
    }
  }

  private void finish(int code, String stdout, String stderr) {
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

  private void exit(int code) {
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

  private static String usage(CommandLine cl) {
    StringWriter w = new StringWriter();
    cl.usage(new PrintWriter(w), CommandLine.Help.Ansi.OFF);
    return w.toString();
  }

  private String overview() {
    return table(supervisor.list()) + "\n" + SshCommands.USAGE;
  }

  private void peek(SshCommands.Peek p) throws IOException {
    if (p.lines < 1) {
      throw new IllegalArgumentException("--lines must be at least 1, not " + p.lines);
    }
    Session s = supervisor.get(p.id);
    List<String> lines = p.log ? SessionText.logTail(s, p.lines) : SessionText.screen(s, p.lines);
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    finish(0, sb.toString(), "");
  }

  /** {@code ls --json --last-line}: each session with {@code last_line}. */
  private String listWithLastLines(List<SessionInfo> list) {
    com.google.gson.JsonArray arr = new com.google.gson.JsonArray();
    for (SessionInfo s : list) {
      com.google.gson.JsonObject o = Json.GSON.toJsonTree(s).getAsJsonObject();
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

  static String table(List<SessionInfo> list) {
    if (list.isEmpty()) {
      return "no sessions; start one with: new [-- CMD ARGS...]\n";
    }
    String[] head = {"SESSION", "TYPE", "STATUS", "ATTACHED", "AGE", "COMMAND"};
    String[][] rows = new String[list.size()][];
    for (int i = 0; i < list.size(); i++) {
      SessionInfo s = list.get(i);
      rows[i] =
          new String[] {
            s.id(),
            s.type(),
            s.statusText(),
            String.valueOf(s.attached()),
            age(s.createdAt()),
            Printable.of(String.join(" ", s.command()))
          };
    }
    int[] width = new int[head.length];
    for (int c = 0; c < head.length; c++) {
      width[c] = head[c].length();
      for (String[] r : rows) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    appendRow(sb, head, width);
    for (String[] r : rows) {
      appendRow(sb, r, width);
    }
    return sb.toString();
  }

  private static void appendRow(StringBuilder sb, String[] cells, int[] width) {
    for (int c = 0; c < cells.length; c++) {
      String cell = cells[c];
      if (c == cells.length - 1) {
        sb.append(cell.length() > 60 ? cell.substring(0, 57) + "..." : cell);
      } else {
        sb.append(cell).append(" ".repeat(width[c] - cell.length() + 2));
      }
    }
    sb.append('\n');
  }

  static String age(String iso) {
    try {
      Duration d = Duration.between(Instant.parse(iso), Instant.now());
      long s = Math.max(0, d.getSeconds());
      if (s < 60) {
        return s + "s";
      }
      if (s < 3600) {
        return (s / 60) + "m";
      }
      if (s < 86400) {
        return (s / 3600) + "h";
      }
      return (s / 86400) + "d";
    } catch (RuntimeException e) {
      return "?";
    }
  }

  private static String statusText(NodeStatus s) {
    return "node      "
        + s.name()
        + " ("
        + s.id()
        + ")\nversion   "
        + s.version()
        + "\nuptime    "
        + age(s.startedAt())
        + "\nsessions  "
        + s.sessions()
        + " ("
        + s.sessionsRunning()
        + " running)\nssh       "
        + s.ssh().host()
        + ":"
        + s.ssh().port()
        + "\nhost key  "
        + s.hostKey()
        + "\n"
        + hubsText(s)
        + warningsText(s);
  }

  private static String warningsText(NodeStatus s) {
    StringBuilder sb = new StringBuilder();
    for (String w : s.warnings() == null ? List.<String>of() : s.warnings()) {
      sb.append("warning   ").append(Printable.of(w)).append('\n');
    }
    return sb.toString();
  }

  private static String hubsText(NodeStatus s) {
    StringBuilder sb = new StringBuilder();
    for (NodeStatus.Hub h : s.hubs() == null ? List.<NodeStatus.Hub>of() : s.hubs()) {
      sb.append("hub       ")
          .append(h.hub())
          .append(" (")
          .append(h.address())
          .append(") ")
          .append(h.state());
      if (h.since() != null) {
        sb.append(" for ").append(age(h.since()));
      }
      if (h.error() != null && !"connected".equals(h.state())) {
        sb.append(": ").append(h.error());
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
