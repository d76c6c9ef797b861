package dev.hack.node.gateway;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import dev.hack.node.NodeFailures;
import dev.hack.node.api.Json;
import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 001's job stream: the client says {@code hello {logsFrom, eventsFrom}}, the server answers
 * {@code ready} and then every log byte from {@code logsFrom} and every event after {@code
 * eventsFrom}, live, with a {@code heartbeat} every 15 s; when the job has finished and everything
 * was sent, the server closes the stream normally.
 *
 * <p>Offsets: a {@code log} message's {@code offset} is the byte offset just <em>after</em> its
 * {@code data}, so a client that stores the last {@code offset} (and the last event {@code seq})
 * resumes with {@code hello {logsFrom: offset, eventsFrom: seq}} and gets exactly the bytes and
 * events it is missing. Chunks are cut at UTF-8 character boundaries. Log bytes are always sent
 * before the events that follow them, so {@code job.completed} comes after the last byte.
 *
 * <p>One message is in flight at a time; a slow client only slows its own stream. (Public: Jetty
 * instantiates endpoints reflectively.)
 */
public final class JobSocket implements Session.Listener.AutoDemanding, StreamRegistry.Stream {
  private static final Logger LOG = LoggerFactory.getLogger(JobSocket.class);
  static final int CHUNK = 64 * 1024;
  static volatile long heartbeatMillis = 15_000;

  private final GatewayContext ctx;
  private final Caller caller;
  private final String path;
  private final Job job;
  private final String streamId;
  private final StreamRegistry.Slot slot;

  /** Why the stream was ended by the gateway (its token went), or null. */
  private volatile String endReason;

  private volatile Session ws;
  private Runnable unsubscribe; // guarded by flags
  private ScheduledFuture<?> heartbeat; // guarded by flags

  /**
   * Guards the four flags below, and nothing slow: the job's reader thread takes it (through {@link
   * #pump}) and must never wait for a log read.
   */
  private final Object flags = new Object();

  private boolean started;
  private boolean sending;
  private boolean dirty;
  private boolean closed;

  // The cursor: written only by the one sender (whoever set sending), or by hello before start.
  private volatile long logsSent;
  private volatile long eventsSent;
  private ArrayDeque<JobEvent> roundEvents;
  private long roundEnd;
  private boolean roundFinished;

  /**
   * The read buffer, one per stream thread rather than one per stream: only the stream's single
   * sender reads the log, always on a stream thread, and a thousand idle streams must not hold 64
   * KiB each.
   */
  private static final ThreadLocal<byte[]> BUF = ThreadLocal.withInitial(() -> new byte[CHUNK]);

  JobSocket(GatewayContext ctx, Caller caller, String path, Job job, StreamRegistry.Slot slot) {
    this.ctx = ctx;
    this.slot = slot;
    this.caller = caller;
    this.path = path;
    this.job = job;
    this.streamId = "j" + Long.toHexString(System.nanoTime());
  }

  @Override
  public void onWebSocketOpen(Session session) {
    this.ws = session;
    ctx.metrics.streamOpened();
    ctx.auditStream("stream_open", caller, path, streamId, "job " + job.id());
    slot.open(this);
  }

  @Override
  public void revoke(String reason) {
    endReason = reason;
    cleanup();
    ShellSocket.closeFor(ctx, ws, reason, streamId);
  }

  @Override
  public void onWebSocketText(String text) {
    if (!slot.live()) {
      return;
    }
    JsonObject msg;
    try {
      JsonElement e = Call.strictJson(text);
      msg = e.isJsonObject() ? e.getAsJsonObject() : null;
    } catch (JsonParseException e) {
      error(
          "not valid JSON ("
              + Call.jsonProblem(e)
              + "); send {\"type\":\"hello\",\"logsFrom\":0,\"eventsFrom\":0} to start the stream");
      return;
    }
    if (msg == null
        || !msg.has("type")
        || !msg.get("type").isJsonPrimitive() // getAsString throws on null, {} and most arrays
        || !"hello".equals(msg.get("type").getAsString())) {
      error("send {\"type\":\"hello\",\"logsFrom\":0,\"eventsFrom\":0} to start the stream");
      return;
    }
    long logsFrom;
    long eventsFrom;
    try {
      logsFrom = offset(msg, "logsFrom");
      eventsFrom = offset(msg, "eventsFrom");
    } catch (IllegalArgumentException e) {
      error(e.getMessage());
      return;
    }
    long end = job.logEnd();
    if (logsFrom > end) {
      error("invalid_offset: logsFrom " + logsFrom + " is past the end of the log (" + end + ")");
      return;
    }
    synchronized (flags) {
      if (started) {
        error("the stream has already started; open a new one to start from other offsets");
        return;
      }
      started = true;
      logsSent = logsFrom;
      eventsSent = Math.min(eventsFrom, job.lastEventSeq());
    }
    send(ShellSocket.message("ready", "logsOffset", job.logEnd(), "eventsSeq", job.lastEventSeq()));
    Runnable unsub = job.subscribe(this::pump);
    boolean closedMeanwhile;
    synchronized (flags) {
      closedMeanwhile = closed;
      if (!closed) {
        unsubscribe = unsub;
      }
    }
    if (closedMeanwhile) {
      unsub.run(); // closed (or revoked) while subscribing: cleanup could not see it
      return;
    }
    // The final event is announced a moment before the job counts as finished; a stream that
    // looked in between must look again once it is, or it would never close.
    job.finished().whenComplete((meta, error) -> pump());
    ScheduledFuture<?> beat =
        ctx.timer.scheduleAtFixedRate(
            NodeFailures.guarded("job stream heartbeat", this::heartbeat),
            heartbeatMillis,
            heartbeatMillis,
            TimeUnit.MILLISECONDS);
    synchronized (flags) {
      heartbeat = beat;
      if (closed) {
        beat.cancel(false);
        return;
      }
    }
    pump();
  }

