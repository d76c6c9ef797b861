package dev.hack.node.ssh;

import dev.hack.node.client.DetachKeys;
import dev.hack.node.supervisor.Attachment;
import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Where a channel's keystrokes go, decided on the SSH I/O thread before anything reads them: held
 * while an attach or an app is being set up (at most {@link #MAX_HELD}; more is dropped), then to
 * the attached session with the detach key watched, or else to the app, or nowhere. One router
 * serves a plain {@code ssh … attach} ({@link ChannelCommand}) and the picker ({@link AppChannel}).
 *
 * <p>The one rule for the bytes around the detach key: those before it go to the session, the key
 * itself goes nowhere, and those after it go to whatever takes keys next: the picker, for a session
 * attached from it; nothing, for a plain attach, whose channel then ends.
 *
 * <p>Thread-safe. Keys held while attaching are delivered by the thread that completes the attach;
 * keys typed in that same instant may overtake them.
 */
final class InputRouter {
  /** Keys typed while attaching are kept up to this many bytes. */
  static final int MAX_HELD = 64 * 1024;

  /** Where keys go while no session is attached. */
  interface Keys {
    void input(byte[] data, int off, int len);
  }

  private final Consumer<Attachment> onDetachKey;

  // guarded by this
  private ByteArrayOutputStream held = new ByteArrayOutputStream(); // non-null: holding
  private Attachment session;
  private Keys app;
  private int detachKey = DetachKeys.DEFAULT;
  private boolean closed;

  /**
   * Holds keys from the start.
   *
   * @param onDetachKey called (on the I/O thread) with the session the detach key left, which no
   *     longer gets keys
   */
  InputRouter(Consumer<Attachment> onDetachKey) {
    this.onDetachKey = onDetachKey;
  }

  /** The byte that detaches, or -1 for none. */
  synchronized void detachKey(int key) {
    detachKey = key;
  }

  /** Holds keys from now on (an attach is being set up), until {@link #release}. */
  synchronized void hold() {
    if (held == null) {
      held = new ByteArrayOutputStream();
    }
  }

  /**
   * Keys go to {@code s} from now on, after the ones held once {@link #release} is called (which
   * the caller does outside its own locks: it hands keys to the session).
   *
   * @return false, taking nothing, when the channel closed already ({@link #close}): the caller
   *     detaches {@code s}, which would otherwise stay attached to a client that is gone
   */
  synchronized boolean toSession(Attachment s) {
    if (closed) {
      return false;
    }
    session = s;
    return true;
  }

  /** The channel is gone: no session takes keys from now on. Returns the one attached, or null. */
  synchronized Attachment close() {
    closed = true;
    return takeSession();
  }

  /** Keys go to {@code keys} whenever no session is attached, after the ones held. */
  void toApp(Keys keys) {
    synchronized (this) {
      app = keys;
    }
    release();
  }

  /** The attached session, or null. */
  synchronized Attachment session() {
    return session;
  }

  /** Stops sending keys to {@code s}; returns whether it was the one attached. */
  synchronized boolean clear(Attachment s) {
    if (session != s || s == null) {
      return false;
    }
    session = null;
    return true;
  }

  /** Stops sending keys to any session; returns the one that was attached, or null. */
  synchronized Attachment takeSession() {
    Attachment s = session;
    session = null;
    return s;
  }

  /** Stops holding: what was held goes where keys go now. */
  void release() {
    byte[] pending;
    synchronized (this) {
      if (held == null) {
        return;
      }
      pending = held.toByteArray();
      held = null;
    }
    if (pending.length > 0) {
      input(pending, 0, pending.length);
    }
  }

  /** Keys from the client. */
  void input(byte[] buf, int off, int len) {
    Attachment s;
    Keys keys;
    int key;
    synchronized (this) {
      if (held != null) {
        if (held.size() + len <= MAX_HELD) {
          held.write(buf, off, len);
        }
        return;
      }
      s = session;
      keys = app;
      key = detachKey;
    }
    if (s == null) {
      if (keys != null) {
        keys.input(buf, off, len);
      }
      return;
    }
    if (key >= 0) {
      for (int i = off; i < off + len; i++) {
        if ((buf[i] & 0xff) == key) {
          s.input(buf, off, i - off);
          if (clear(s)) {
            onDetachKey.accept(s);
          }
          if (i + 1 < off + len) {
            input(buf, i + 1, off + len - i - 1);
          }
          return;
        }
      }
    }
    s.input(buf, off, len);
  }
}
