package dev.hack.node.ssh;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;

/**
 * The node's SSH command table (DESIGN.md), parsed with picocli. These classes only hold the parsed
 * arguments; {@link ChannelCommand} carries them out.
 */
@Command(
    name = "ssh NODE",
    description = "Supervised terminal sessions on this node.",
    subcommands = {
      SshCommands.Ls.class,
      SshCommands.New.class,
      SshCommands.Attach.class,
      SshCommands.Logs.class,
      SshCommands.Peek.class,
      SshCommands.Send.class,
      SshCommands.Stop.class,
      SshCommands.Restart.class,
      SshCommands.Rm.class,
      SshCommands.TmuxCmd.class,
      SshCommands.Status.class,
      SshCommands.JobCmd.class,
      SshCommands.PeerCmd.class,
      MeshCommands.HubCmd.class,
      SshCommands.Help.class
    },
    usageHelpWidth = 100)
final class SshCommands {
  static final String USAGE =
      String.join(
          "\n",
          "usage: ssh NODE COMMAND",
          "  ls [--json]                      list sessions",
          "  new [--name ID] [--type shell|process|tmux] [--cwd DIR] [--project P]",
          "      [--restart never|on-failure|always] [--attach] [-- CMD ARGS...]",
          "                                   start a session and print its id",
          "  attach ID [--read-only] [--detach-key KEY]",
          "                                   attach (needs ssh -t); Ctrl-\\ detaches",
          "  logs ID [--follow] [--from OFFSET]",
          "                                   output from a byte offset",
          "  peek ID [--log] [--lines N]      the screen (or the log's last lines) as text",
          "  send ID TEXT                     type TEXT (\\n \\r \\t \\e \\xHH escapes)",
          "  stop ID | restart ID | rm ID     lifecycle",
          "  tmux NAME                        attach to tmux session NAME, creating it",
          "  status [--json]                  node status",
          "  job start [--project P] [--cwd DIR] [--env K=V]... [--json] -- CMD ARGS...",
          "                                   start a job (no terminal; output to a log)",
          "  job list [--project P] [--json] | job show ID [--json]",
          "  job logs ID [--follow] [--from OFFSET]",
          "                                   output; --follow exits with the job's code",
          "  job cancel ID                    end the job's whole process tree",
          "  ls --all [--json] [--timeout S]  also the sessions of every peer",
          "  peer add NAME ssh://HOST[:PORT] --host-key KEY [--id ID] [--authorize]",
          "  peer list [--json] | peer rm NAME | peer whoami",
          "                                   this node's peers (hack node pair uses these)",
          "  peer exchange                    this node's peers with their host keys (JSON)",
          "  peer join NAME --host-key KEY [--id ID]",
          "                                   let a node behind NAT join through its tunnel",
          "  hub add NAME ssh://HOST[:PORT] --host-key KEY | hub list [--json] | hub rm NAME",
          "                                   the hubs this node joined (hack node join)",
          "  help [COMMAND]                   this text, or a command's options",
          "");

  private SshCommands() {}

  /**
   * What a command needs from a tailnet login (docs/ssh.md): its name for messages ({@code attach},
   * {@code job start}) and the least role that may run it.
   */
  record Needs(TailnetRole role, String what) {}

