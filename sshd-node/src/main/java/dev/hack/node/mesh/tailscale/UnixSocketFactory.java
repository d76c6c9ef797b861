package dev.hack.node.mesh.tailscale;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * Sockets to one unix-domain socket path for OkHttp, with plain JDK 17 (see {@code LIBRARIES.md}):
 * a {@link Socket} whose {@link #createSocket()} ignores the (loopback) address OkHttp connects to
 * and opens a {@link SocketChannel} of {@link StandardProtocolFamily#UNIX} on the path instead.
 */
final class UnixSocketFactory extends SocketFactory {
  private final Path path;

  UnixSocketFactory(Path path) {
    this.path = path;
  }

  @Override
  public Socket createSocket() {
    return new UnixDomainSocket(path);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket s = createSocket();
    s.connect(null, 0);
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

  /**
   * A connected unix-domain channel dressed as a {@link Socket}.
   *
   * <p>Its streams call the channel directly: JDK 17's {@code Channels.newInputStream} and {@code
   * newOutputStream} take the channel's one blocking lock, so a read that waits would stall every
   * write. The channel itself has separate read and write locks.
   *
   * <p>Timeouts: a blocking channel has no read timeout, so {@link #setSoTimeout} only records the
   * value. Reads, writes and the connect are bounded from outside: OkHttp's call timeout and Okio's
   * socket timeouts close the socket when they expire, and closing the channel ends a blocked
   * {@code read}, {@code write} or {@code connect} at once with an {@link
   * java.nio.channels.AsynchronousCloseException}. {@link #close()} may be called from any thread
   * and is idempotent.
   */
  static final class UnixDomainSocket extends Socket {
    private final Path path;
    private final Object lock = new Object();
    private SocketChannel channel; // guarded by lock
    private boolean closed; // guarded by lock
    private volatile boolean inputShut;
    private volatile boolean outputShut;
    private volatile int soTimeout;

    UnixDomainSocket(Path path) {
      this.path = path;
    }

    @Override
    public void connect(SocketAddress ignored) throws IOException {
      connect(ignored, 0);
    }

    @Override
    public void connect(SocketAddress ignored, int timeoutMillis) throws IOException {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      synchronized (lock) {
        if (closed || channel != null) {
          ch.close();
          throw new SocketException(closed ? "Socket is closed" : "already connected");
        }
        channel = ch;
      }
      try {
        ch.connect(UnixDomainSocketAddress.of(path));
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }

    private SocketChannel channel() throws SocketException {
      synchronized (lock) {
        if (closed) {
          throw new SocketException("Socket is closed");
        }
        if (channel == null || !channel.isConnected()) {
          throw new SocketException("Socket is not connected");
        }
        return channel;
      }
    }

    @Override
    public InputStream getInputStream() throws IOException {
      SocketChannel ch = channel();
      return new InputStream() {
        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          int n = read(one, 0, 1);
          return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (len == 0) {
            return 0;
          }
          if (inputShut) {
            return -1;
          }
          return ch.read(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() throws IOException {
          UnixDomainSocket.this.close();
        }
      };
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      SocketChannel ch = channel();
      return new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          ByteBuffer buf = ByteBuffer.wrap(b, off, len);
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
        }

        @Override
        public void close() throws IOException {
          UnixDomainSocket.this.close();
        }
      };
    }

    @Override
    public void close() throws IOException {
      SocketChannel ch;
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
        ch = channel;
      }
      if (ch != null) {
        ch.close();
      }
    }

    @Override
    public boolean isConnected() {
      synchronized (lock) {
        return channel != null && channel.isConnected();
      }
    }

    @Override
    public boolean isBound() {
      return isConnected();
    }

    @Override
    public boolean isClosed() {
      synchronized (lock) {
        return closed;
      }
    }

    @Override
    public void shutdownInput() throws IOException {
      channel().shutdownInput();
      inputShut = true;
    }

    @Override
    public void shutdownOutput() throws IOException {
      channel().shutdownOutput();
      outputShut = true;
    }

    @Override
    public boolean isInputShutdown() {
      return inputShut;
    }

    @Override
    public boolean isOutputShutdown() {
      return outputShut;
    }

    // The options below would otherwise create a TCP socket inside java.net.Socket.

    @Override
    public void setSoTimeout(int timeout) {
      soTimeout = timeout;
    }

    @Override
    public int getSoTimeout() {
      return soTimeout;
    }

    @Override
    public void setTcpNoDelay(boolean on) {}

    @Override
    public boolean getTcpNoDelay() {
      return true;
    }

    @Override
    public void setKeepAlive(boolean on) {}

    @Override
    public InetAddress getInetAddress() {
      return InetAddress.getLoopbackAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
      return InetAddress.getLoopbackAddress();
    }

    @Override
    public int getPort() {
      return 0;
    }

    @Override
    public int getLocalPort() {
      return -1;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
      return UnixDomainSocketAddress.of(path);
    }

    @Override
    public String toString() {
      return "UnixDomainSocket[" + path + (isClosed() ? ", closed" : "") + "]";
    }
  }
}
