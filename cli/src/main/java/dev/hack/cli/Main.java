package dev.hack.cli;

import dev.hack.node.Version;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hack} command. */
@Command(
    name = "hack",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Keep terminal sessions alive on every machine you own and reach them anywhere.",
    subcommands = {
      NodeCommand.class,
      SessionCommand.class,
      JobCommand.class,
      ProjectCommand.class,
      ProjectCommand.Up.class,
      ProjectCommand.Down.class,
      KeysCommand.class,
      ConfigCommand.class,
      GatewayCommand.class,
      GatewayCommand.X.class,
      RemoteCommand.class,
      AuditCommand.class,
      TuiCommand.class,
      CompletionCommand.class,
      CdsWarmup.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  public static void main(String[] args) {
    // first, before picocli and the rest load: a listing the local node can answer (FastPath)
    int served = FastPath.run(args);
    if (served != FastPath.NOT_SERVED) {
      System.exit(served);
    }
    if (args.length == 0 && System.console() != null) {
      try {
        System.exit(Repl.run());
      } catch (java.io.IOException e) {
        System.err.println("hack: " + e.getMessage());
        System.exit(1);
      }
    }
    System.exit(run(args));
  }

  /** Runs the CLI; returns the exit status (0 ok, 1 failure, 2 usage). */
  public static int run(String... args) {
    return newCommandLine().execute(args);
  }

  /**
   * The command line {@link #run} executes, writing to {@code System.out} and {@code System.err}
   * unless told otherwise ({@link CommandLine#setOut}); the node's fast path runs commands with one
   * of its own.
   */
  static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new Main());
    // no argument is ever read as a file: the node's fast path runs these commands for local
    // clients, and picocli's @file expansion would read a file named by the client, in the node
    cl.setExpandAtFiles(false);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println("hack: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
          err.flush();
          return e instanceof IllegalArgumentException ? 2 : 1; // bad arguments are usage errors
        });
    return cl;
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"hack " + Version.get()};
    }
  }
}