  /**
   * The parser for a remote command line. Every word is data: picocli's {@code @file} expansion is
   * off (with it on, {@code peek @/etc/shadow} printed the file's words in the parse error, to any
   * login, before any role was checked). Each call returns a new parser: a {@link CommandLine}
   * holds the values it parsed, so one must never serve two channels.
   */
  static CommandLine parser() {
    CommandLine cl = new CommandLine(SshCommands.class);
    cl.setExpandAtFiles(false);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  /** The table, for looking up command names only: nothing is ever parsed with it. */
  private static final CommandLine TABLE = parser();

  /** Whether {@code name} is a command of the table. */
  static boolean isCommand(String name) {
    return TABLE.getSubcommands().containsKey(name);
  }

  /** Whether {@code sub} is a subcommand of the table's {@code command} ({@code job start}). */
  static boolean isSubcommand(String command, String sub) {
    CommandLine c = TABLE.getSubcommands().get(command);
    return c != null && c.getSubcommands().containsKey(sub);
  }

  /**
   * The least tailnet role that may run a command line, read from its raw words before anything is
   * parsed or echoed: {@code view} reads (ls, peek, logs, status, help, read-only attach, job, peer
   * and hub listings), {@code attach} types into sessions (attach, send), {@code control} changes
   * the node (new, stop, restart, rm, tmux, job start and cancel, peer add, rm, join and exchange,
   * hub add and rm). A command this table does not name needs {@code control}. Only the command
   * names are looked up; an {@code attach} is read-only only if a word is exactly {@code
   * --read-only}, and {@link #needs(ParseResult)} must agree after parsing.
   */
  static Needs needs(List<String> words) {
    if (words.isEmpty()) {
      return new Needs(TailnetRole.VIEW, "ls"); // an empty command lists the sessions
    }
    CommandLine cmd = TABLE.getSubcommands().get(words.get(0));
    if (cmd == null) {
      return new Needs(TailnetRole.CONTROL, "this command");
    }
    List<String> names = new ArrayList<>(List.of(words.get(0)));
    if (words.size() > 1 && cmd.getSubcommands().containsKey(words.get(1))) {
      cmd = cmd.getSubcommands().get(words.get(1));
      names.add(words.get(1));
    }
    int end = words.indexOf("--");
    List<String> options = end < 0 ? words : words.subList(0, end);
    if (options.contains("--help") || options.contains("-h")) {
      return new Needs(TailnetRole.VIEW, String.join(" ", names)); // parsed, help is checked again
    }
    boolean readOnly = options.contains("--read-only");
    return new Needs(role(cmd.getCommand(), readOnly), String.join(" ", names));
  }

  /**
   * The least tailnet role for a parsed command; the same table as {@link #needs(List)}, checked
   * again on what picocli made of the words.
   */
  static Needs needs(ParseResult parsed) {
    List<String> names = new ArrayList<>();
    ParseResult leaf = parsed;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
      names.add(leaf.commandSpec().name());
    }
    String what = names.isEmpty() ? "this" : String.join(" ", names);
    Object cmd = leaf.commandSpec().userObject();
    return new Needs(role(cmd, cmd instanceof Attach a && a.readOnly), what);
  }

  private static TailnetRole role(Object cmd, boolean readOnly) {
    if (cmd instanceof Attach) {
      return readOnly ? TailnetRole.VIEW : TailnetRole.ATTACH;
    } else if (cmd instanceof Send) {
      return TailnetRole.ATTACH;
    } else if (cmd instanceof Ls
        || cmd instanceof Logs
        || cmd instanceof Peek
        || cmd instanceof Status
        || cmd instanceof Help
        || cmd instanceof JobCmd
        || cmd instanceof JobList
        || cmd instanceof JobShow
        || cmd instanceof JobLogs
        || cmd instanceof PeerCmd
        || cmd instanceof PeerList
        || cmd instanceof PeerWhoami
        || cmd instanceof MeshCommands.HubCmd
        || cmd instanceof MeshCommands.HubList) {
      return TailnetRole.VIEW;
    }
    return TailnetRole.CONTROL;
  }

