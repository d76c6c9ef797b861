package dev.hack.node.ssh;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps how many SSH connections one client address holds, and how many of those have not logged in
 * yet (as OpenSSH's {@code MaxStartups} does): a connection past a cap is closed as soon as it is
 * made, before key exchange costs the node anything. Counts are per address, not per port, so one
 * machine cannot hold the node's file descriptors and threads. Thread-safe: MINA calls the listener
 * from its I/O threads.
 */
final class ConnectionLimits implements SessionListener {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);

  /** Refusals are told to whoever watches (the audit log): the address and why. */
  interface Refusals {
    void refused(String remote, String why);
  }

  private final int perRemote;
  private final int unauthenticatedPerRemote;
  private final Refusals refusals;
  private final Map<InetAddress, int[]> counts = new HashMap<>(); // guarded by this: {all, unauth}
  private final Map<Session, Boolean> unauthenticated = new HashMap<>(); // guarded by this

  ConnectionLimits(int perRemote, int unauthenticatedPerRemote, Refusals refusals) {
    this.perRemote = perRemote;
    this.unauthenticatedPerRemote = unauthenticatedPerRemote;
    this.refusals = refusals;
  }

  @Override
  public void sessionCreated(Session session) {
    InetAddress ip = address(session.getRemoteAddress());
    if (ip == null) {
      return;
    }
    String why = null;
    synchronized (this) {
      int[] c = counts.computeIfAbsent(ip, k -> new int[2]);
      if (c[0] >= perRemote) {
        why = "more than " + perRemote + " connections from one address";
      } else if (c[1] >= unauthenticatedPerRemote) {
        why = "more than " + unauthenticatedPerRemote + " connections logging in from one address";
      } else {
        c[0]++;
        c[1]++;
        unauthenticated.put(session, Boolean.TRUE);
        session.setAttribute(Counted.KEY, ip);
      }
      if (why != null && c[0] == 0) {
        counts.remove(ip);
      }
    }
    if (why != null) {
      LOG.info("{}: refused: {}", session.getRemoteAddress(), why);
      refusals.refused(String.valueOf(session.getRemoteAddress()), why);
      session.close(true);
    }
  }

  @Override
  public void sessionEvent(Session session, Event event) {
    if (event != Event.Authenticated) {
      return;
    }
    InetAddress ip = session.getAttribute(Counted.KEY);
    if (ip == null) {
      return;
    }
    synchronized (this) {
      if (unauthenticated.remove(session) != null) {
        int[] c = counts.get(ip);
        if (c != null) {
          c[1]--;
        }
      }
    }
  }

  @Override
  public void sessionClosed(Session session) {
    InetAddress ip = session.getAttribute(Counted.KEY);
    if (ip == null) {
      return; // refused, or never counted
    }
    synchronized (this) {
      int[] c = counts.get(ip);
      if (c == null) {
        return;
      }
      c[0]--;
      if (unauthenticated.remove(session) != null) {
        c[1]--;
      }
      if (c[0] <= 0) {
        counts.remove(ip);
      }
    }
  }

  private static InetAddress address(SocketAddress a) {
    return a instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  private static final class Counted {
    static final org.apache.sshd.common.AttributeRepository.AttributeKey<InetAddress> KEY =
        new org.apache.sshd.common.AttributeRepository.AttributeKey<>();
  }
}
