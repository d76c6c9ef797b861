package dev.hack.node.ssh;

/**
 * Puts the client's terminal back the way a shell expects it, as tmux does on detach: main screen,
 * visible cursor, normal keys, no mouse reporting or bracketed paste, default colours, full-screen
 * scroll region. It leaves the alternate screen with 1047, not 1049: on the main screen 1049 would
 * restore a cursor saved long ago and print the message over old lines. The scroll region is reset
 * between a cursor save and restore (DECSC, DECRC), because resetting it also moves the cursor to
 * the top left, and the message would overwrite the second line.
 */
final class TerminalReset {
  static final String SEQUENCE =
      "\u001b[?1047l\u001b7\u001b[r\u001b8\u001b[0m\u001b[?25h\u001b[?1l\u001b>\u001b[?2004l"
          + "\u001b[?1000l\u001b[?1002l\u001b[?1003l\u001b[?1006l\u001b[?1015l\u001b[?1004l";

  private TerminalReset() {}
}
