package dev.hack.node.ssh;

import java.io.IOException;

/**
 * One command of the node's SSH table (docs/ssh.md): a picocli class that holds its options, the
 * least tailnet role that may run it, and what it does. {@link SshCommands} lists them; {@link
 * ChannelCommand} parses a command line into one and runs it. A verb translates: it reads its
 * options, asks the node's services, and prints the answer; the rules live in the services.
 */
interface Verb {
  /** The least tailnet role that may run this command (docs/ssh.md). */
  TailnetRole role();

  /** The least role when the words ask for {@code --read-only}; only {@code attach} differs. */
  default TailnetRole readOnlyRole() {
    return role();
  }

  /** Whether these parsed options asked for read-only. */
  default boolean readOnly() {
    return false;
  }

  /** Whether a failure of this command is audited: changes and attaches are, reads are not. */
  default boolean audited() {
    return role() != TailnetRole.VIEW;
  }

  /** Carries the command out and ends the call (now, or when what it started ends). */
  void run(SshCall call) throws IOException;

  /**
   * A command that only groups others ({@code job}, {@code peer}, {@code hub}): run alone, it
   * prints its usage and fails.
   */
  interface Group extends Verb {
    @Override
    default TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    default void run(SshCall call) {
      throw new IllegalStateException("a group is never run"); // ChannelCommand prints its usage
    }
  }
}
