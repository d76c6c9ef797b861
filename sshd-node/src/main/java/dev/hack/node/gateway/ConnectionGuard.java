package dev.hack.node.gateway;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps what one client can hold open before it has been authenticated, as a bean on the gateway's
 * connector.
 *
 * <ul>
 *   <li><b>Connections per remote address</b> ({@link Gateway#MAX_CONNECTIONS_PER_REMOTE}): one
 *       more than that is closed as soon as it is accepted.
 *   <li><b>Time to send a request's headers</b> ({@link Gateway#REQUEST_HEADER_TIMEOUT}), counted
 *       from the connection's accept, or from the end of the previous response on a kept-alive
 *       connection, to the moment the request reaches the gateway's handler. Jetty's idle timeout
 *       alone does not cut a slowloris, which sends a byte just often enough to look active.
 *   <li><b>Time to send a request's body</b> ({@link Gateway#REQUEST_BODY_TIMEOUT}), while the
 *       gateway reads it.
 * </ul>
 *
 * A connection over a deadline is closed. A connection upgraded to a WebSocket leaves this watch
 * (its HTTP connection is closed by the upgrade); streams have their own idle timeout and pings.
 *
 * <p>Thread-safe: accept events come from the acceptor and selector threads, request events from
 * handler threads, {@link #sweep} from the gateway timer. Nothing here blocks.
 */
final class ConnectionGuard implements SelectorManager.AcceptListener, Connection.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

  private final int maxPerRemote;
  private final Map<InetAddress, Integer> perRemote = new ConcurrentHashMap<>();
  private final Map<SelectableChannel, InetAddress> channels = new ConcurrentHashMap<>();

  /** HTTP connections and the nanoTime by which the client must have sent what is awaited. */
  private final Map<Connection, Deadline> waiting = new ConcurrentHashMap<>();

  /** When the client must have sent what the gateway waits for; 0 while it waits for nothing. */
  private static final class Deadline {
    volatile long at;

    Deadline(long at) {
      this.at = at;
    }
  }

  ConnectionGuard(int maxPerRemote) {
    this.maxPerRemote = maxPerRemote;
  }

  // --- connections per remote address ----------------------------------------------------

  @Override
  public void onAccepting(SelectableChannel channel) {
    InetAddress remote = remoteOf(channel);
    if (remote == null) {
      return;
    }
    channels.put(channel, remote);
    int n = perRemote.merge(remote, 1, Integer::sum);
    if (n > maxPerRemote) {
      if (n == maxPerRemote + 1) {
        LOG.info(
            "{} has {} connections open to the gateway, its limit; closing new ones",
            remote.getHostAddress(),
            maxPerRemote);
      }
      try {
        channel.close(); // Jetty then reports onAcceptFailed, which gives the count back
      } catch (IOException e) {
        LOG.debug("closing an excess connection from {}: {}", remote, e.toString());
      }
    }
  }

  @Override
  public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
    release(channel);
  }

  @Override
  public void onClosed(SelectableChannel channel) {
    release(channel);
  }

  private void release(SelectableChannel channel) {
    InetAddress remote = channels.remove(channel);
    if (remote != null) {
      perRemote.computeIfPresent(remote, (k, v) -> v <= 1 ? null : v - 1);
    }
  }

  private static InetAddress remoteOf(SelectableChannel channel) {
    try {
      if (channel instanceof SocketChannel s
          && s.getRemoteAddress() instanceof InetSocketAddress a) {
        return a.getAddress();
      }
    } catch (IOException e) {
      LOG.debug("an accepted connection without a remote address: {}", e.toString());
    }
    return null;
  }

  /** How many connections {@code remote} has open (for tests and metrics). */
  int connectionsFrom(InetAddress remote) {
    return perRemote.getOrDefault(remote, 0);
  }

  // --- header and body deadlines -------------------------------------------------------

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof HttpConnection) {
      waiting.put(connection, new Deadline(deadline(Gateway.requestHeaderTimeout)));
    }
  }

  @Override
  public void onClosed(Connection connection) {
    waiting.remove(connection);
  }

  /**
   * The request reached the handler: its headers are in. Returns the callback to complete the
   * request with, which starts the next request's header deadline once the response is done.
   */
  Callback requestStarted(Request request, Callback callback) {
    Deadline d = waiting.get(request.getConnectionMetaData().getConnection());
    if (d == null) {
      return callback;
    }
    d.at = 0;
    Runnable next = () -> d.at = deadline(Gateway.requestHeaderTimeout);
    return new Callback.Nested(callback) {
      @Override
      public void succeeded() {
        next.run(); // before completing: a pipelined request may start right after
        super.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        next.run();
        super.failed(x);
      }
    };
  }

  /** The handler is about to read the request's body: it must arrive in time. */
  void bodyStarted(Request request) {
    Deadline d = waiting.get(request.getConnectionMetaData().getConnection());
    if (d != null) {
      d.at = deadline(Gateway.requestBodyTimeout);
    }
  }

  /** The body has been read. */
  void bodyDone(Request request) {
    Deadline d = waiting.get(request.getConnectionMetaData().getConnection());
    if (d != null) {
      d.at = 0;
    }
  }

  /** Closes the connections past their deadline. Never throws (it runs on a fixed-rate timer). */
  void sweep() {
    try {
      long now = System.nanoTime();
      for (Map.Entry<Connection, Deadline> e : waiting.entrySet()) {
        long at = e.getValue().at;
        if (at != 0 && now - at > 0) {
          waiting.remove(e.getKey());
          LOG.debug(
              "closing a connection from {}: it did not send its request in time",
              e.getKey().getEndPoint().getRemoteSocketAddress());
          e.getKey().getEndPoint().close(new TimeoutException("request not sent in time"));
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("sweeping slow connections: {}", e.toString(), e);
    }
  }

  private static long deadline(Duration timeout) {
    long at = System.nanoTime() + timeout.toNanos();
    return at == 0 ? 1 : at;
  }
}
