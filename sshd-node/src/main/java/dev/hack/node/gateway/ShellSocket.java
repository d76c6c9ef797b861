package dev.hack.node.gateway;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.hack.node.NodeFailures;
import dev.hack.node.api.Json;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.supervisor.Attachment;
import dev.hack.node.supervisor.PtySession;
import dev.hack.node.supervisor.Signals;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seed 001's shell stream over one supervisor session: {@code hello}, {@code input}, {@code
 * resize}, {@code signal}, {@code close} and raw (non-JSON) frames in; {@code ready}, {@code
 * output}, {@code exit} out. It is an attachment like an SSH client's: the first output paints the
 * current screen, every client sees the same output, the last to resize sets the size, and a client
 * that goes away only detaches. (Public: Jetty instantiates endpoints reflectively.)
 */
public final class ShellSocket implements Session.Listener.AutoDemanding, StreamRegistry.Stream {
  private static final Logger LOG = LoggerFactory.getLogger(ShellSocket.class);
  private static final Set<String> SIGNALS =
      Set.of("SIGINT", "SIGTERM", "SIGKILL", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGTSTP");
  private static final long HELLO_WAIT_MS = 500;

  private final GatewayContext ctx;
  private final Caller caller;
  private final String path;
  private final dev.hack.node.supervisor.Session target;
  private final Function<SessionInfo, Map<String, Object>> describe;
  private final String streamId;
  private final Utf8.Decoder decoder = new Utf8.Decoder();
  private final StreamRegistry.Slot slot;

  private volatile Session ws;
  private volatile Attachment attachment;
  private boolean attaching; // guarded by this
  private ScheduledFuture<?> helloTimer;
  private ScheduledFuture<?> pinger;

  ShellSocket(
      GatewayContext ctx,
      Caller caller,
      String path,
      dev.hack.node.supervisor.Session target,
      Function<SessionInfo, Map<String, Object>> describe,
      StreamRegistry.Slot slot) {
    this.ctx = ctx;
    this.slot = slot;
    this.caller = caller;
    this.path = path;
    this.target = target;
    this.describe = describe;
    this.streamId = "s" + Long.toHexString(System.nanoTime());
  }

  @Override
  public void onWebSocketOpen(Session session) {
    this.ws = session;
    ctx.metrics.streamOpened();
    ctx.auditStream("stream_open", caller, path, streamId, "shell " + target.id());
    slot.open(this);
    if (!slot.live()) {
      return; // its token went while it was being opened: revoke has closed it
    }
    if (!target.isRunning()) {
      sendReady(null);
      SessionInfo info = target.info();
      sendThen(
          message(
              "exit", "exitCode", info.exitCode(), "signal", Signals.nameOfExit(info.exitCode())),
          this::closeNormally);
      return;
    }
    // Wait briefly for hello's size, so the first screen is painted at the client's size.
    helloTimer = ctx.timer.schedule(() -> attach(null), HELLO_WAIT_MS, TimeUnit.MILLISECONDS);
    pinger =
        ctx.timer.scheduleAtFixedRate(
            NodeFailures.guarded(
                "shell stream ping",
                () -> {
                  Session s = ws;
                  if (s != null && s.isOpen()) {
                    s.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
                  }
                }),
            20,
            20,
            TimeUnit.SECONDS);
  }

  @Override
  public void onWebSocketText(String text) {
    if (!accepting()) {
      return;
    }
    JsonObject msg;
    try {
      msg = parse(text);
    } catch (JsonParseException e) {
      error("not valid JSON, so not typed either: " + Call.jsonProblem(e));
      return;
    }
    if (msg == null) {
      input(text.getBytes(StandardCharsets.UTF_8));
      return;
    }
    String type = msg.get("type").getAsString();
    try {
      switch (type) {
        case "hello" -> {
          PtySize size = size(msg, false);
          if (!attach(size) && size != null) {
            resize(size);
          }
        }
        case "input" -> {
          JsonElement d = msg.get("data");
          if (d == null || !d.isJsonPrimitive()) {
            error("input needs a data string");
            return;
          }
          input(d.getAsString().getBytes(StandardCharsets.UTF_8));
        }
        case "resize" -> {
          PtySize size = size(msg, true);
          attach(size);
          resize(size);
        }
        case "signal" -> signal(msg);
        case "close" -> ctx.timer.execute(this::stopSession);
        default ->
            error("unknown message type '" + type + "': use hello, input, resize, signal or close");
      }
    } catch (IllegalArgumentException | GatewayError e) {
      // GatewayError: Call.integer's answer to a cols or rows out of range
      error(e.getMessage());
    }
  }

  @Override
  public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback cb) {
    if (accepting()) {
      byte[] b = new byte[payload.remaining()];
      payload.get(b);
      input(b);
    }
    cb.succeed();
  }

