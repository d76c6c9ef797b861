package dev.hack.node.mesh.tailscale;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the LocalAPI of Tailscale's macOS GUI builds, which listen on 127.0.0.1 at a random port
 * and leave the port and an auth token in a file named {@code sameuserproof-PORT-TOKEN} (or {@code
 * sameuserproof-PORT} holding the token) that only the same user can read. Best-effort: every
 * failure means "not found".
 *
 * <p>The places, after tailscale/tailscale {@code safesocket/safesocket_darwin.go}:
 *
 * <ul>
 *   <li>the standalone ("macsys") app: {@code /Library/Tailscale/ipnport}, a symlink whose target
 *       is the port, and {@code /Library/Tailscale/sameuserproof-PORT} holding the token;
 *   <li>{@code $TS_MACOS_CLI_SHARED_DIR}, set when the CLI runs inside the app bundle: a file named
 *       {@code sameuserproof-PORT-TOKEN};
 *   <li>the App Store app, which Tailscale finds with {@code lsof} on its {@code IPNExtension}
 *       process ({@code .tailscale.ipn.macos/sameuserproof-PORT-TOKEN} in its open files); hack
 *       looks in the same group container directly, {@code ~/Library/Group
 *       Containers/*.io.tailscale.ipn.macos/}, rather than running {@code lsof}, newest file first.
 * </ul>
 *
 * <p>The files outlive the app, so {@link #discover} prefers a candidate whose port accepts a TCP
 * connection (as Tailscale does for the macsys files).
 */
final class MacLocalApiDiscovery {
  static final Path MACSYS_DIR = Path.of("/Library/Tailscale");
  static final String SHARED_DIR_ENV = "TS_MACOS_CLI_SHARED_DIR";
  private static final String PREFIX = "sameuserproof-";
  private static final String APP_STORE_CONTAINER_SUFFIX = ".io.tailscale.ipn.macos";
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(250);

  private MacLocalApiDiscovery() {}

  /**
   * Parses {@code sameuserproof-61577-2ae2ec9e0aa2005784f1} into port 61577 and the token (the rest
   * after the second dash, as Tailscale's {@code strings.SplitN(name, "-", 3)}).
   */
  static Optional<LocalApiEndpoint.Loopback> parseSameUserProof(String fileName) {
    if (fileName == null || !fileName.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String rest = fileName.substring(PREFIX.length());
    int dash = rest.indexOf('-');
    if (dash <= 0) {
      return Optional.empty();
    }
    return loopback(rest.substring(0, dash), rest.substring(dash + 1));
  }

  /** The standalone app's files under {@code dir} ({@code /Library/Tailscale}). */
  static Optional<LocalApiEndpoint.Loopback> fromMacsys(Path dir) {
    try {
      String port = Files.readSymbolicLink(dir.resolve("ipnport")).toString().trim();
      String token = Files.readString(dir.resolve(PREFIX + port), StandardCharsets.UTF_8).strip();
      return loopback(port, token);
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // not installed, or not readable by this user: not found
    }
  }

  /** A {@code sameuserproof-PORT-TOKEN} file in {@code dir}, the newest if there are several. */
  static Optional<LocalApiEndpoint.Loopback> fromNamedFile(Path dir) {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*")) {
      ds.forEach(files::add);
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // no such directory, or not ours: not found
    }
    files.sort(Comparator.comparing(MacLocalApiDiscovery::modified).reversed());
    for (Path f : files) {
      Optional<LocalApiEndpoint.Loopback> found = parseSameUserProof(f.getFileName().toString());
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  /** The App Store app's group containers under {@code home}. */
  static List<LocalApiEndpoint.Loopback> fromGroupContainers(Path home) {
    List<LocalApiEndpoint.Loopback> out = new ArrayList<>();
    Path containers = home.resolve("Library").resolve("Group Containers");
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(containers, "*" + APP_STORE_CONTAINER_SUFFIX)) {
      for (Path dir : ds) {
        fromNamedFile(dir).ifPresent(out::add);
      }
    } catch (IOException | RuntimeException e) {
      // no group containers, or not readable: nothing found
    }
    return out;
  }

  /** Every candidate, in the order Tailscale's CLI would try them. */
  static List<LocalApiEndpoint.Loopback> candidates(
      Map<String, String> env, Path home, Path macsysDir) {
    List<LocalApiEndpoint.Loopback> out = new ArrayList<>();
    fromMacsys(macsysDir).ifPresent(out::add);
    String shared = env.get(SHARED_DIR_ENV);
    if (shared != null && !shared.isBlank()) {
      fromNamedFile(Path.of(shared)).ifPresent(out::add);
    }
    if (home != null) {
      out.addAll(fromGroupContainers(home));
    }
    return out;
  }

  /**
   * The first candidate that accepts a TCP connection within 250 ms, else the first candidate (so
   * that a quit app shows as {@code blocked}), else empty. Blocks for at most 250 ms per candidate.
   */
  static Optional<LocalApiEndpoint.Loopback> discover(
      Map<String, String> env, Path home, Path macsysDir) {
    List<LocalApiEndpoint.Loopback> found = candidates(env, home, macsysDir);
    for (LocalApiEndpoint.Loopback c : found) {
      if (accepts(c.port())) {
        return Optional.of(c);
      }
    }
    return found.stream().findFirst();
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(
          new InetSocketAddress(LocalApiEndpoint.Loopback.IPV4_LOOPBACK, port),
          (int) PROBE_TIMEOUT.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<LocalApiEndpoint.Loopback> loopback(String port, String token) {
    try {
      int p = Integer.parseInt(port);
      if (p < 1 || p > 65535 || token == null || token.isBlank()) {
        return Optional.empty();
      }
      return Optional.of(new LocalApiEndpoint.Loopback(p, token));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
