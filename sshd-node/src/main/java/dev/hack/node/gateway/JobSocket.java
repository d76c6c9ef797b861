package dev.hack.node.gateway;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import dev.hack.node.NodeFailures;
import dev.hack.node.api.Json;
import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobEvent;
import dev.hack.node.supervisor.Follower;
import dev.hack.node.supervisor.Marks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
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
 * <p>A {@link Follower} over the job's log sends the stream, with the events as {@link Marks}
 * between the bytes: one message is in flight at a time, a slow client only slows its own stream,
 * and the job's threads never wait for it. (Public: Jetty instantiates endpoints reflectively.)
 */
public final class JobSocket implements Session.Listener.AutoDemanding, StreamRegistry.Stream {
  private static final Logger LOG = LoggerFactory.getLogger(JobSocket.class);
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

  /** Guards the four fields below, and nothing slow. */
  private final Object lock = new Object();

  private boolean started;
  private boolean closed;
  private Runnable stop; // ends the follower and its pokes
  private ScheduledFuture<?> heartbeat;

  /**
   * Where the stream is, for heartbeats: the offset after the last log message, the seq of the last
   * event message. Written by the follower's pumping thread (or hello, before it starts).
   */
  private volatile long logsSent;

  private volatile long eventsSent;

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
    synchronized (lock) {
      if (started) {
        error("the stream has already started; open a new one to start from other offsets");
        return;
      }
      started = true;
      logsSent = logsFrom;
      eventsSent = Math.min(eventsFrom, job.lastEventSeq());
    }
    send(ShellSocket.message("ready", "logsOffset", job.logEnd(), "eventsSeq", job.lastEventSeq()));
    Follower follower =
        Follower.over(Utf8.whole(job.log()), this::sendLog)
            .from(logsFrom)
            .pumpOn(ctx::onStreamThread)
            .marks(new Events(eventsSent))
            .onReadError(this::unreadable)
            .build();
    Runnable following = job.follow(follower, this::jobFinished);
    boolean closedMeanwhile;
    synchronized (lock) {
      closedMeanwhile = closed;
      if (!closed) {
        stop = following;
      }
    }
    if (closedMeanwhile) {
      following.run(); // closed (or revoked) while starting: cleanup could not see it
      return;
    }
    ScheduledFuture<?> beat =
        ctx.timer.scheduleAtFixedRate(
            NodeFailures.guarded("job stream heartbeat", this::heartbeat),
            heartbeatMillis,
            heartbeatMillis,
            TimeUnit.MILLISECONDS);
    synchronized (lock) {
      heartbeat = beat;
      if (closed) {
        beat.cancel(false);
      }
    }
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
    Runnable following;
    ScheduledFuture<?> beat;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      following = stop;
      beat = heartbeat;
    }
    if (following != null) {
      following.run();
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

  /** The follower's sink: whole characters of the log, as one {@code log} message. */
  private void sendLog(byte[] data, int off, int len, Runnable onSent) {
    long offset = logsSent + len;
    logsSent = offset;
    String text = new String(data, off, len, StandardCharsets.UTF_8);
    sendFrame(
        Json.GSON.toJson(
            ShellSocket.message("log", "stream", "combined", "offset", offset, "data", text)),
        onSent);
  }

  private void sendFrame(String frame, Runnable onSent) {
    ctx.metrics.streamBytesSent.addAndGet(frame.length());
    Session s = ws;
    s.sendText(frame, ShellSocket.sent(s, onSent, streamId));
  }

  /** The job has finished and the client has every byte and event: the stream ends normally. */
  private void jobFinished() {
    Session s = ws;
    if (s.isOpen()) {
      s.close(StatusCode.NORMAL, "job finished", Callback.NOOP);
    }
  }

  private void unreadable(IOException e) {
    LOG.warn("job stream {}: reading {}: {}", streamId, job.id(), e.toString());
    error("cannot read the job's log: " + e.getMessage());
    ws.close(StatusCode.SERVER_ERROR, "log unreadable", Callback.NOOP);
  }

  /**
   * The job's events, between the log's bytes: the events seen at one look go out once the log has
   * been sent up to its end as of that look, so every event comes after the bytes written before
   * it, and {@code job.completed} after the last byte. Used by the follower's pumping thread only.
   */
  private final class Events implements Marks {
    private final ArrayDeque<JobEvent> due = new ArrayDeque<>();
    private long at;
    private long seen;

    Events(long after) {
      this.seen = after;
    }

    @Override
    public long next() {
      if (due.isEmpty()) {
        List<JobEvent> fresh = job.eventsAfter(seen);
        if (fresh.isEmpty()) {
          return -1;
        }
        // the events first, then the log's end: every event taken has its bytes before it
        at = job.logEnd();
        due.addAll(fresh);
        seen = fresh.get(fresh.size() - 1).seq();
      }
      return at;
    }

    @Override
    public void send(Runnable onSent) {
      JobEvent e = due.poll();
      eventsSent = e.seq();
      sendFrame(Json.GSON.toJson(ShellSocket.message("event", "seq", e.seq(), "event", e)), onSent);
    }
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
