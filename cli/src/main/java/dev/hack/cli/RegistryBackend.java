package dev.hack.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.hack.node.api.ExitCodes;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.client.CommandLines;
import dev.hack.node.client.NodeClient;
import dev.hack.node.mesh.RegisteredNode;
import dev.hack.tui.Backend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.IntSupplier;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.common.util.io.output.NoCloseOutputStream;

/**
 * {@code hack tui}'s data: the registered nodes (and the local one), reached over SSH with the
 * user's key, one connection per node kept open between refreshes and opened again after a failure.
 * Every call is bounded by a timeout. Attach opens {@code attach ID} on a PTY channel whose output
 * goes straight to the terminal, with keys from {@link TuiKeyboard}.
 *
 * <p>Thread-safe: the TUI calls it from several I/O threads at once.
 */
final class RegistryBackend implements Backend {
  /**
   * Puts the terminal back after a session, as the node does on detach (main screen, default
   * modes), and moves to a fresh bottom line: what the session left on the main screen stays
   * readable after the TUI ends, and the shell's next prompt comes below it.
   */
  private static final byte[] TERMINAL_RESET =
      ("\u001b[?1047l\u001b[r\u001b[0m\u001b[?25h\u001b[?1l\u001b>\u001b[?2004l"
              + "\u001b[?1000l\u001b[?1002l\u001b[?1003l\u001b[?1006l\u001b[?1015l\u001b[?1004l"
              + "\u001b[999;1H\r\n")
          .getBytes(StandardCharsets.UTF_8);

  private static final Duration ACTION_TIMEOUT = Duration.ofSeconds(20);

  private final Nodes nodes;
  private final Executor io;
  private final Duration timeout;
  private final OutputStream screen;
  private final IntSupplier columns;
  private final IntSupplier rows;
  private final Map<String, Nodes.Ref> refs = new ConcurrentHashMap<>();
  private final Map<String, NodeClient> clients = new ConcurrentHashMap<>();
  private volatile TuiKeyboard keyboard;

  /**
   * @param timeout for connecting and for each listing or preview
   * @param screen the terminal's output, which an attached session writes to
   */
  RegistryBackend(
      Nodes nodes,
      Executor io,
      Duration timeout,
      OutputStream screen,
      IntSupplier columns,
      IntSupplier rows) {
    this.nodes = nodes;
    this.io = io;
    this.timeout = timeout;
    this.screen = screen;
    this.columns = columns;
    this.rows = rows;
  }

  void keyboard(TuiKeyboard k) {
    this.keyboard = k;
  }

  @Override
  public List<NodeRef> nodes() throws IOException {
    List<NodeRef> out = new ArrayList<>();
    Map<String, Instant> seen = new HashMap<>();
    for (RegisteredNode n : nodes.registry().list()) {
      if (n.lastSeen() != null) {
        seen.put(n.name(), n.lastSeen());
      }
    }
    for (Nodes.Ref r : nodes.all()) {
      refs.put(r.name(), r);
      out.add(
          new NodeRef(r.name(), r.target().host() + ":" + r.target().port(), seen.get(r.name())));
    }
    return out;
  }

  private NodeClient client(NodeRef node) throws IOException {
    NodeClient c = clients.get(node.name());
    if (c != null && c.isOpen()) {
      return c;
    }
    Nodes.Ref ref = refs.get(node.name());
    if (ref == null) {
      throw new IOException("node " + node.name() + " is no longer registered");
    }
    NodeClient fresh = nodes.connect(ref, timeout);
    NodeClient old = clients.put(node.name(), fresh);
    if (old != null && old != fresh) {
      old.close();
    }
    return fresh;
  }

  /** Runs a command; a failure to talk to the node drops the connection for the next call. */
  private NodeClient.Result run(NodeRef node, String command, Duration limit) throws IOException {
    NodeClient c = client(node);
    try {
      return c.run(command, limit);
    } catch (IOException e) {
      clients.remove(node.name(), c);
      c.close();
      throw e;
    }
  }

