package dev.hack.tui;

import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Where the TUI's data comes from and where its actions go: the registered nodes over SSH ({@code
 * hack tui}), or the node serving the picker on an SSH channel.
 *
 * <p>Every method but {@link #attach} may block, always for a bounded time (a node that does not
 * answer makes them fail with an {@link IOException}); the TUI calls them on its I/O threads, never
 * on its render thread, and from several threads at once.
 */
public interface Backend extends AutoCloseable {
  /** A node the TUI shows. */
  record NodeRef(String name, String address, Instant lastSeen) {
    public NodeRef {
      Objects.requireNonNull(name, "name");
      address = address == null ? "" : address;
    }
  }

  /** A session and its last line of output (plain text, "" when unknown). */
  record SessionRow(SessionInfo info, String lastLine) {
    public SessionRow {
      Objects.requireNonNull(info, "info");
      lastLine = lastLine == null ? "" : lastLine;
    }
  }

  /**
   * What {@code n} starts.
   *
   * @param name the session id, or blank for a generated one
   * @param type shell, process or tmux, or blank for the node's default
   * @param cwd the directory on the node, or blank for the home directory
   * @param command the command line (split into words by the node), or blank for the login shell
   */
  record NewSession(String name, String type, String cwd, String command) {}

  /** The nodes to show, in order. Cheap: no network. */
  List<NodeRef> nodes() throws IOException;

  /**
   * A node's sessions, oldest first.
   *
   * @throws IOException when the node cannot be reached: the TUI shows it offline
   */
  List<SessionRow> sessions(NodeRef node) throws IOException;

  /**
   * A session's screen as text rows, or with {@code log} the last {@code lines} lines of its log.
   */
  List<String> preview(NodeRef node, String id, boolean log, int lines) throws Exception;

  SessionInfo create(NodeRef node, NewSession spec) throws Exception;

  void stop(NodeRef node, String id) throws Exception;

  void restart(NodeRef node, String id) throws Exception;

  /**
   * Hands the terminal to a session until the user presses the detach key ({@code Ctrl-\}) or the
   * session ends. Called on the render thread after the TUI left its screen; returns at once. The
   * future completes when the terminal is the TUI's again, with a line for the status bar (or null
   * after a plain detach), or exceptionally when the attach failed.
   */
  CompletableFuture<String> attach(NodeRef node, String id, boolean readOnly);

  /** Releases connections. */
  @Override
  default void close() {}
}
