package dev.hack.node.api;

/** Exit statuses of the node's SSH commands that clients act on (docs/ssh.md). */
public final class ExitCodes {
  private ExitCodes() {}

  /**
   * {@code attach} and {@code tmux} when the node stops under an attached client: {@code
   * EX_TEMPFAIL}, try again. {@code hack session attach} reconnects on it.
   */
  public static final int NODE_STOPPING = 75;
}
