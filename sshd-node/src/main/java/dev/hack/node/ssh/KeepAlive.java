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
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-side keepalives, as OpenSSH's {@code ClientAliveInterval}/{@code ClientAliveCountMax}: a
 * {@code keepalive@openssh.com} global request with want-reply every interval; a client that leaves
 * {@code max} of them unanswered (a phone that lost signal) is disconnected, which frees its
 * attachments. MINA's own heartbeat on the server side only sends SSH_MSG_IGNORE, which cannot
 * detect a dead peer.
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
    long ms = interval.toMillis();
    tasks.put(
        session,
        timer.scheduleWithFixedDelay(
            NodeFailures.guarded("keepalive", () -> ping(session, unanswered)),
            ms,
            ms,
            TimeUnit.MILLISECONDS));
  }

  private void ping(Session session, AtomicInteger unanswered) {
    if (!session.isOpen()) {
      cancel(session);
      return;
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
