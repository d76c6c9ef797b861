package dev.hack.node.ssh;

import dev.hack.node.NodeFailures;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.ServerFactoryManager;
import org.apache.sshd.server.session.ServerSessionImpl;
import org.apache.sshd.server.session.SessionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-side keepalives, as OpenSSH's {@code ClientAliveInterval}/{@code ClientAliveCountMax}: a
 * {@code keepalive@openssh.com} global request with want-reply every interval; a client that sends
 * nothing at all while {@code max} of them go unanswered (a phone that lost signal) is
 * disconnected, which frees its attachments. As in OpenSSH's server, any packet from the client
 * counts as an answer: on a slow link a keepalive waits behind the output in flight for far longer
 * than the interval, while the client's window adjusts keep arriving. MINA's own heartbeat on the
 * server side only sends SSH_MSG_IGNORE, which cannot detect a dead peer.
 *
 * <p>Owns the {@code ssh-keepalive} thread; {@link #close} stops it.
 */
final class KeepAlive implements SessionListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeepAlive.class);
  private static final String REQUEST = "keepalive@openssh.com";

  private final Duration interval;
  private final int max;
  private final ScheduledExecutorService timer;
  private final Map<Session, ScheduledFuture<?>> tasks = new ConcurrentHashMap<>();

  KeepAlive(Duration interval, int max) {
    this.interval = interval;
    this.max = max;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ssh-keepalive");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public void sessionEvent(Session session, Event event) {
    if (event != Event.Authenticated || interval.isZero() || interval.isNegative()) {
      return;
    }
    AtomicInteger unanswered = new AtomicInteger();
    AtomicLong seen = new AtomicLong(packetsIn(session));
    long ms = interval.toMillis();
    tasks.put(
        session,
        timer.scheduleWithFixedDelay(
            NodeFailures.guarded("keepalive", () -> ping(session, unanswered, seen)),
            ms,
            ms,
            TimeUnit.MILLISECONDS));
  }

  private void ping(Session session, AtomicInteger unanswered, AtomicLong seen) {
    if (!session.isOpen()) {
      cancel(session);
      return;
    }
    long packets = packetsIn(session);
    if (packets != seen.getAndSet(packets)) {
      unanswered.set(0); // the client sent something since the last look: it is there
    }
    if (unanswered.get() >= max) {
      LOG.info(
          "{}: no answer to {} keepalives in a row; disconnecting",
          session.getRemoteAddress(),
          max);
      cancel(session);
      session.close(true);
      return;
    }
    try {
      Buffer buf = session.createBuffer(SshConstants.SSH_MSG_GLOBAL_REQUEST, REQUEST.length() + 8);
      buf.putString(REQUEST);
      buf.putBoolean(true);
      unanswered.incrementAndGet();
      // success and failure both prove the client is alive (OpenSSH answers failure)
      session.request(buf, REQUEST, (cmd, reply) -> unanswered.set(0));
    } catch (IOException | RuntimeException e) {
      LOG.debug("{}: keepalive not sent: {}", session.getRemoteAddress(), e.toString());
    }
  }

  /**
   * How many packets {@code session} has received (since its last key exchange), or -1 where it
   * cannot tell; a change means the client sent something.
   */
  private static long packetsIn(Session session) {
    return session instanceof NodeServerSession c ? c.packetsIn() : -1;
  }

  /** Makes {@link NodeServerSession}s, for a server whose clients get keepalives. */
  static SessionFactory sessionFactory(ServerFactoryManager server) {
    return new SessionFactory(server) {
      @Override
      protected ServerSessionImpl doCreateSession(IoSession io) throws Exception {
        return new NodeServerSession(getServer(), io);
      }
    };
  }

  private void cancel(Session session) {
    ScheduledFuture<?> f = tasks.remove(session);
    if (f != null) {
      f.cancel(false);
    }
  }

  @Override
  public void sessionClosed(Session session) {
    cancel(session);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
