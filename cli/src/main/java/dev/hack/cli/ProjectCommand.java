package dev.hack.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import dev.hack.node.mesh.RegisteredNode;
import dev.hack.node.project.ProjectRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Projects keep intent in the repo and runtime on the node (RFC 0001): {@code .hack/project.json}
 * names the project, its owning node ({@code controlPlane.nodeId}) and the sessions it wants;
 * {@code hack up} starts them on that node, {@code hack down} stops them. The projects this user
 * registered are listed in {@code HACK_HOME/registry/projects.json}.
 */
@Command(
    name = "project",
    description = "Register projects and move them between nodes.",
    mixinStandardHelpOptions = true,
    subcommands = {
      ProjectCommand.Add.class,
      ProjectCommand.ListCmd.class,
      ProjectCommand.Move.class
    })
final class ProjectCommand {
  static final String INTENT = "project.json";

  private ProjectCommand() {}

  /** A project's intent file and what it says. */
  record Intent(Path root, JsonObject json) {
    String name() {
      return json.has("name") ? json.get("name").getAsString() : root.getFileName().toString();
    }

    Optional<String> nodeId() {
      JsonElement cp = json.get("controlPlane");
      if (cp != null && cp.isJsonObject() && cp.getAsJsonObject().has("nodeId")) {
        JsonElement n = cp.getAsJsonObject().get("nodeId");
        return n.isJsonNull() ? Optional.empty() : Optional.of(n.getAsString());
      }
      return Optional.empty();
    }

    /** The declared sessions: {name, command (argv), type?, cwd?}. */
    List<JsonObject> sessions() {
      List<JsonObject> out = new ArrayList<>();
      JsonElement s = json.get("sessions");
      if (s != null && s.isJsonArray()) {
        for (JsonElement e : s.getAsJsonArray()) {
          if (!e.isJsonObject() || !e.getAsJsonObject().has("name")) {
            throw new IllegalArgumentException(
                root.resolve(".hack").resolve(INTENT) + ": every session needs a name");
          }
          out.add(e.getAsJsonObject());
        }
      }
      return out;
    }

    Path file() {
      return root.resolve(".hack").resolve(INTENT);
    }
  }

