package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.client.NodeClient;
import dev.hack.node.mesh.NodeRegistry;
import dev.hack.node.mesh.RegisteredNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.AggregateCompleter;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.shell.jline3.PicocliJLineCompleter;

/**
 * {@code hack} on its own in a terminal: a prompt that runs hack commands, with completion of
 * commands and options (picocli), node names (the registry) and session ids (asked of the default
 * node, cached for a few seconds). History is kept in {@code HACK_HOME/history}.
 */
final class Repl {
  private static final Set<String> SESSION_VERBS =
      Set.of("attach", "logs", "send", "stop", "restart", "rm");
  private static final Set<String> NODE_VERBS = Set.of("use", "remove", "status");

  private final HackHome home = HackHome.fromEnvironment();
  private List<String> sessionIds = List.of();
  private long sessionIdsAt;

  static int run() throws IOException {
    return new Repl().loop();
  }

  private int loop() throws IOException {
    Terminal term = TerminalBuilder.builder().system(true).provider("exec").build();
    CommandLine cl = new CommandLine(new Main());
    LineReader reader =
        LineReaderBuilder.builder()
            .terminal(term)
            .appName("hack")
            .completer(
                new AggregateCompleter(
                    new PicocliJLineCompleter(cl.getCommandSpec()), this::completeNames))
            .variable(LineReader.HISTORY_FILE, home.root().resolve("history"))
            .build();
    term.writer().println("hack " + dev.hack.node.Version.get() + ": Tab completes, Ctrl-D quits");
    int last = 0;
    while (true) {
      String line;
      try {
        line = reader.readLine("hack> ");
      } catch (UserInterruptException e) {
        continue; // Ctrl-C: a fresh prompt, as in a shell
      } catch (EndOfFileException e) {
        term.close();
        return last;
      }
      List<String> words = new ArrayList<>(reader.getParsedLine().words());
      words.removeIf(String::isEmpty);
      if (words.isEmpty()) {
        continue;
      }
      if (words.size() == 1 && (words.get(0).equals("exit") || words.get(0).equals("quit"))) {
        term.close();
        return last;
      }
      if (words.get(0).equals("hack")) {
        words.remove(0);
      }
      last = Main.run(words.toArray(String[]::new));
      System.out.flush();
    }
  }

  /** Node names after --node / node use|remove|status, session ids after session verbs. */
  private void completeNames(LineReader reader, ParsedLine line, List<Candidate> out) {
    List<String> w = line.words().subList(0, Math.max(0, line.wordIndex()));
    String prev = w.isEmpty() ? "" : w.get(w.size() - 1);
    boolean nodeWanted =
        prev.equals("--node")
            || (w.size() == 2 && w.get(0).equals("node") && NODE_VERBS.contains(w.get(1)));
    boolean sessionWanted =
        w.size() == 2 && w.get(0).equals("session") && SESSION_VERBS.contains(w.get(1));
    try {
      if (nodeWanted) {
        for (RegisteredNode n : NodeRegistry.open(home).list()) {
          out.add(new Candidate(n.name()));
        }
      } else if (sessionWanted) {
        for (String id : sessionIds()) {
          out.add(new Candidate(id));
        }
      }
    } catch (IOException | RuntimeException e) {
      // completion is a convenience: an unreachable node just offers nothing
    }
  }

  private List<String> sessionIds() throws IOException {
    if (System.nanoTime() - sessionIdsAt < Duration.ofSeconds(5).toNanos()) {
      return sessionIds;
    }
    Nodes nodes = new Nodes(home);
    try (NodeClient c = nodes.connect(nodes.resolve(null))) {
      NodeClient.Result r = c.run("ls --json", Duration.ofSeconds(2));
      SessionInfo[] list = Json.GSON.fromJson(r.out(), SessionInfo[].class);
      List<String> ids = new ArrayList<>();
      for (SessionInfo s : list) {
        ids.add(s.id());
      }
      sessionIds = ids;
      sessionIdsAt = System.nanoTime();
    }
    return sessionIds;
  }
}