  private static long offset(JsonObject msg, String field) {
    JsonElement e = msg.get(field);
    if (e == null || e.isJsonNull()) {
      return 0;
    }
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
      double d = e.getAsDouble();
      if (d >= 0 && d == Math.rint(d) && d <= 9.0e15) {
        return (long) d;
      }
    }
    throw new IllegalArgumentException(field + " must be a whole number >= 0");
  }

  @Override
  public void onWebSocketClose(int statusCode, String reason) {
    cleanup();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    LOG.debug("job stream {} on {}: {}", streamId, job.id(), cause.toString());
    cleanup();
  }

  private void cleanup() {
    Runnable unsub;
    synchronized (flags) {
      if (closed) {
        return;
      }
      closed = true;
      unsub = unsubscribe;
    }
    if (unsub != null) {
      unsub.run();
    }
    ScheduledFuture<?> beat;
    synchronized (flags) {
      beat = heartbeat;
    }
    if (beat != null) {
      beat.cancel(false);
    }
    ctx.streamClosed(slot, caller, path, streamId, "job " + job.id(), endReason);
  }

  private void heartbeat() {
    long l = logsSent;
    long e = eventsSent;
    send(
        ShellSocket.message(
            "heartbeat", "ts", Instant.now().toString(), "logsOffset", l, "eventsSeq", e));
  }

  /** Something changed (or a send finished): send what is missing, one message at a time. */
  private void pump() {
    synchronized (flags) {
      if (!started || closed) {
        return;
      }
      if (sending) {
        dirty = true;
        return;
      }
      sending = true;
      dirty = false;
    }
    ctx.onStreamThread(this::sendNext);
  }

  private void sendNext() {
    String frame;
    boolean done = false;
    try {
      // only this sender touches the cursor, so the log is read without holding any lock
      frame = nextFrame();
      while (frame == null) {
        synchronized (flags) {
          if (!dirty) {
            sending = false;
            break;
          }
          dirty = false;
        }
        frame = nextFrame();
      }
      if (frame == null) {
        done =
            roundFinished
                && job.isFinished()
                && logsSent >= job.logEnd()
                && eventsSent >= job.lastEventSeq();
      }
    } catch (IOException e) {
      LOG.warn("job stream {}: reading {}: {}", streamId, job.id(), e.toString());
      error("cannot read the job's log: " + e.getMessage());
      ws.close(StatusCode.SERVER_ERROR, "log unreadable", Callback.NOOP);
      return;
    }
    Session s = ws;
    if (frame == null) {
      if (done && s.isOpen()) {
        s.close(StatusCode.NORMAL, "job finished", Callback.NOOP);
      }
      return;
    }
    ctx.metrics.streamBytesSent.addAndGet(frame.length());
    s.sendText(frame, ShellSocket.sent(s, () -> ctx.onStreamThread(this::sendNext), streamId));
  }

  /** The next message to send, or null when the client has everything there is. */
  private String nextFrame() throws IOException {
    byte[] buf = BUF.get();
    for (int pass = 0; pass < 2; pass++) {
      if (roundEvents == null) {
        // Events first, then the log end: every event taken now has its bytes before roundEnd.
        roundFinished = job.isFinished();
        roundEvents = new ArrayDeque<>(job.eventsAfter(eventsSent));
        roundEnd = job.logEnd();
      }
      if (logsSent < roundEnd) {
        int want = (int) Math.min(CHUNK, roundEnd - logsSent);
        int n = job.readLog(logsSent, buf, 0, want);
        if (n > 0) {
          int complete = Utf8.completeLength(buf, 0, n);
          boolean atEnd = logsSent + n >= roundEnd;
          if (complete < n && (!atEnd || roundFinished) && complete == 0) {
            complete = n; // not UTF-8 at all: send it as it is
          } else if (complete < n && atEnd && roundFinished) {
            complete = n; // the job is over: nothing will come to complete the character
          }
          if (complete > 0) {
            logsSent += complete;
            String data = new String(buf, 0, complete, StandardCharsets.UTF_8);
            return Json.GSON.toJson(
                ShellSocket.message("log", "stream", "combined", "offset", logsSent, "data", data));
          }
        }
      }
      if (!roundEvents.isEmpty()) {
        JobEvent e = roundEvents.poll();
        eventsSent = e.seq();
        return Json.GSON.toJson(ShellSocket.message("event", "seq", e.seq(), "event", e));
      }
      boolean more = job.lastEventSeq() > eventsSent || job.logEnd() > roundEnd;
      boolean finishing = !roundFinished && job.isFinished();
      roundEvents = null;
      if (!more && !finishing) {
        return null;
      }
    }
    return null;
  }

  private void error(String message) {
    send(ShellSocket.message("error", "message", message));
  }

  private void send(Object msg) {
    Session s = ws;
    if (s != null && s.isOpen()) {
      s.sendText(Json.GSON.toJson(msg), ShellSocket.sent(s, () -> {}, streamId));
    }
  }
}