  /** The intent file of the project around {@code dir}, or a new one for {@code dir}. */
  static Intent find(Path dir, boolean create) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    for (Path d = abs; d != null; d = d.getParent()) {
      Path f = d.resolve(".hack").resolve(INTENT);
      if (Files.isRegularFile(f)) {
        try {
          JsonElement e = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8));
          if (!e.isJsonObject()) {
            throw new IOException(f + " is not a JSON object");
          }
          return new Intent(d, e.getAsJsonObject());
        } catch (JsonParseException e) {
          throw new IOException(f + " is not valid JSON: " + e.getMessage());
        }
      }
    }
    if (!create) {
      throw new IllegalArgumentException(
          "no project here: no .hack/"
              + INTENT
              + " above "
              + abs
              + " (create one with: hack project add)");
    }
    return new Intent(abs, new JsonObject());
  }

  static void write(Intent intent) throws IOException {
    Files.createDirectories(intent.file().getParent());
    FileModes.writeAtomically(
        intent.file(),
        (Json.PRETTY.toJson(intent.json()) + "\n").getBytes(StandardCharsets.UTF_8),
        true);
  }

  /** Records (or updates) the project in this user's list. */
  static ProjectRegistry.Project register(HackHome home, Intent intent) throws IOException {
    return ProjectRegistry.open(home)
        .register(intent.name(), intent.root(), intent.nodeId().orElse(null));
  }

  /** The node that owns the project: --node, else controlPlane.nodeId, else the local node. */
  static Nodes.Ref owner(Nodes nodes, Intent intent, String override) throws IOException {
    if (override != null) {
      return nodes.resolve(override);
    }
    Optional<String> id = intent.nodeId();
    if (id.isEmpty()) {
      return nodes.resolve(Nodes.LOCAL);
    }
    Optional<RegisteredNode> n = nodes.registry().find(id.get());
    if (n.isEmpty()) {
      throw new IllegalArgumentException(
          "project "
              + intent.name()
              + " belongs to node "
              + id.get()
              + ", which is not registered; add it with: hack node add NAME ssh://HOST");
    }
    return nodes.resolve(n.get().name());
  }

  /** The session id for a declared session: {@code PROJECT:NAME}. */
  static String sessionId(Intent intent, JsonObject s) {
    return intent.name() + ":" + s.get("name").getAsString();
  }

  @Command(
      name = "add",
      description = "Register the project in DIR (default: here), creating .hack/project.json.",
      mixinStandardHelpOptions = true)
  static final class Add implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "DIR")
    Path dir = Path.of("");

    @Option(names = "--name", paramLabel = "NAME", description = "project name (default: dir name)")
    String name;

    @Override
    public Integer call() throws Exception {
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("no such directory: " + dir);
      }
      Intent intent = find(dir, true);
      if (name != null) {
        intent.json().addProperty("name", name);
      } else if (!intent.json().has("name")) {
        intent.json().addProperty("name", intent.root().getFileName().toString());
      }
      if (!intent.json().has("sessions")) {
        intent.json().add("sessions", new JsonArray());
      }
      write(intent);
      register(HackHome.fromEnvironment(), intent);
      System.out.println("project " + intent.name() + " at " + intent.root());
      return 0;
    }
  }

  @Command(name = "list", description = "Registered projects.", mixinStandardHelpOptions = true)
  static final class ListCmd implements Callable<Integer> {
    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      List<ProjectRegistry.Project> list = ProjectRegistry.open(HackHome.fromEnvironment()).list();
      // picocli's writer, not System.out: the node's fast path runs this for other processes
      PrintWriter stdout = spec.commandLine().getOut();
      if (json) {
        JsonArray out = new JsonArray();
        for (ProjectRegistry.Project p : list) {
          out.add(p.raw());
        }
        stdout.println(Json.GSON.toJson(out));
        return 0;
      }
      if (list.isEmpty()) {
        stdout.println("no projects; register one with: hack project add [DIR]");
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"PROJECT", "ID", "NODE", "GATEWAY", "ROOT"});
      for (ProjectRegistry.Project p : list) {
        rows.add(
            new String[] {
              p.name(),
              p.id(),
              p.nodeId() == null ? "(local)" : p.nodeId(),
              p.gatewayEnabled() ? "enabled" : "-",
              p.root().toString()
            });
      }
      stdout.print(Tables.render(rows));
      stdout.flush();
      return 0;
    }
  }

  @Command(
      name = "move",
      description = "Make NODE the project's owning node (controlPlane.nodeId).",
      mixinStandardHelpOptions = true)
  static final class Move implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROJECT-DIR", description = "the project's directory")
    Path dir;

    @Option(names = "--node", required = true, paramLabel = "NODE")
    String node;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      Intent intent = find(dir, false);
      Nodes nodes = new Nodes(home);
      RegisteredNode n =
          nodes
              .registry()
              .find(node)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "no node named " + node + "; see: hack node list"));
      JsonObject cp =
          intent.json().has("controlPlane")
              ? intent.json().getAsJsonObject("controlPlane")
              : new JsonObject();
      cp.addProperty("nodeId", n.id());
      intent.json().add("controlPlane", cp);
      write(intent);
      register(home, intent);
      System.out.println(
          "project " + intent.name() + " now runs on " + n.name() + " (" + n.id() + ")");
      return 0;
    }
  }

  /** {@code hack up} and {@code hack down}. */
  abstract static class UpDown implements Callable<Integer> {
    @Option(names = "--node", paramLabel = "NODE", description = "override the owning node")
    String node;

    @Option(names = "--dir", paramLabel = "DIR", description = "the project (default: here)")
    Path dir = Path.of("");

    Intent intent;
    Nodes nodes;
    Nodes.Ref ref;

    Map<String, SessionInfo> existing(NodeClient c) throws IOException {
      NodeClient.Result r = c.run("ls --json", Nodes.CONNECT_TIMEOUT);
      if (r.exit() != 0) {
        throw new IOException(r.err().strip());
      }
      Map<String, SessionInfo> out = new HashMap<>();
      for (SessionInfo s : Json.GSON.fromJson(r.out(), SessionInfo[].class)) {
        out.put(s.id(), s);
      }
      return out;
    }

    void prepare() throws IOException {
      intent = find(dir, false);
      nodes = new Nodes(HackHome.fromEnvironment());
      ref = owner(nodes, intent, node);
    }
  }

  /** How long one session's start may take on the node. */
  private static final Duration STEP = Duration.ofSeconds(20);

  /**
   * Whether the node's shell or process session {@code cur} is what the project declares, so that
   * starting it again keeps its log; one declared differently since (its type, directory, command
   * or {@code onRestore}) is replaced. A tmux session is always replaced.
   */
  static boolean declaredAs(SessionInfo cur, JsonObject s, String cwd, List<String> command) {
    String type =
        s.has("type") ? s.get("type").getAsString() : command.isEmpty() ? "shell" : "process";
    String onRestore = s.has("onRestore") ? s.get("onRestore").getAsString() : null;
    return !"tmux".equals(type)
        && type.equals(cur.type())
        && cwd.equals(cur.cwd())
        && (command.isEmpty() || command.equals(cur.command()))
        && java.util.Objects.equals(onRestore, cur.onRestore());
  }

  @Command(
      name = "up",
      description =
          "Start the project's declared sessions on its node; running ones are left alone.",
      mixinStandardHelpOptions = true)
  static final class Up extends UpDown {
    @Override
    public Integer call() throws Exception {
      prepare();
      int failures = 0;
      try (NodeClient c = nodes.connect(ref)) {
        Map<String, SessionInfo> have = existing(c);
        for (JsonObject s : intent.sessions()) {
          String id = sessionId(intent, s);
          SessionInfo cur = have.get(id);
          if (cur != null && cur.isRunning()) {
            System.out.println(id + ": already running on " + ref.name());
            continue;
          }
          String cwd =
              intent
                  .root()
                  .resolve(s.has("cwd") ? s.get("cwd").getAsString() : ".")
                  .normalize()
                  .toString();
          List<String> command = new ArrayList<>();
          if (s.has("command")) {
            for (JsonElement w : s.getAsJsonArray("command")) {
              command.add(w.getAsString());
            }
          }
          if (cur != null && declaredAs(cur, s, cwd, command)) {
            // the same session ended (or was lost in a reboot): start it again, its log kept
            NodeClient.Result r = c.run(CommandLines.join(List.of("restart", id)), STEP);
            if (r.exit() == 0) {
              System.out.println(id + ": started again on " + ref.name());
            } else {
              failures++;
              System.err.println(
                  "hack: " + id + ": " + r.err().strip().replaceFirst("^hack: ", ""));
            }
            continue;
          }
          if (cur != null) {
            c.run(CommandLines.join(List.of("rm", id)), Nodes.CONNECT_TIMEOUT);
          }
          List<String> words =
              new ArrayList<>(List.of("new", "--name", id, "--project", intent.name()));
          if (s.has("type")) {
            words.addAll(List.of("--type", s.get("type").getAsString()));
          }
          words.addAll(List.of("--cwd", cwd));
          if (s.has("restart")) {
            words.addAll(List.of("--restart", s.get("restart").getAsString()));
          }
          if (s.has("onRestore")) {
            words.addAll(List.of("--on-restore", s.get("onRestore").getAsString()));
          }
          if (!command.isEmpty()) {
            words.add("--");
            words.addAll(command);
          }
          NodeClient.Result r = c.run(CommandLines.join(words), STEP);
          if (r.exit() == 0) {
            System.out.println(id + ": started on " + ref.name());
          } else {
            failures++;
            System.err.println("hack: " + id + ": " + r.err().strip().replaceFirst("^hack: ", ""));
          }
        }
      }
      return failures == 0 ? 0 : 1;
    }
  }

  @Command(
      name = "down",
      description = "Stop the project's declared sessions on its node.",
      mixinStandardHelpOptions = true)
  static final class Down extends UpDown {
    @Override
    public Integer call() throws Exception {
      prepare();
      try (NodeClient c = nodes.connect(ref)) {
        Map<String, SessionInfo> have = existing(c);
        for (JsonObject s : intent.sessions()) {
          String id = sessionId(intent, s);
          SessionInfo cur = have.get(id);
          if (cur == null || !cur.isRunning()) {
            System.out.println(id + ": not running");
            continue;
          }
          c.run(CommandLines.join(List.of("stop", id)), Duration.ofSeconds(20));
          System.out.println(id + ": stopped on " + ref.name());
        }
      }
      return 0;
    }
  }
}