  /**
   * The one line a parse error gets. It quotes at most one word of the client's, shortened: a
   * picocli message can list every unmatched word ("Unknown options: 'a', 'b', ..."), and those
   * words are the client's whole command line.
   */
  static String parseError(CommandLine.ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String first = u.getUnmatched().get(0);
      int more = u.getUnmatched().size() - 1;
      return (first.startsWith("-") ? "unknown option " : "unexpected argument ")
          + Quote.word(first)
          + (more > 0 ? " (and " + more + " more)" : "");
    }
    return Quote.message(e.getMessage());
  }

  /** The one line a tailnet login gets for a command its role does not allow. */
  static String refusal(TailnetRole have, String what, TailnetRole needed) {
    return "your tailnet role is " + have + "; " + what + " needs " + needed;
  }

  @Command(name = "ls", description = "List sessions.")
  static final class Ls {
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
  }

  @Command(name = "new", description = "Start a session; prints its id.")
  static final class New {
    @Option(names = "--name", paramLabel = "ID", description = "session id (default: generated)")
    String name;

    @Option(names = "--type", paramLabel = "TYPE", description = "shell, process or tmux")
    String type;

    @Option(names = "--cwd", paramLabel = "DIR", description = "working directory")
    String cwd;

    @Option(names = "--project", paramLabel = "P", description = "project the session belongs to")
    String project;

    @Option(
        names = "--restart",
        paramLabel = "POLICY",
        description = "never, on-failure or always (process sessions)")
    String restart;

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
  }

  @Command(name = "attach", description = "Attach to a session.")
  static final class Attach {
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
  }

  @Command(name = "logs", description = "Print a session's output.")
  static final class Logs {
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
  }

  @Command(
      name = "peek",
      description = "A session's screen, or the last lines of its log, as plain text.")
  static final class Peek {
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
  }

  @Command(name = "send", description = "Type text into a session.")
  static final class Send {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1", paramLabel = "TEXT")
    String text;
  }

  @Command(name = "stop", description = "Stop a session.")
  static final class Stop {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;
  }

  @Command(name = "restart", description = "Restart a session.")
  static final class Restart {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;
  }

  @Command(name = "rm", description = "Remove an ended session.")
  static final class Rm {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;
  }

  @Command(name = "tmux", description = "Attach to a tmux session, creating it.")
  static final class TmuxCmd {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;
  }

  @Command(name = "status", description = "Node status.")
  static final class Status {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;
  }

  @Command(
      name = "job",
      description = "Jobs: processes without a terminal, with a log and events.",
      subcommands = {JobStart.class, JobList.class, JobShow.class, JobLogs.class, JobCancel.class})
  static final class JobCmd {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  @Command(name = "start", description = "Start a job; prints its id.")
  static final class JobStart {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--project", paramLabel = "P", description = "registered project (name or id)")
    String project;

    @Option(
        names = "--cwd",
        paramLabel = "DIR",
        description = "working directory (relative: to the project root, else to home)")
    String cwd;

    @Option(names = "--env", paramLabel = "K=V", description = "environment variable (repeatable)")
    List<String> env = new ArrayList<>();

    @Option(names = "--runner", paramLabel = "NAME", description = "runner name (default: generic)")
    String runner;

    @Option(names = "--json", description = "print the job as JSON")
    boolean json;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "command and arguments")
    List<String> command = new ArrayList<>();
  }

  @Command(name = "list", description = "List jobs.")
  static final class JobList {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--project", paramLabel = "P", description = "only this project's jobs")
    String project;

    @Option(names = "--json", description = "JSON array for scripts")
    boolean json;
  }

  @Command(name = "show", description = "Show a job.")
  static final class JobShow {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;
  }

  @Command(name = "logs", description = "Print a job's output.")
  static final class JobLogs {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(
        names = {"-f", "--follow"},
        description = "keep printing until the job ends, then exit with its exit code")
    boolean follow;

    @Option(names = "--from", paramLabel = "OFFSET", description = "start at this byte offset")
    long from;
  }

  @Command(name = "cancel", description = "Cancel a job.")
  static final class JobCancel {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;
  }

  @Command(
      name = "peer",
      description = "This node's peers: the nodes it checks, lists and lets in.",
      subcommands = {
        PeerAdd.class,
        PeerList.class,
        PeerRm.class,
        PeerWhoami.class,
        MeshCommands.PeerJoin.class,
        MeshCommands.PeerExchangeCmd.class
      })
  static final class PeerCmd {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  @Command(
      name = "add",
      description =
          "Register a peer (name, address, host key); with --authorize also let it log in here.")
  static final class PeerAdd {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "ssh://HOST[:PORT]")
    String url;

    @Option(names = "--id", paramLabel = "ID", description = "the peer's node id")
    String id;

    @Option(
        names = "--host-key",
        required = true,
        paramLabel = "KEY",
        description = "the peer's host key, as 'ssh-ed25519 AAAA...'")
    String hostKey;

    @Option(names = "--authorize", description = "let the peer's node log in to this node")
    boolean authorize;
  }

  @Command(name = "list", description = "The peers and what their last health check found.")
  static final class PeerList {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;
  }

  @Command(name = "rm", description = "Forget a peer and stop letting its node in.")
  static final class PeerRm {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;
  }

  @Command(name = "whoami", description = "This node's id, name, host key and SSH address (JSON).")
  static final class PeerWhoami {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  @Command(name = "help", description = "Show usage.")
  static final class Help {
    @Parameters(arity = "0..1", paramLabel = "COMMAND")
    String command;
  }
}
