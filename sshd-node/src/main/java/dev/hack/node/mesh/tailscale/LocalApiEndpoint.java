package dev.hack.node.mesh.tailscale;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Objects;
import javax.net.SocketFactory;

/** Where tailscaled's LocalAPI listens, and how a connection to it is made. */
sealed interface LocalApiEndpoint {
  /** Sockets that reach the endpoint whatever address OkHttp thinks it is connecting to. */
  SocketFactory socketFactory();

  /** For messages: the socket path, or {@code 127.0.0.1:PORT}. Never the token. */
  String describe();

  /** tailscaled's unix socket ({@code /var/run/tailscale/tailscaled.sock} on Linux). */
  record UnixSocket(Path path) implements LocalApiEndpoint {
    public UnixSocket {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public SocketFactory socketFactory() {
      return new UnixSocketFactory(path);
    }

    @Override
    public String describe() {
      return path.toString();
    }
  }

  /**
   * The macOS GUI builds' LocalAPI: TCP on 127.0.0.1 at a random port, authenticated with HTTP
   * Basic auth, empty user name and the token as password (tailscale/tailscale {@code
   * client/local/local.go}, {@code DoLocalRequest}: {@code req.SetBasicAuth("", token)}; the dialer
   * connects to {@code "127.0.0.1:"+port}, not {@code localhost}, Tailscale issue 7851).
   *
   * @param token secret; never logged, never in {@link #toString()}
   */
  record Loopback(int port, String token) implements LocalApiEndpoint {
    static final InetAddress IPV4_LOOPBACK = ipv4Loopback();

    public Loopback {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
      }
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("a LocalAPI token must not be empty");
      }
    }

    @Override
    public SocketFactory socketFactory() {
      return new LoopbackSocketFactory(new InetSocketAddress(IPV4_LOOPBACK, port));
    }

    @Override
    public String describe() {
      return "127.0.0.1:" + port;
    }

    @Override
    public String toString() {
      return "Loopback[port=" + port + ", token=<redacted>]";
    }

    private static InetAddress ipv4Loopback() {
      try {
        return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
      } catch (UnknownHostException e) {
        throw new AssertionError(e); // four bytes are always a valid address
      }
    }
  }
}