  @Override
  public void onWebSocketClose(int statusCode, String reason) {
    cleanup();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    LOG.debug("shell stream {} on {}: {}", streamId, target.id(), cause.toString());
    cleanup();
  }

  private synchronized void cleanupTimers() {
    if (helloTimer != null) {
      helloTimer.cancel(false);
    }
    if (pinger != null) {
      pinger.cancel(false);
    }
  }

  private boolean cleaned;

  /** Why the stream was ended by the gateway (its token or allowWrites), or null. */
  private volatile String endReason;

  /** Whether frames from the client may still reach the session. */
  private boolean accepting() {
    return slot.live() && !cleanedUp();
  }

  @Override
  public void revoke(String reason) {
    endReason = reason;
    // Detach first: from here on nothing the client sends reaches the session, whatever the
    // close handshake does.
    cleanup();
    closeFor(ctx, ws, reason, streamId);
  }

  /**
   * Closes {@code s} with 1008 and {@code reason}; a client that does not answer the close (dead,
   * or not reading) is disconnected after {@link Gateway#REVOKED_CLOSE_GRACE}.
   */
  static void closeFor(GatewayContext ctx, Session s, String reason, String streamId) {
    if (s == null || !s.isOpen()) {
      return;
    }
    LOG.info("stream {} ended: {}", streamId, reason);
    s.close(StatusCode.POLICY_VIOLATION, reason, Callback.NOOP);
    try {
      ctx.timer.schedule(
          () -> {
            if (s.isOpen()) {
              s.disconnect();
            }
          },
          Gateway.REVOKED_CLOSE_GRACE.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("the gateway is stopping; it closes {} itself", streamId);
    }
  }

  private void cleanup() {
    synchronized (this) {
      if (cleaned) {
        return;
      }
      cleaned = true;
    }
    cleanupTimers();
    Attachment a = attachment;
    if (a != null) {
      a.detach();
    }
    ctx.streamClosed(slot, caller, path, streamId, "shell " + target.id(), endReason);
  }

  /** Attaches once (at {@code size}, or the session's own); false if already attached. */
  private boolean attach(PtySize size) {
    synchronized (this) {
      if (attaching || cleaned) {
        return false;
      }
      attaching = true;
    }
    if (helloTimer != null) {
      helloTimer.cancel(false);
    }
    SessionInfo info = target.info();
    PtySize at = size != null ? size : PtySize.orDefault(info.cols(), info.rows());
    try {
      // ready first, at the size we attach with: the attach sends the screen straight away
      sendReady(at);
      Attachment a = target.attach(this::sendOutput, at, false, this::ended);
      attachment = a;
      if (cleanedUp()) {
        a.detach();
      }
    } catch (IllegalStateException e) {
      sendThen(
          message(
              "exit",
              "exitCode",
              target.info().exitCode(),
              "signal",
              Signals.nameOfExit(target.info().exitCode())),
          this::closeNormally);
    } catch (Exception e) {
      LOG.warn("attaching a shell stream to {}: {}", target.id(), e.toString());
      error("cannot attach to " + target.id() + ": " + e.getMessage());
      ws.close(StatusCode.SERVER_ERROR, "attach failed", Callback.NOOP);
    }
    return true;
  }

  private synchronized boolean cleanedUp() {
    return cleaned;
  }

  private void sendReady(PtySize size) {
    Map<String, Object> ready = new LinkedHashMap<>();
    ready.put("type", "ready");
    ready.putAll(describe.apply(target.info()));
    if (size != null) {
      ready.put("cols", size.columns());
      ready.put("rows", size.rows());
    }
    send(Json.GSON.toJson(ready));
  }

  /**
   * The session's sink. It runs on the session's PTY reader thread, so it only copies the bytes and
   * hands decoding, JSON and the WebSocket write to a gateway thread; the reader goes straight back
   * to the PTY. One send is in flight per client (the follower's rule), so order is kept.
   */
  private void sendOutput(byte[] data, int off, int len, Runnable onSent) {
    byte[] copy = java.util.Arrays.copyOfRange(data, off, off + len);
    ctx.onStreamThread(() -> encodeAndSend(copy, onSent));
  }

  private void encodeAndSend(byte[] data, Runnable onSent) {
    String text = decoder.decode(data, 0, data.length);
    if (text.isEmpty()) {
      onSent.run();
      return;
    }
    Session s = ws;
    ctx.metrics.streamBytesSent.addAndGet(data.length);
    s.sendText(Json.GSON.toJson(message("output", "data", text)), sent(s, onSent, streamId));
  }

  /**
   * A send's callback: {@code ok} once sent. A failed send closes the stream: the client is gone,
   * or it has {@link Gateway#MAX_QUEUED_FRAMES} frames unread (it sends without reading), and a
   * stream whose frames are dropped would only stall.
   */
  static Callback sent(Session s, Runnable ok, String streamId) {
    return Callback.from(
        ok,
        failure -> {
          LOG.debug("stream {}: a send failed: {}", streamId, failure.toString());
          if (s.isOpen()) {
            if (failure instanceof java.nio.channels.WritePendingException) {
              s.close(StatusCode.POLICY_VIOLATION, "too many unread messages", Callback.NOOP);
            } else {
              s.disconnect();
            }
          }
        });
  }

  private void ended(Attachment.End end) {
    sendThen(
        message("exit", "exitCode", end.exitCode(), "signal", Signals.nameOfExit(end.exitCode())),
        this::closeNormally);
  }

  private void closeNormally() {
    Session s = ws;
    if (s != null && s.isOpen()) {
      s.close(StatusCode.NORMAL, "the shell exited", Callback.NOOP);
    }
  }

  private void input(byte[] bytes) {
    if (attachment == null) {
      attach(null);
    }
    Attachment a = attachment;
    if (a != null) {
      a.input(bytes, 0, bytes.length);
    }
  }

  private void resize(PtySize size) {
    Attachment a = attachment;
    if (a != null) {
      a.resize(size);
    }
  }

  private void signal(JsonObject msg) {
    JsonElement s = msg.get("signal");
    String name = s == null || !s.isJsonPrimitive() ? "" : s.getAsString();
    if (!name.startsWith("SIG")) {
      name = "SIG" + name;
    }
    if (!SIGNALS.contains(name)) {
      String given = s == null || !s.isJsonPrimitive() ? "" : s.getAsString(); // {} would throw
      error("unknown signal '" + given + "': use one of " + SIGNALS);
      return;
    }
    if (target instanceof PtySession p) {
      p.signal(name);
    } else {
      error("signals go to PTY sessions only; " + target.id() + " is a tmux session");
    }
  }

  private void stopSession() {
    try {
      target.stop(Duration.ofSeconds(3));
    } catch (Exception e) {
      error("cannot close " + target.id() + ": " + e.getMessage());
    }
  }

  private static PtySize size(JsonObject msg, boolean required) {
    Integer cols = Call.integer(msg, "cols", 1, PtySize.MAX_COLUMNS);
    Integer rows = Call.integer(msg, "rows", 1, PtySize.MAX_ROWS);
    if (cols == null || rows == null) {
      if (required) {
        throw new IllegalArgumentException("resize needs cols and rows");
      }
      return null;
    }
    return new PtySize(cols, rows);
  }

  /**
   * The message as JSON with a string type, or null when the frame is raw input.
   *
   * @throws JsonParseException for a frame that is a message only to a lenient parser (a raw
   *     control character in a string, a trailing comma): a client's mistake, to be named rather
   *     than acted on or typed into the terminal as text
   */
  private static JsonObject parse(String text) {
    String t = text.stripLeading();
    if (!t.startsWith("{")) {
      return null;
    }
    try {
      JsonElement e = Call.strictJson(text);
      return isMessage(e) ? e.getAsJsonObject() : null;
    } catch (JsonParseException strict) {
      boolean meantAsMessage;
      try {
        meantAsMessage = isMessage(JsonParser.parseString(text));
      } catch (JsonParseException | IllegalStateException ignored) {
        meantAsMessage = false; // typed text that happens to start with a brace
      }
      if (meantAsMessage) {
        throw strict;
      }
      return null;
    }
  }

  private static boolean isMessage(JsonElement e) {
    return e.isJsonObject()
        && e.getAsJsonObject().has("type")
        && e.getAsJsonObject().get("type").isJsonPrimitive();
  }

  private void error(String message) {
    send(Json.GSON.toJson(message("error", "message", message)));
  }

  private void send(String json) {
    Session s = ws;
    if (s != null && s.isOpen()) {
      s.sendText(json, sent(s, () -> {}, streamId));
    }
  }

  private void sendThen(Object msg, Runnable then) {
    Session s = ws;
    if (s != null && s.isOpen()) {
      s.sendText(Json.GSON.toJson(msg), Callback.from(then, x -> then.run()));
    }
  }

  static Map<String, Object> message(String type, Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