  private static IOException refused(NodeClient.Result r) {
    String msg = r.err().strip();
    if (msg.startsWith("hack: ")) {
      msg = msg.substring(6);
    }
    return new IOException(msg.isEmpty() ? "failed with status " + r.exit() : msg);
  }

  @Override
  public List<SessionRow> sessions(NodeRef node) throws IOException {
    NodeClient.Result r = run(node, "ls --json --last-line", timeout);
    boolean lastLines = true;
    if (r.exit() == 2 && r.err().contains("last-line")) {
      r = run(node, "ls --json", timeout); // an older node
      lastLines = false;
    }
    if (r.exit() != 0) {
      throw refused(r);
    }
    try {
      JsonArray arr = JsonParser.parseString(r.out()).getAsJsonArray();
      List<SessionRow> out = new ArrayList<>();
      for (JsonElement e : arr) {
        JsonObject o = e.getAsJsonObject();
        SessionInfo s = Json.GSON.fromJson(o, SessionInfo.class).withNode(node.name());
        String last =
            lastLines && o.has("last_line") && !o.get("last_line").isJsonNull()
                ? o.get("last_line").getAsString()
                : "";
        out.add(new SessionRow(s, last));
      }
      return out;
    } catch (JsonParseException | IllegalStateException e) {
      throw new IOException("unreadable answer from " + node.name() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> preview(NodeRef node, String id, boolean log, int lines) throws IOException {
    List<String> words = new ArrayList<>(List.of("peek", id, "--lines", String.valueOf(lines)));
    if (log) {
      words.add("--log");
    }
    NodeClient.Result r = run(node, CommandLines.join(words), timeout);
    if (r.exit() != 0) {
      throw refused(r);
    }
    return r.out().lines().toList();
  }

  @Override
  public SessionInfo create(NodeRef node, NewSession spec) throws IOException {
    List<String> words = new ArrayList<>(List.of("new", "--json"));
    add(words, "--name", spec.name());
    add(words, "--type", spec.type());
    add(words, "--cwd", spec.cwd());
    String line = CommandLines.join(words);
    if (spec.command() != null && !spec.command().isBlank()) {
      line = line + " -- " + spec.command(); // the node splits it like a shell would
    }
    NodeClient.Result r = run(node, line, ACTION_TIMEOUT);
    if (r.exit() != 0) {
      throw refused(r);
    }
    try {
      return Json.GSON.fromJson(r.out(), SessionInfo.class);
    } catch (JsonParseException e) {
      throw new IOException("unreadable answer from " + node.name() + ": " + e.getMessage(), e);
    }
  }

  private static void add(List<String> words, String flag, String value) {
    if (value != null && !value.isBlank()) {
      words.add(flag);
      words.add(value);
    }
  }

  @Override
  public void stop(NodeRef node, String id) throws IOException {
    NodeClient.Result r = run(node, CommandLines.join(List.of("stop", id)), ACTION_TIMEOUT);
    if (r.exit() != 0) {
      throw refused(r);
    }
  }

  @Override
  public void restart(NodeRef node, String id) throws IOException {
    NodeClient.Result r = run(node, CommandLines.join(List.of("restart", id)), ACTION_TIMEOUT);
    if (r.exit() != 0) {
      throw refused(r);
    }
  }

  /** How long an attach waits for a node that is restarting to come back. */
  static final Duration RECONNECT_WAIT = Duration.ofSeconds(60);

  @Override
  public CompletableFuture<String> attach(NodeRef node, String id, boolean readOnly) {
    TuiKeyboard keys = keyboard;
    CompletableFuture<String> done = new CompletableFuture<>();
    CompletableFuture<Void> detached = keys.attachStarting();
    io.execute(
        () -> {
          try {
            while (true) {
              Integer code = attachOnce(node, id, readOnly, keys, detached);
              boolean dropped = code == null || code == ExitCodes.NODE_STOPPING;
              if (detached.isDone() || !dropped) {
                keys.attachEnded();
                reset();
                done.complete(
                    detached.isDone()
                        ? null
                        : id + " ended" + (code == 0 ? "" : " with code " + code));
                return;
              }
              // the node is restarting (it said so), or the connection dropped: its sessions
              // outlive it, so wait for it and attach again, as hack session attach does
              if (!awaitNode(node, keys, detached)) {
                keys.attachEnded();
                reset();
                done.complete(
                    detached.isDone()
                        ? null
                        : "lost the connection to "
                            + node.name()
                            + "; it did not come back within "
                            + RECONNECT_WAIT.toSeconds()
                            + " s");
                return;
              }
            }
          } catch (IOException | RuntimeException e) {
            keys.attachEnded();
            NodeClient c = clients.remove(node.name());
            if (c != null) {
              c.close();
            }
            reset();
            done.completeExceptionally(e);
          }
        });
    return done;
  }

  /**
   * One attach, until its channel closes: the exit status, or null when the connection dropped.
   *
   * @throws IOException when it could not be opened, or the node refused it
   */
  private Integer attachOnce(
      NodeRef node, String id, boolean readOnly, TuiKeyboard keys, CompletableFuture<Void> detached)
      throws IOException {
    ChannelExec ch = null;
    try {
      List<String> words = new ArrayList<>(List.of("attach", id, "--detach-key", "none"));
      if (readOnly) {
        words.add("--read-only");
      }
      ch =
          client(node)
              .openPty(CommandLines.join(words), columns.getAsInt(), rows.getAsInt(), locale());
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      ch.setOut(new NoCloseOutputStream(screen));
      ch.setErr(err);
      ch.open().verify(timeout);
      keys.attachOpened(ch);
      ChannelExec open = ch;
      detached.thenRun(() -> open.close(false));
      ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), 0L);
      Integer code = ch.getExitStatus();
      String problem = err.toString(StandardCharsets.UTF_8).strip();
      if (!detached.isDone()
          && !problem.isEmpty()
          && (code == null || (code != 0 && code != ExitCodes.NODE_STOPPING))) {
        throw new IOException(problem.startsWith("hack: ") ? problem.substring(6) : problem);
      }
      return code;
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close(true);
      }
      throw e;
    }
  }

