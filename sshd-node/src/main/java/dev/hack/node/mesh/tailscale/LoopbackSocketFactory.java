package dev.hack.node.mesh.tailscale;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import javax.net.SocketFactory;

/**
 * TCP sockets that connect to one fixed loopback address whatever address they are asked for, so
 * that OkHttp can keep {@code http://local-tailscaled.sock/} in the URL (and so in the {@code Host}
 * header tailscaled checks) while talking to the macOS app's port.
 */
final class LoopbackSocketFactory extends SocketFactory {
  private final InetSocketAddress target;

  LoopbackSocketFactory(InetSocketAddress target) {
    this.target = target;
  }

  @Override
  public Socket createSocket() {
    return new Socket() {
      @Override
      public void connect(SocketAddress ignored, int timeoutMillis) throws IOException {
        super.connect(target, timeoutMillis);
      }
    };
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(target);
    return s;
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return createSocket(host, port);
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return createSocket(host.getHostAddress(), port);
  }

  @Override
  public Socket createSocket(InetAddress host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return createSocket(host.getHostAddress(), port);
  }
}
