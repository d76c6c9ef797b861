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
      DaemonCommand.class,
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
      String problem = homeProblem();
      if (problem != null) {
        System.err.println("hack: " + problem);
        System.exit(1);
      }
      try {
        System.exit(Repl.run());
      } catch (java.io.IOException e) {
        System.err.println("hack: " + e.getMessage());
        System.exit(1);
      }
    }
    System.exit(run(args));
  }

  /**
   * Runs the CLI; returns the exit status (0 ok, 1 failure, 2 usage). A command (not its help) is
   * run only when {@code HACK_HOME} is usable: otherwise it says what is wrong with it and exits 1.
   */
  public static int run(String... args) {
    CommandLine cl = newCommandLine();
    cl.setExecutionStrategy(
        parsed -> {
          if (needsHome(parsed)) {
            String problem = homeProblem();
            if (problem != null) {
              PrintWriter err = cl.getErr();
              err.println("hack: " + problem);
              err.flush();
              return 1;
            }
          }
          return new CommandLine.RunLast().execute(parsed);
        });
    return cl.execute(args);
  }

  /**
   * Whether the parsed command will use {@code HACK_HOME}: any command but help, version and
   * completion scripts, which must work whatever the home is (they are how one finds out).
   */
  private static boolean needsHome(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.isUsageHelpRequested()
          || p.isVersionHelpRequested()
          || p.commandSpec().userObject() instanceof CommandLine.HelpCommand
          || p.commandSpec().userObject() instanceof CompletionCommand) {
        return false;
      }
      if (!p.hasSubcommand()) {
        return p != parsed; // hack alone prints its usage
      }
    }
    return true;
  }

  /** What is wrong with {@code HACK_HOME}, or null. */
  static String homeProblem() {
    try {
      return dev.hack.keys.HackHome.fromEnvironment().problem();
    } catch (java.nio.file.InvalidPathException e) {
      return "HACK_HOME is not a path (" + e.getReason() + "); point it at a directory";
    }
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
          err.println("hack: " + describe(e));
          err.flush();
          return e instanceof IllegalArgumentException ? 2 : 1; // bad arguments are usage errors
        });
    return cl;
  }

  /**
   * One line for an exception a command did not handle. A file system exception without a reason
   * has only the path as its message ({@code /x} for a file that already exists where a directory
   * was to be made), so the reason is added from its type.
   */
  static String describe(Exception e) {
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() == null) {
      String why;
      if (e instanceof java.nio.file.NoSuchFileException) {
        why = "no such file or directory";
      } else if (e instanceof java.nio.file.AccessDeniedException) {
        why = "permission denied";
      } else if (e instanceof java.nio.file.FileAlreadyExistsException) {
        why = "already exists (and is in the way)";
      } else if (e instanceof java.nio.file.NotDirectoryException) {
        why = "not a directory";
      } else if (e instanceof java.nio.file.DirectoryNotEmptyException) {
        why = "directory not empty";
      } else {
        why = "cannot be used (" + e.getClass().getSimpleName() + ")";
      }
      return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + why;
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"hack " + Version.get()};
    }
  }
}
