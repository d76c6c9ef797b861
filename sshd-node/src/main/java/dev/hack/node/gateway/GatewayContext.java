package dev.hack.node.gateway;

import com.google.gson.JsonElement;
import dev.hack.keys.AuditLog;
import dev.hack.keys.HackHome;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.service.NodeContext;
import dev.hack.node.supervisor.Supervisor;
import java.io.IOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway serves and the files it consults. Settings ({@code allowWrites}, allowed
 * origins) and the project list are read from disk on each request, so {@code hack config set} and
 * {@code hack gateway enable} take effect without restarting the node.
 */
final class GatewayContext {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayContext.class);

  final HackHome home;
  final Supervisor supervisor;
  final JobManager jobs;
  final Supplier<NodeStatus> status;
  final Instant startedAt;
  final TokenStore tokens;
  final AuditLog auditLog;
  final ProjectRegistry projects;
  final dev.hack.node.service.Sessions sessions;
  final ConfigFile config;
  final GatewayMetrics metrics = new GatewayMetrics();

  /** Connections per remote, and the header and body deadlines (see the class). */
  final ConnectionGuard connections = new ConnectionGuard(Gateway.MAX_CONNECTIONS_PER_REMOTE);

  /** Open streams by token; ends them when their token or allowWrites goes (see the class). */
  final StreamRegistry openStreams;

  final int maxBodyBytes;
  final int maxFrameBytes;

  /** Timers: hello waits, pings, heartbeats. Tasks must not block. */
  final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(daemon("gateway-timer"));

  /** Where stream pumps read logs and hand frames to Jetty. */
  final ExecutorService streams = streamPool();

  private static ExecutorService streamPool() {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            8, 8, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemon("gateway-stream"));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  GatewayContext(NodeContext node, int maxBodyBytes, int maxFrameBytes) {
    HackHome home = node.home();
    this.home = home;
    this.supervisor = node.supervisor();
    this.jobs = node.jobs();
    this.status = node.statusNow();
    this.startedAt = node.startedAt();
    this.tokens = TokenStore.open(home);
    this.auditLog = AuditLog.open(home);
    this.projects = ProjectRegistry.open(home);
    this.sessions = node.sessions();
    this.config = new ConfigFile(home.config());
    this.openStreams =
        new StreamRegistry(
            tokens,
            this::allowWrites,
            project -> projects.find(project).map(p -> p.gatewayEnabled()).orElse(false),
            Gateway.MAX_STREAMS_PER_TOKEN,
            Gateway.MAX_STREAMS);
    this.maxBodyBytes = maxBodyBytes;
    this.maxFrameBytes = maxFrameBytes;
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Runs stream work on a gateway thread. Callers include session and job reader threads, which
   * must never see an exception from here: work offered after shutdown is dropped (the streams are
   * being closed anyway).
   */
  void onStreamThread(Runnable task) {
    try {
      streams.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("stream work after shutdown dropped");
    }
  }

  void close() {
    timer.shutdownNow();
    streams.shutdownNow();
  }

  boolean allowWrites() throws IOException {
    return config.getBoolean("controlPlane.gateway.allowWrites", false);
  }

  Set<String> allowedOrigins() throws IOException {
    Set<String> out = new HashSet<>();
    JsonElement e = config.get("controlPlane.gateway.allowedOrigins").orElse(null);
    if (e != null && e.isJsonArray()) {
      for (JsonElement x : e.getAsJsonArray()) {
        out.add(x.getAsString());
      }
    } else if (e != null && e.isJsonPrimitive()) {
      out.add(e.getAsString());
    }
    return out;
  }

  /**
   * One audit line; a failure to write it is logged, never turned into a failed request. The log
   * bounds itself ({@link AuditLog}): a line with a status of 400 or more is rate-limited per
   * remote and per token, and long paths are shortened.
   */
  void audit(
      String event,
      Caller caller,
      String remote,
      String method,
      String path,
      Integer status,
      String error) {
    try {
      auditLog
          .entry("gateway", event)
          .with("token_id", caller == null ? null : caller.tokenId())
          .with("remote", remote)
          .with("method", method)
          .with("path", path)
          .with("status", status)
          .with("error", error)
          .write();
    } catch (IOException e) {
      LOG.warn("cannot write the audit log {}: {}", auditLog.file(), e.toString());
    }
  }

  /**
   * A stream has closed: gives its slot back, counts it, and audits the close with what it was
   * ({@code shell sh-1}) and why the gateway ended it, if it did.
   */
  void streamClosed(
      StreamRegistry.Slot slot,
      Caller caller,
      String path,
      String streamId,
      String what,
      String why) {
    slot.release();
    metrics.streamClosed();
    auditStream("stream_close", caller, path, streamId, what + (why == null ? "" : ": " + why));
  }

  /**
   * A WebSocket stream's open or close line. Its method and status are those of the request that
   * opened it (GET, 101 Switching Protocols), so every line of the log has the same fields.
   */
  void auditStream(String event, Caller caller, String path, String streamId, String detail) {
    try {
      auditLog
          .entry("gateway", event)
          .with("token_id", caller.tokenId())
          .with("remote", caller.remote())
          .with("method", "GET")
          .with("path", path)
          .with("status", 101)
          .with("stream_id", streamId)
          .with("detail", detail)
          .write();
    } catch (IOException e) {
      LOG.warn("cannot write the audit log {}: {}", auditLog.file(), e.toString());
    }
  }
}
