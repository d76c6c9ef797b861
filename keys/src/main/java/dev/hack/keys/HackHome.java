package dev.hack.keys;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The directory that holds everything hack keeps on a machine ({@code HACK_HOME}, default {@code
 * ~/.hack}). Only paths are resolved here; nothing is created until a component needs it.
 */
public final class HackHome {
  private final Path root;

  private HackHome(Path root) {
    this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
  }

  /** {@code HACK_HOME} if set and non-empty, else {@code ~/.hack}. */
  public static HackHome fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  static HackHome fromEnvironment(Map<String, String> env) {
    String value = env.get("HACK_HOME");
    if (value != null && !value.isBlank()) {
      return at(Path.of(value));
    }
    return at(Path.of(System.getProperty("user.home"), ".hack"));
  }

  public static HackHome at(Path root) {
    return new HackHome(root);
  }

  public Path root() {
    return root;
  }

  public Path keysDir() {
    return root.resolve("keys");
  }

  public Path hostKey() {
    return keysDir().resolve("ssh_host_ed25519_key");
  }

  public Path authorizedKeys() {
    return keysDir().resolve("authorized_keys");
  }

  public Path userKey() {
    return keysDir().resolve("id_ed25519");
  }

  public Path knownHosts() {
    return keysDir().resolve("known_hosts");
  }

  public Path config() {
    return root.resolve("config.json");
  }

  public Path registry() {
    return root.resolve("registry").resolve("nodes.json");
  }

  public Path daemonDir() {
    return root.resolve("daemon");
  }

  public Path nodeFile() {
    return daemonDir().resolve("node.json");
  }

  public Path sessionsDir() {
    return daemonDir().resolve("sessions");
  }

  public Path jobsDir() {
    return daemonDir().resolve("jobs");
  }

  public Path gatewayDir() {
    return daemonDir().resolve("gateway");
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
