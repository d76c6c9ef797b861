package dev.hack.node.platform;

/** Looking a signal up by name in a system's table (index = number, {@code SIGNAME} values). */
final class SignalTable {
  private SignalTable() {}

  static int number(String[] table, String name) {
    String full = name.startsWith("SIG") ? name : "SIG" + name;
    for (int i = 1; i < table.length; i++) {
      if (full.equals(table[i])) {
        return i;
      }
    }
    throw new IllegalArgumentException("no signal " + name + " here");
  }
}
