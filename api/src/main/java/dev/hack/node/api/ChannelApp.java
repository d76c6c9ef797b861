package dev.hack.node.api;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A full-screen program the node serves on an SSH shell channel that has a pty and no command: the
 * session picker. The node only defines this interface; the {@code tui} module implements it and
 * {@code cli} hands the implementation to the node through {@link NodeSshServer.Settings}, so the
 * node does not depend on the UI.
 *
 * <p>Threads: {@link #input} and {@link #resize} are called on SSH I/O threads and must return at
 * once, never blocking; {@link #close} may come from any thread. The app runs on threads of its
 * own, which it starts in {@link Factory#start} and ends in {@link #close} or when it calls {@link
 * Channel#exit}.
 */
public interface ChannelApp {
  /**
   * Bytes the client typed. While the channel is attached to a session (see {@link Channel#attach})
   * keys go to the session instead and the app receives nothing.
   */
  void input(byte[] data, int off, int len);

  /** The client's window changed size; also reported while a session is attached. */
  void resize(PtySize size);

  /** The channel is closing (the client left, or the app exited): stop and free. Idempotent. */
  void close();

  /** Starts an app for a channel. */
  @FunctionalInterface
  interface Factory {
    /**
     * Called on an {@code ssh-command} thread once the client asked for a shell with a pty.
     *
     * @throws IOException if the app cannot start; the client gets the message and the channel ends
     *     with status 1
     */
    ChannelApp start(Channel channel) throws IOException;
  }

  /** How an attach from the app ended. */
  record AttachEnd(boolean sessionEnded, Integer exitCode) {}

  /**
   * The channel an app runs on, and this node's sessions. Thread-safe. Methods that may block say
   * so: call them off the app's render thread.
   */
  interface Channel {
    /** The client's terminal size now (80x24 when the client did not say). */
    PtySize size();

    /** What the client sent with its pty request: {@code TERM}, and {@code LANG}/{@code LC_*}. */
    Map<String, String> env();

    /**
     * Sends bytes to the client. Never blocks: the bytes are copied and queued behind earlier
     * sends, in order; {@code onSent} runs (on any thread) once they are written.
     */
    void send(byte[] data, int off, int len, Runnable onSent);

    /**
     * Ends the SSH session with {@code code} once everything sent so far has been written. The
     * app's {@link ChannelApp#close} follows.
     */
    void exit(int code);

    /** This node's status. */
    NodeStatus status();

    /** This node's sessions, oldest first. Does not block on the sessions' programs. */
    List<SessionInfo> sessions();

    /**
     * A session's last line as its screen shows it (the cursor's row, or the nearest text above
     * it), as plain text; "" when there is none.
     */
    String lastLine(String id);

    /**
     * What a session shows, as plain text: at most {@code lines} rows of its screen (the ones down
     * to its last text, keeping the cursor's row in view), or with {@code log} the last {@code
     * lines} lines of its log. Reads the session's log file.
     *
     * @throws java.util.NoSuchElementException if there is no such session
     * @throws IllegalStateException if hack keeps no log of it (the user's own tmux sessions)
     */
    List<String> preview(String id, boolean log, int lines) throws IOException;

    /**
     * Starts a session with the client's locale and terminal size. May block (tmux).
     *
     * @param name the id, or null to generate one
     * @param type shell, process or tmux, or null for shell without a command and process with one
     * @param cwd the directory, or null for the home directory
     * @param commandLine the command, split into words as the node splits an SSH command line;
     *     blank for the login shell
     * @throws IllegalArgumentException for a bad name, type, directory or command line
     */
    SessionInfo create(String name, String type, String cwd, String commandLine) throws IOException;

    /** Stops a session. Blocks for up to the stop grace period. */
    void stop(String id) throws IOException;

    /** Restarts a session. Blocks for up to the stop grace period. */
    void restart(String id) throws IOException;

    /**
     * Hands this channel to a session, as {@code attach ID} does: the session's screen is drawn,
     * keys go to it, window changes resize it. The detach key ({@code Ctrl-\}) or the end of the
     * session hands the channel back to the app: the returned future completes then, after the
     * client's terminal modes were reset. The app must leave its own screen before calling this,
     * and must not send anything until the future completes. May block (tmux sessions start a tmux
     * client).
     *
     * @throws java.util.NoSuchElementException if there is no such session
     * @throws IllegalStateException if the session is not running, or the channel is attached
     */
    CompletableFuture<AttachEnd> attach(String id, boolean readOnly) throws IOException;

    /** This node's paired peers and what their health checks found (none by default). */
    default List<PeerStatus> peers() throws IOException {
      return List.of();
    }

    /**
     * Runs one of the node's SSH commands on a peer ({@code ls --json --last-line}, {@code peek …})
     * and returns what it printed, within {@code limit}. Sessions of a peer are attached with
     * {@link #attach} as {@code ID@PEER}, through this node.
     *
     * @throws IOException when the peer does not answer or the command fails
     */
    default String onPeer(String peer, String command, java.time.Duration limit)
        throws IOException {
      throw new IOException("this node has no peers");
    }
  }
}
