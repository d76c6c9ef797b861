package dev.hack.node.gateway;

import dev.hack.keys.TokenStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every WebSocket stream the gateway has open, by the token that opened it, and the watcher that
 * ends them when their authorization goes away. A token is checked once at the upgrade like any
 * request; after that {@link #check} (run every {@link Gateway#STREAM_CHECK_INTERVAL} on the
 * gateway timer) looks the token up again by id in {@code tokens.json} and re-reads {@code
 * allowWrites}, so a token revoked (by the CLI, which edits the file, or over HTTP), removed from
 * the file or past its expiry, and {@code allowWrites} turned off for streams that write, end the
 * stream with 1008 and a reason within that interval.
 *
 * <p>It also holds the caps on streams: {@link Gateway#MAX_STREAMS_PER_TOKEN} per token and {@link
 * Gateway#MAX_STREAMS} in all; {@link #reserve} refuses beyond them with {@code 429
 * too_many_streams} before the upgrade.
 *
 * <p>Thread-safe: slots are reserved on request threads, opened and released on WebSocket threads,
 * checked on the timer. {@link #check} only reads two small files (both cached or tiny) and never
 * waits on a client.
 */
final class StreamRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(StreamRegistry.class);

  /** A slot reserved at the upgrade and never opened is given back after this. */
  static final Duration UNOPENED_SLOT_TIMEOUT = Duration.ofSeconds(30);

  static final String TOKEN_REVOKED = "token revoked";
  static final String TOKEN_EXPIRED = "token expired";
  static final String WRITES_OFF = "writes turned off on this node";
  static final String TOKENS_UNREADABLE = "the token file cannot be read";
  static final String CONFIG_UNREADABLE = "the node's config cannot be read";
  static final String PROJECT_DISABLED = "project disabled for the gateway";
  static final String PROJECTS_UNREADABLE = "the project registry cannot be read";

  /** What a stream endpoint does when its authorization is gone. */
  interface Stream {
    /**
     * Stops passing anything between the client and the session or job at once, audits the close
     * with {@code reason}, and closes the WebSocket with 1008 (policy violation) and {@code
     * reason}. Idempotent; must not block.
     */
    void revoke(String reason);
  }

  /** One stream's place in the registry, from its upgrade until it is closed. */
  final class Slot {
    final Caller caller;
    final boolean writes;
    final String project; // the project's id or name in the stream's path, or null
    private final long reservedAt = System.nanoTime();
    private volatile Stream stream;
    private volatile String ended;
    private boolean released; // guarded by StreamRegistry.this

    private Slot(Caller caller, boolean writes, String project) {
      this.caller = caller;
      this.writes = writes;
      this.project = project;
    }

    /** The endpoint is open; if the slot was already ended, the stream is ended now. */
    void open(Stream s) {
      stream = s;
      String why = ended;
      if (why != null) {
        s.revoke(why);
      }
    }

    /** False once the stream's authorization is gone: nothing more may pass through it. */
    boolean live() {
      return ended == null;
    }

    /** Why the stream was ended, or null. */
    String endedBecause() {
      return ended;
    }

    /** Gives the slot back (the stream closed). Idempotent. */
    void release() {
      synchronized (StreamRegistry.this) {
        if (!released) {
          released = true;
          slots.remove(this);
        }
      }
    }

    private void end(String why) {
      synchronized (this) {
        if (ended != null) {
          return;
        }
        ended = why;
      }
      Stream s = stream;
      if (s != null) {
        s.revoke(why);
      }
    }
  }

  private final TokenStore tokens;
  private final ThrowingBoolean allowWrites;
  private final ProjectCheck projectEnabled;
  private final Set<Slot> slots = new LinkedHashSet<>(); // guarded by this
  private final int maxPerToken;
  private final int maxTotal;

  /** {@code allowWrites} as the gateway reads it (it may fail to read the config file). */
  interface ThrowingBoolean {
    boolean get() throws IOException;
  }

  /** Whether the gateway may still act in a project (named by id or name). */
  interface ProjectCheck {
    boolean enabled(String project) throws IOException;
  }

  StreamRegistry(
      TokenStore tokens,
      ThrowingBoolean allowWrites,
      ProjectCheck projectEnabled,
      int maxPerToken,
      int maxTotal) {
    this.tokens = tokens;
    this.allowWrites = allowWrites;
    this.projectEnabled = projectEnabled;
    this.maxPerToken = maxPerToken;
    this.maxTotal = maxTotal;
  }

  /**
   * Reserves a stream for {@code caller}, to be {@linkplain Slot#open opened} by its endpoint and
   * {@linkplain Slot#release released} when it closes (or when the upgrade fails).
   *
   * @throws GatewayError 429 {@code too_many_streams} over a cap
   */
  synchronized Slot reserve(Caller caller, boolean writes, String project) {
    if (slots.size() >= maxTotal) {
      throw new GatewayError(
          429,
          "too_many_streams",
          "this node has " + maxTotal + " streams open, its limit; close one and try again");
    }
    int mine = 0;
    for (Slot s : slots) {
      if (s.caller.tokenId().equals(caller.tokenId())) {
        mine++;
      }
    }
    if (mine >= maxPerToken) {
      throw new GatewayError(
          429,
          "too_many_streams",
          "this token has " + maxPerToken + " streams open, its limit; close one and try again");
    }
    Slot s = new Slot(caller, writes, project);
    slots.add(s);
    return s;
  }

  synchronized int size() {
    return slots.size();
  }

  /**
   * Looks every open stream's token up again, and {@code allowWrites} if a writing stream is open,
   * and ends the streams no longer allowed. Never throws: it runs on a fixed-rate timer, which an
   * exception would stop.
   */
  void check() {
    try {
      checkOnce();
    } catch (RuntimeException e) {
      LOG.warn("checking open streams: {}", e.toString(), e);
    }
  }

  private void checkOnce() {
    List<Slot> open;
    synchronized (this) {
      if (slots.isEmpty()) {
        return;
      }
      open = new ArrayList<>(slots);
    }
    Instant now = Instant.now();
    Map<String, TokenStore.Token> byId = new HashMap<>();
    String tokensFailure = null;
    try {
      for (TokenStore.Token t : tokens.list()) {
        byId.put(t.id(), t);
      }
    } catch (IOException | RuntimeException e) {
      // fail closed: a stream whose token cannot be checked is not authorized
      LOG.warn("cannot read {} to check open streams: {}", tokens.file(), e.toString());
      tokensFailure = TOKENS_UNREADABLE;
    }
    Map<String, String> projects = new HashMap<>(); // project -> why it is off ("" if it is on)
    String writesFailure = null;
    boolean writesLooked = false;
    long stale = System.nanoTime() - UNOPENED_SLOT_TIMEOUT.toNanos();
    for (Slot s : open) {
      if (!s.live()) {
        continue;
      }
      String why = tokensFailure != null ? tokensFailure : why(byId.get(s.caller.tokenId()), now);
      if (why == null && s.writes) {
        if (!writesLooked) {
          writesLooked = true;
          writesFailure = writesOff();
        }
        why = writesFailure;
      }
      if (why == null && s.project != null) {
        String off = projects.computeIfAbsent(s.project, this::projectOff);
        why = off.isEmpty() ? null : off;
      }
      if (why != null) {
        s.end(why);
      }
      if (s.stream == null && s.reservedAt - stale < 0) {
        s.release(); // the upgrade never produced an open endpoint
      }
    }
  }

  private static String why(TokenStore.Token t, Instant now) {
    if (t == null) {
      return TOKEN_REVOKED; // removed from the file: as good as revoked
    }
    String state;
    try {
      state = t.state(now);
    } catch (java.time.DateTimeException e) {
      return TOKENS_UNREADABLE; // an expiry nobody can read: fail closed
    }
    return switch (state) {
      case "active" -> null;
      case "expired" -> TOKEN_EXPIRED;
      default -> TOKEN_REVOKED;
    };
  }

  /** Why streams in {@code project} must end, or "" (computeIfAbsent keeps no nulls). */
  private String projectOff(String project) {
    try {
      return projectEnabled.enabled(project) ? "" : PROJECT_DISABLED;
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read the project registry to check open streams: {}", e.toString());
      return PROJECTS_UNREADABLE;
    }
  }

  private String writesOff() {
    try {
      return allowWrites.get() ? null : WRITES_OFF;
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read allowWrites to check open streams: {}", e.toString());
      return CONFIG_UNREADABLE;
    }
  }
}