  /**
   * Waits for a node that went away to answer again, saying so on the screen; keys typed meanwhile
   * are kept for the session. False when it did not come back in time or the user detached.
   */
  private boolean awaitNode(NodeRef node, TuiKeyboard keys, CompletableFuture<Void> detached) {
    keys.reconnecting();
    NodeClient gone = clients.remove(node.name());
    if (gone != null) {
      gone.close();
    }
    try {
      screen.write(
          ("\r\n[hack: "
                  + node.name()
                  + " went away; attaching again when it is back (Ctrl-\\ gives up)]\r\n")
              .getBytes(StandardCharsets.UTF_8));
      screen.flush();
    } catch (IOException e) {
      return false; // the terminal is gone
    }
    long deadline = System.nanoTime() + RECONNECT_WAIT.toNanos();
    while (!detached.isDone() && System.nanoTime() < deadline) {
      try {
        nodes(); // a restarted local node may listen on another port now (node.json)
        client(node);
        return true;
      } catch (IOException | RuntimeException e) {
        try {
          Thread.sleep(500);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return false;
  }

  private void reset() {
    try {
      screen.write(TERMINAL_RESET);
      screen.flush();
    } catch (IOException e) {
      // the terminal is gone: nothing to reset
    }
  }

  private static Map<String, String> locale() {
    Map<String, String> env = new HashMap<>();
    System.getenv()
        .forEach(
            (k, v) -> {
              if (k.equals("LANG") || k.startsWith("LC_")) {
                env.put(k, v);
              }
            });
    return env;
  }

  @Override
  public void close() {
    for (NodeClient c : clients.values()) {
      c.close();
    }
    clients.clear();
  }
}
