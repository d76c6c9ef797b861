package dev.hack.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;

/**
 * The commands the fast path serves, parsed and run with the CLI's own command line ({@link
 * Main#newCommandLine}), so the node prints exactly what the client would have.
 *
 * <p>Served: {@code session list}, {@code node list} and {@code project list}. They only read,
 * their output depends on argv and {@code HACK_HOME} alone (not on the caller's terminal, working
 * directory or environment), and they write through picocli's writers. Usage errors and {@code
 * --help} are left to the client, because picocli colours those when the client's terminal would
 * take colour. {@code node status} is not served: it probes nodes one at a time with connections of
 * its own and writes the registry. {@code job list} is not either: it copies the node's bytes to
 * {@code System.out} through the same code as the commands that change things.
 *
 * <p>Thread-safe: every request gets a command line of its own, built ahead by {@link #prepare}.
 */
final class PicocliCommands implements FastPathServer.Commands {
  /** Beyond a command's own timeout: time to start, read files and print. */
  private static final Duration SLACK = Duration.ofSeconds(10);

  private static final Duration MAX_WAIT = Duration.ofHours(1);

  /** Spare command lines kept: enough for a burst of listings from a script. */
  private static final int SPARES = 2;

  /**
   * Command lines built ahead, each used for one request: building one (reflection over every
   * command class) is most of the node's work for a listing that needs no SSH.
   */
  private final Queue<CommandLine> spare = new ConcurrentLinkedQueue<>();

  private final AtomicInteger spares = new AtomicInteger();

  @Override
  public void prepare() {
    while (spares.get() < SPARES) {
      spare.add(Main.newCommandLine());
      spares.incrementAndGet();
    }
  }

  private CommandLine take() {
    CommandLine cl = spare.poll();
    if (cl == null) {
      return Main.newCommandLine();
    }
    spares.decrementAndGet();
    return cl;
  }

  @Override
  public FastPathServer.Accepted accept(String[] args) throws FastPathServer.Refusal {
    CommandLine cl = take();
    PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
    cl.setOut(nowhere);
    cl.setErr(nowhere);
    List<CommandLine> parsed;
    try {
      parsed = cl.parseArgs(args).asCommandLineList();
    } catch (CommandLine.ParameterException e) {
      throw new FastPathServer.Refusal("usage error");
    }
    for (CommandLine c : parsed) {
      if (c.isUsageHelpRequested() || c.isVersionHelpRequested()) {
        throw new FastPathServer.Refusal("help");
      }
    }
    Object command = parsed.get(parsed.size() - 1).getCommand();
    Duration bound;
    if (command instanceof SessionCommand.ListCmd list) {
      bound = bound(list.timeout);
    } else if (command instanceof NodeAdmin.ListCmd || command instanceof ProjectCommand.ListCmd) {
      bound = SLACK;
    } else {
      throw new FastPathServer.Refusal("not a fast-path command");
    }
    return new FastPathServer.Accepted() {
      @Override
      public Duration bound() {
        return bound;
      }

      @Override
      public int run(PrintWriter out, PrintWriter err) {
        // execute() parses again, into fresh values: building the command line is the cost
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
      }
    };
  }

  private static Duration bound(String timeout) {
    try {
      Duration own = NodeCommand.Durations.parse(timeout);
      return own.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : own.plus(SLACK);
    } catch (IllegalArgumentException e) {
      return SLACK; // the command says so itself, at once
    }
  }
}
