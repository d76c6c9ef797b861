package dev.hack.node.ssh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The node's SSH command table (DESIGN.md, docs/ssh.md): the {@link Verb}s, in the order {@code
 * help} lists them. Everything about a command is declared once, on its class: its options
 * (picocli), the role it needs and its handler; the parser, the role checks and the help text are
 * all read from there.
 */
@Command(
    name = "ssh NODE",
    description = "Supervised terminal sessions on this node.",
    subcommands = {
      SessionVerbs.Ls.class,
      SessionVerbs.New.class,
      SessionVerbs.Attach.class,
      SessionVerbs.Logs.class,
      SessionVerbs.Peek.class,
      SessionVerbs.Send.class,
      SessionVerbs.Stop.class,
      SessionVerbs.Restart.class,
      SessionVerbs.Rm.class,
      SessionVerbs.TmuxCmd.class,
      SessionVerbs.Status.class,
      JobVerbs.JobCmd.class,
      PeerVerbs.PeerCmd.class,
      MeshCommands.HubCmd.class,
      SessionVerbs.Help.class
    },
    usageHelpWidth = 100)
final class SshCommands {
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
    return new Needs(role(cmd, cmd instanceof Verb v && v.readOnly()), what);
  }

  private static TailnetRole role(Object cmd, boolean readOnly) {
    if (cmd instanceof Verb v) {
      return readOnly ? v.readOnlyRole() : v.role();
    }
    return TailnetRole.CONTROL; // the table itself, never a command
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

  /** Where the description column of {@link #usage()} starts. */
  private static final int COLUMN = 35;

  /** The width {@link #usage()} wraps descriptions at. */
  private static final int WIDTH = 100;

  /**
   * {@code help}, and what {@code ssh NODE} prints without a terminal: one entry per command that
   * runs ({@code job start}, not {@code job}), in the table's order, each with its options and
   * arguments and the first sentence of its description, all read from the command's declaration.
   */
  static String usage() {
    StringBuilder sb = new StringBuilder("usage: ssh NODE COMMAND\n");
    for (CommandLine c : TABLE.getSubcommands().values()) {
      entries(c, "", sb);
    }
    return sb.toString();
  }

  private static void entries(CommandLine c, String prefix, StringBuilder sb) {
    String path = prefix + c.getCommandName();
    Map<String, CommandLine> subs = c.getSubcommands();
    if (!subs.isEmpty()) {
      for (CommandLine sub : subs.values()) {
        entries(sub, path + " ", sb);
      }
      return;
    }
    String synopsis = path + synopsis(c.getCommandSpec());
    String[] description = c.getCommandSpec().usageMessage().description();
    String what = description.length == 0 ? "" : summary(description[0]);
    if (2 + synopsis.length() < COLUMN - 1) {
      sb.append("  ").append(synopsis).append(" ".repeat(COLUMN - 2 - synopsis.length()));
    } else {
      sb.append("  ").append(wrap(synopsis, 2, 6)).append('\n').append(" ".repeat(COLUMN));
    }
    sb.append(wrap(what, COLUMN, COLUMN).replace(NBSP, ' ')).append('\n');
  }

  /** Joins the words of one synopsis item, so that wrapping never splits it. */
  private static final char NBSP = '\u00a0';

  /** The options and arguments of a command, as the usage spells them: {@code [--json] ID}. */
  private static String synopsis(CommandSpec spec) {
    StringBuilder sb = new StringBuilder();
    String trailing = "";
    for (PositionalParamSpec p : spec.positionalParameters()) {
      boolean many = p.arity().isVariable();
      boolean optional = p.arity().min() == 0;
      if (many) {
        String words = "--" + NBSP + p.paramLabel() + NBSP + "ARGS...";
        trailing = optional ? " [" + words + "]" : " " + words;
      } else {
        sb.append(optional ? " [" + p.paramLabel() + "]" : " " + p.paramLabel());
      }
    }
    for (OptionSpec o : spec.options()) {
      if (o.usageHelp() || o.versionHelp() || o.hidden()) {
        continue;
      }
      String word = o.longestName() + (o.arity().max() == 0 ? "" : NBSP + o.paramLabel());
      sb.append(o.required() ? " " + word : " [" + word + "]");
      if (o.isMultiValue()) {
        sb.append("...");
      }
    }
    return sb.append(trailing).toString();
  }

  /**
   * A description's first sentence, as a summary: {@code Start a job.} becomes {@code start a job}.
   */
  private static String summary(String sentence) {
    String s = sentence.strip();
    int dot = s.indexOf(". ");
    if (dot > 0) {
      s = s.substring(0, dot);
    }
    if (s.endsWith(".")) {
      s = s.substring(0, s.length() - 1);
    }
    boolean acronym = s.length() > 1 && Character.isUpperCase(s.charAt(1));
    return s.isEmpty() || acronym ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }

  /**
   * The words of {@code text}, the first line starting at column {@code start} and the others
   * indented by {@code indent}, none going past {@link #WIDTH} unless one word does; the joined
   * words of a synopsis item become one again.
   */
  private static String wrap(String text, int start, int indent) {
    StringBuilder sb = new StringBuilder();
    int column = start;
    for (String word : text.split(" +")) {
      if (word.isEmpty()) {
        continue;
      }
      if (sb.length() > 0 && column + 1 + word.length() > WIDTH) {
        sb.append('\n').append(" ".repeat(indent));
        column = indent;
      } else if (sb.length() > 0) {
        sb.append(' ');
        column++;
      }
      sb.append(word);
      column += word.length();
    }
    return sb.toString().replace(NBSP, ' ');
  }
}
