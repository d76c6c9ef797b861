package dev.hack.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The options of {@code hack node serve}, shared by the commands that start a node for you ({@code
 * hack daemon start|restart|install}), which pass on the ones given ({@link #given}).
 */
final class ServeOptions {
  @Spec CommandSpec own;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(
      names = "--bind",
      paramLabel = "ADDR",
      defaultValue = "127.0.0.1",
      description = "address to listen on (default: ${DEFAULT-VALUE})")
  String bind;

  @Option(
      names = "--ssh-port",
      paramLabel = "N",
      defaultValue = "2222",
      description = "SSH port; 0 picks a free one (default: ${DEFAULT-VALUE})")
  int sshPort;

  @Option(
      names = "--gateway-port",
      paramLabel = "N",
      defaultValue = "7788",
      description = "gateway port; 0 picks a free one, -1 turns it off (default: ${DEFAULT-VALUE})")
  int gatewayPort;

  @Option(
      names = "--gateway-bind",
      paramLabel = "ADDR",
      description =
          "gateway address (default: controlPlane.gateway.bind from config, else 127.0.0.1)")
  String gatewayBind;

  @Option(names = "--name", paramLabel = "NAME", description = "node name (default: host name)")
  String name;

  @Option(
      names = "--tmux-socket",
      paramLabel = "PATH",
      description = "tmux server socket (default: your default tmux server)")
  Path tmuxSocket;

  @Option(
      names = "--retention",
      paramLabel = "DURATION",
      defaultValue = "7d",
      description = "how long ended sessions stay listed, e.g. 7d, 12h (default: ${DEFAULT-VALUE})")
  String retention;

  @Option(
      names = "--keepalive",
      paramLabel = "DURATION",
      defaultValue = "15s",
      description =
          "SSH keepalive interval; 3 unanswered drop the client (default: ${DEFAULT-VALUE})")
  String keepAlive;

  @Option(
      names = "--keeper",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "a keeper process holds the shell and process sessions' terminals, so that their"
              + " programs outlive this node: a crash, a restart, an upgrade (default: on;"
              + " --no-keeper: they end with the node; see docs/durability.md)")
  boolean keeper = true;

  @Option(
      names = "--warm-up",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "before serving, type keys into a throwaway node of its own for a second or two, so"
              + " that the JIT has compiled the keystroke path before the first person types"
              + " (default: on; --no-warm-up starts sooner; docs/performance.md#the-first-keys)")
  boolean warmUp = true;

  /**
   * The options given on the command line, as {@code hack node serve} arguments ({@code --ssh-port
   * 0 --name it}); the defaults are left out, so a node started later with these gets the defaults
   * of the hack it runs. A relative {@code --tmux-socket} is made absolute: the node runs in
   * another directory.
   */
  List<String> given() {
    List<String> out = new ArrayList<>();
    ParseResult parsed = command.commandLine().getParseResult();
    for (OptionSpec o : own.options()) {
      if (parsed != null && parsed.hasMatchedOption(o)) {
        if (o.arity().max() == 0) {
          // a flag: --keeper or --no-keeper, as its value says
          boolean on = Boolean.TRUE.equals(o.getValue());
          out.add(on ? o.longestName() : o.longestName().replaceFirst("^--", "--no-"));
          continue;
        }
        out.add(o.longestName());
        Object value = o.getValue();
        out.add(value instanceof Path p ? p.toAbsolutePath().normalize().toString() : "" + value);
      }
    }
    return out;
  }
}
