package dev.hack.node.gateway;

import com.google.gson.JsonObject;
import dev.hack.keys.TokenStore;
import dev.hack.node.Version;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.gateway.ApiHandler.Need;
import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobMeta;
import dev.hack.node.jobs.JobSpec;
import dev.hack.node.jobs.JobStatus;
import dev.hack.node.project.ProjectRegistry.Project;
import dev.hack.node.service.Jobs;
import dev.hack.node.service.Sessions;
import dev.hack.node.service.Workdirs;
import dev.hack.node.supervisor.Session;
import dev.hack.node.supervisor.Signals;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/** The gateway's endpoints: seed 001's, RFC 0001's sessions, metrics and token management. */
final class Endpoints {
  private final GatewayContext ctx;
  private final ServerWebSocketContainer websockets;

  Endpoints(GatewayContext ctx, ServerWebSocketContainer websockets) {
    this.ctx = ctx;
    this.websockets = websockets;
  }

  void register(ApiHandler api) {
    api.route("GET", "/v1/status", Need.READ, this::status);
    api.route("GET", "/v1/metrics", Need.READ, this::metrics);
    api.route("GET", "/metrics", Need.READ, this::prometheus);
    api.route("GET", "/v1/node/status", Need.READ, c -> ctx.status.get());
    api.route("GET", "/v1/projects", Need.READ, this::projects);
    api.route("GET", "/v1/ps", Need.READ, c -> new ComposePs().ps(c));

    api.route("GET", "/v1/sessions", Need.READ, this::listSessions);
    api.route("POST", "/v1/sessions", Need.WRITE, this::createSession);
    api.route(
        "GET",
        "/v1/sessions/:id",
        Need.READ,
        c -> Map.of("session", session(c).info().withNode(ctx.status.get().name())));
    api.route("POST", "/v1/sessions/:id/stop", Need.WRITE, this::stopSession);
    api.route("GET", "/v1/sessions/:id/logs", Need.READ, this::sessionLogs);
    api.route("GET", "/v1/sessions/:id/stream", Need.STREAM_WRITE, this::sessionStream);

    String p = "/control-plane/projects/:projectId";
    api.route("GET", p + "/jobs", Need.READ, this::listJobs);
    api.route("POST", p + "/jobs", Need.WRITE, this::createJob);
    api.route("GET", p + "/jobs/:jobId", Need.READ, c -> Map.of("job", job(c).meta()));
    api.route("POST", p + "/jobs/:jobId/cancel", Need.WRITE, this::cancelJob);
    api.route("GET", p + "/jobs/:jobId/stream", Need.STREAM_READ, this::jobStream);
    api.route("POST", p + "/shells", Need.WRITE, this::createShell);
    api.route("GET", p + "/shells/:shellId", Need.READ, this::getShell);
    api.route("GET", p + "/shells/:shellId/stream", Need.STREAM_WRITE, this::shellStream);

    api.route("GET", "/v1/tokens", Need.ADMIN_READ, this::listTokens);
    api.route("POST", "/v1/tokens", Need.ADMIN_WRITE, this::createToken);
    api.route("POST", "/v1/tokens/:tokenId/revoke", Need.ADMIN_WRITE, this::revokeToken);
  }

  // --- status and metrics -----------------------------------------------------------------

  private Object status(Call c) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "ok");
    body.put("version", Version.get());
    body.put("pid", ProcessHandle.current().pid());
    body.put("started_at", ctx.startedAt.toString());
    body.put("uptime_ms", Duration.between(ctx.startedAt, Instant.now()).toMillis());
    return body;
  }

  private Object metrics(Call c) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "ok");
    body.put("started_at", ctx.startedAt.toString());
    body.put("uptime_ms", Duration.between(ctx.startedAt, Instant.now()).toMillis());
    // seed 001's cache fields describe a Docker state cache this node does not keep
    body.put("cache_updated_at", null);
    body.put("cache_age_ms", null);
    body.put("last_refresh_at", null);
    body.put("refresh_count", 0);
    body.put("refresh_failures", 0);
    body.put("last_event_at", null);
    body.put("events_seen", 0);
    body.put("streams_active", ctx.metrics.streamsActive.get());
    body.put("streams_opened", ctx.metrics.streamsOpened.get());
    body.put("requests", ctx.metrics.requests.get());
    return body;
  }

  private Object prometheus(Call c) {
    StringBuilder sb = new StringBuilder();
    metric(sb, "hack_uptime_seconds", "gauge", "Seconds since the node started.");
    sb.append("hack_uptime_seconds ")
        .append(Duration.between(ctx.startedAt, Instant.now()).toSeconds())
        .append('\n');
    metric(sb, "hack_gateway_requests_total", "counter", "API requests received.");
    sb.append("hack_gateway_requests_total ").append(ctx.metrics.requests.get()).append('\n');
    metric(sb, "hack_gateway_errors_total", "counter", "API requests answered with an error.");
    ctx.metrics.errors.forEach(
        (code, n) ->
            sb.append("hack_gateway_errors_total{code=\"")
                .append(code)
                .append("\"} ")
                .append(n.get())
                .append('\n'));
    metric(sb, "hack_gateway_streams_active", "gauge", "Open WebSocket streams.");
    sb.append("hack_gateway_streams_active ").append(ctx.metrics.streamsActive.get()).append('\n');
    metric(sb, "hack_gateway_streams_opened_total", "counter", "WebSocket streams opened.");
    sb.append("hack_gateway_streams_opened_total ")
        .append(ctx.metrics.streamsOpened.get())
        .append('\n');
    metric(sb, "hack_gateway_stream_bytes_total", "counter", "Bytes sent on streams.");
    sb.append("hack_gateway_stream_bytes_total ")
        .append(ctx.metrics.streamBytesSent.get())
        .append('\n');
    Map<String, Integer> sessions = new java.util.TreeMap<>();
    for (SessionInfo s : ctx.supervisor.list()) {
      sessions.merge(s.status(), 1, Integer::sum);
    }
    metric(sb, "hack_sessions", "gauge", "Sessions on this node by status.");
    sessions.forEach(
        (st, n) ->
            sb.append("hack_sessions{status=\"").append(st).append("\"} ").append(n).append('\n'));
    Map<String, Integer> jobs = new java.util.TreeMap<>();
    for (Job j : ctx.jobs.list(null)) {
      jobs.merge(j.meta().status().wire(), 1, Integer::sum);
    }
    metric(sb, "hack_jobs", "gauge", "Jobs on this node by status.");
    jobs.forEach(
        (st, n) ->
            sb.append("hack_jobs{status=\"").append(st).append("\"} ").append(n).append('\n'));
    c.response.setStatus(200);
    c.response
        .getHeaders()
        .put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    Content.Sink.write(c.response, true, sb.toString(), c.callback);
    return null;
  }

  private static void metric(StringBuilder sb, String name, String type, String help) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  // --- projects ---------------------------------------------------------------------------

  private Object projects(Call c) throws IOException {
    String filter = c.query("filter");
    boolean includeGlobal = c.queryFlag("include_global");
    List<Map<String, Object>> views = new ArrayList<>();
    List<SessionInfo> sessions = ctx.supervisor.list();
    for (Project p : ctx.projects.list()) {
      if (!p.gatewayEnabled()) {
        continue;
      }
      if (filter != null
          && !filter.isEmpty()
          && !p.name().toLowerCase(Locale.ROOT).contains(filter.toLowerCase(Locale.ROOT))) {
        continue;
      }
      views.add(projectView(p, sessions));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("generated_at", Instant.now().toString());
    body.put("filter", filter == null || filter.isEmpty() ? null : filter);
    body.put("include_global", includeGlobal);
    body.put("include_unregistered", false);
    body.put("projects", views);
    return body;
  }

  private static Map<String, Object> projectView(Project p, List<SessionInfo> sessions) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("project_id", p.id());
    v.put("name", p.name());
    v.put("dev_host", null);
    v.put("repo_root", p.root().toString());
    v.put("project_dir", p.root().resolve(".hack").toString());
    v.put("defined_services", null);
    v.put("runtime", null);
    v.put("branch_runtime", List.of());
    v.put("kind", "registered");
    String status;
    if (!Files.isDirectory(p.root())) {
      status = "missing";
    } else {
      boolean running =
          sessions.stream().anyMatch(s -> p.name().equals(s.project()) && s.isRunning());
      status = running ? "running" : "stopped";
    }
    v.put("status", status);
    List<String> ids = new ArrayList<>();
    for (SessionInfo s : sessions) {
      if (p.name().equals(s.project())) {
        ids.add(s.id());
      }
    }
    v.put("sessions", ids);
    return v;
  }

  /** The gateway-enabled project a /control-plane path names. */
  private Project project(Call c) throws IOException {
    String id = c.param("projectId");
    return enabledProject(
        ctx.projects
            .find(id)
            .orElseThrow(
                () ->
                    GatewayError.notFound(
                        "no project " + id + "; list them with GET /v1/projects")));
  }

  /** {@code p} if the gateway may act in it, else 403 project_disabled. */
  private static Project enabledProject(Project p) {
    if (!p.gatewayEnabled()) {
      throw new GatewayError(
          403,
          "project_disabled",
          "project "
              + p.name()
              + " is not enabled for the gateway; enable it with: hack gateway enable --project "
              + p.name());
    }
    return p;
  }

  /** {@code cwd} inside project {@code p}, by the one policy of every door ({@link Workdirs}). */
  static Path resolveCwd(Project p, String cwd) {
    return Workdirs.inProject(p.root(), cwd);
  }

  // --- jobs -------------------------------------------------------------------------------

  private Object listJobs(Call c) throws IOException {
    Project p = project(c);
    List<JobMeta> out = new ArrayList<>();
    for (Job j : ctx.jobs.list(p.id())) {
      out.add(j.meta());
    }
    return Map.of("jobs", out);
  }

  private Object createJob(Call c) throws IOException {
    Project p = project(c);
    JsonObject body = c.body();
    List<String> command = Call.stringList(body, "command", true);
    if (command.isEmpty() || command.get(0).isEmpty()) {
      throw GatewayError.badRequest("invalid_request", "'command' must name a program to run");
    }
    String runner = Call.string(body, "runner", false);
    Path cwd = resolveCwd(p, Call.string(body, "cwd", false));
    Map<String, String> env = Call.stringMap(body, "env");
    Job job =
        ctx.jobs.create(
            new JobSpec(p.id(), p.name(), runner == null ? "generic" : runner, command, cwd, env));
    return Map.of("job", job.meta());
  }

  private Job job(Call c) throws IOException {
    Project p = project(c);
    String id = c.param("jobId");
    return ctx.jobs
        .get(id)
        .filter(j -> p.id().equals(j.meta().projectId()))
        .orElseThrow(() -> GatewayError.notFound("no job " + id + " in project " + p.name()));
  }

  private Object cancelJob(Call c) throws IOException {
    Job j = job(c);
    try {
      Jobs.cancel(j);
    } catch (Jobs.AlreadyFinished e) {
      throw new GatewayError(409, "job_finished", e.getMessage());
    }
    return Map.of("status", JobStatus.CANCELLED);
  }

  private Object jobStream(Call c) throws IOException {
    Job j = job(c);
    String path = pathOf(c);
    upgrade(c, false, slot -> new JobSocket(ctx, c.caller, path, j, slot));
    return null;
  }

  // --- shells and sessions ----------------------------------------------------------------

  private Object createShell(Call c) throws IOException {
    Project p = project(c);
    JsonObject body = c.body();
    Integer cols = Call.integer(body, "cols", 1, PtySize.MAX_COLUMNS);
    Integer rows = Call.integer(body, "rows", 1, PtySize.MAX_ROWS);
    String shell = Call.string(body, "shell", false);
    List<String> command = List.of();
    if (shell != null) {
      Path sh = Path.of(shell);
      if (!sh.isAbsolute() || !Files.isRegularFile(sh) || !Files.isExecutable(sh)) {
        throw GatewayError.badRequest(
            "invalid_request", "shell must be the absolute path of a program: " + shell);
      }
      command = List.of(shell, "-l");
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TERM", "xterm-256color");
    env.putAll(Call.stringMap(body, "env"));
    PtySize size = new PtySize(cols == null ? 80 : cols, rows == null ? 24 : rows);
    Session s =
        ctx.sessions.create(
            new Sessions.Request(
                null,
                "shell",
                command,
                Call.string(body, "cwd", false),
                p.name(),
                env,
                null,
                size));
    return Map.of("shell", shellMeta(p).apply(s.info()));
  }

  private Session shell(Call c, Project p) {
    String id = c.param("shellId");
    Session s;
    try {
      s = ctx.supervisor.get(id);
    } catch (NoSuchElementException | IllegalArgumentException e) {
      throw GatewayError.notFound("no shell " + id + " in project " + p.name());
    }
    if (!p.name().equals(s.info().project())) {
      throw GatewayError.notFound("no shell " + id + " in project " + p.name());
    }
    return s;
  }

  private Object getShell(Call c) throws IOException {
    Project p = project(c);
    return Map.of("shell", shellMeta(p).apply(shell(c, p).info()));
  }

  private Object shellStream(Call c) throws IOException {
    Project p = project(c);
    Session s = shell(c, p);
    String path = pathOf(c);
    upgrade(c, true, slot -> new ShellSocket(ctx, c.caller, path, s, shellMeta(p), slot));
    return null;
  }

  /** Seed 001's ShellMeta for a session of project {@code p}. */
  static Function<SessionInfo, Map<String, Object>> shellMeta(Project p) {
    return info -> {
      Map<String, Object> m = sessionMeta(info);
      m.put("projectId", p == null ? null : p.id());
      m.put("projectName", p == null ? info.project() : p.name());
      return m;
    };
  }

  private static Map<String, Object> sessionMeta(SessionInfo info) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("shellId", info.id());
    m.put("status", info.isRunning() ? "running" : "exited");
    m.put("createdAt", info.createdAt());
    m.put("updatedAt", info.updatedAt());
    m.put("cwd", info.cwd());
    m.put(
        "shell", info.command() == null || info.command().isEmpty() ? null : info.command().get(0));
    m.put("cols", info.cols());
    m.put("rows", info.rows());
    m.put("pid", info.pid());
    m.put("exitCode", info.exitCode());
    m.put("signal", Signals.nameOfExit(info.exitCode()));
    return m;
  }

  private Object listSessions(Call c) {
    String project = c.query("project");
    List<SessionInfo> out = new ArrayList<>();
    String node = ctx.status.get().name();
    for (SessionInfo s : ctx.supervisor.list()) {
      if (project == null || project.equals(s.project())) {
        out.add(s.withNode(node));
      }
    }
    return Map.of("sessions", out);
  }

  private Session session(Call c) {
    String id = c.param("id");
    try {
      return ctx.supervisor.get(id);
    } catch (IllegalArgumentException e) {
      throw GatewayError.notFound("no session " + id + " on this node");
    } catch (NoSuchElementException e) {
      throw GatewayError.notFound(
          "no session " + id + " on this node; list them with GET /v1/sessions");
    }
  }

  private Object createSession(Call c) throws IOException {
    JsonObject body = c.body();
    List<String> command = Call.stringList(body, "command", false);
    requireProgram(command);
    String projectName = Call.string(body, "project", false);
    Integer cols = Call.integer(body, "cols", 1, PtySize.MAX_COLUMNS);
    Integer rows = Call.integer(body, "rows", 1, PtySize.MAX_ROWS);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TERM", "xterm-256color");
    env.putAll(Call.stringMap(body, "env"));
    if (projectName != null) {
      // the gateway serves only the projects enabled for it: a name it does not know is an error
      // here, not a label as over SSH
      String wanted = projectName;
      projectName =
          enabledProject(
                  ctx.projects
                      .find(wanted)
                      .orElseThrow(
                          () -> GatewayError.badRequest("invalid_request", "no project " + wanted)))
              .name();
    }
    Session s =
        ctx.sessions.create(
            new Sessions.Request(
                Call.string(body, "id", false),
                Call.string(body, "type", false),
                command,
                Call.string(body, "cwd", false),
                projectName,
                env,
                Call.string(body, "restart", false),
                new PtySize(cols == null ? 80 : cols, rows == null ? 24 : rows),
                Call.string(body, "on_restore", false)));
    return Map.of("session", s.info().withNode(ctx.status.get().name()));
  }

  /**
   * A {@code command} that is given names a program: {@code []} is most likely a client's mistake
   * (an argv it forgot to fill), not a request for the login shell, which is asked for by leaving
   * {@code command} out.
   */
  static void requireProgram(List<String> command) {
    if (command != null && command.isEmpty()) {
      throw GatewayError.badRequest(
          "invalid_request",
          "'command' is empty: name a program to run, or leave 'command' out for a login shell");
    }
  }

  private Object stopSession(Call c) throws IOException {
    Session s = session(c);
    ctx.supervisor.stop(s.id());
    return Map.of("session", s.info().withNode(ctx.status.get().name()));
  }

  /**
   * The session's output from {@code from} to its end as raw bytes ({@code
   * application/octet-stream}); {@code X-Hack-Log-Offset} is the offset after the last byte, the
   * {@code from} of the next call.
   */
  private Object sessionLogs(Call c) throws IOException {
    Session s = session(c);
    var log = s.log();
    log.refresh();
    long end = log.end();
    long from = c.queryLong("from", 0);
    if (from < 0 || from > end) {
      throw GatewayError.badRequest(
          "invalid_offset",
          "from " + from + " is outside the log of " + s.id() + " (0.." + end + ")");
    }
    long limit = c.queryLong("limit", Long.MAX_VALUE);
    if (limit < 0) {
      throw GatewayError.badRequest("invalid_request", "limit must be >= 0");
    }
    long to = Math.min(end, from + Math.min(limit, end - from));
    c.response.setStatus(200);
    c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
    c.response.getHeaders().put("X-Hack-Log-Offset", Long.toString(to));
    c.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(to - from));
    try (OutputStream out = Content.Sink.asOutputStream(c.response)) {
      byte[] buf = new byte[64 * 1024];
      long pos = from;
      while (pos < to) {
        int n = log.read(pos, buf, 0, (int) Math.min(buf.length, to - pos));
        if (n <= 0) {
          break;
        }
        out.write(buf, 0, n);
        pos += n;
      }
    }
    c.callback.succeeded();
    return null;
  }

  private Object sessionStream(Call c) {
    Session s = session(c);
    String path = pathOf(c);
    upgrade(c, true, slot -> new ShellSocket(ctx, c.caller, path, s, shellMeta(null), slot));
    return null;
  }

  // --- tokens (admin) ---------------------------------------------------------------------

  /** A token's label may be this long. */
  static final int MAX_LABEL_CHARS = 200;

  private Object listTokens(Call c) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (TokenStore.Token t : ctx.tokens.list()) {
      out.add(t.view());
    }
    return Map.of("tokens", out);
  }

  private Object createToken(Call c) throws IOException {
    JsonObject body = c.body();
    String scope = Call.string(body, "scope", false);
    Integer ttl = Call.integer(body, "ttl_seconds", 1, Integer.MAX_VALUE);
    String label = Call.string(body, "label", false);
    if (label != null && label.length() > MAX_LABEL_CHARS) {
      // it is kept in tokens.json, which every request reads
      throw GatewayError.badRequest(
          "invalid_request", "'label' may be at most " + MAX_LABEL_CHARS + " characters");
    }
    TokenStore.Created created =
        ctx.tokens.create(
            TokenStore.Scope.parse(scope == null ? "read" : scope),
            ttl == null ? null : Duration.ofSeconds(ttl),
            label);
    ctx.auditLog
        .entry("gateway", "token_create")
        .with("token_id", created.id())
        .with("remote", c.caller.remote())
        .with("method", "POST")
        .with("path", pathOf(c))
        .with("status", 200)
        .with("detail", "scope " + created.scope() + " by token " + c.caller.tokenId())
        .write();
    return created;
  }

  private Object revokeToken(Call c) throws IOException {
    String id = c.param("tokenId");
    try {
      ctx.tokens.revoke(id);
    } catch (IllegalArgumentException e) {
      throw GatewayError.notFound(e.getMessage());
    }
    ctx.auditLog
        .entry("gateway", "token_revoke")
        .with("token_id", id)
        .with("remote", c.caller.remote())
        .with("method", "POST")
        .with("path", pathOf(c))
        .with("status", 200)
        .with("detail", "by token " + c.caller.tokenId())
        .write();
    return Map.of("status", "revoked");
  }

  // --- helpers ----------------------------------------------------------------------------

  private static String pathOf(Call c) {
    return org.eclipse.jetty.server.Request.getPathInContext(c.request);
  }

  /**
   * Upgrades to the stream {@code endpoint} makes, in a slot of the stream registry (429 beyond its
   * caps); the slot is given back if the upgrade does not happen.
   *
   * @param writes whether the stream writes to a terminal ({@code allowWrites} covers it)
   */
  private void upgrade(
      Call c, boolean writes, java.util.function.Function<StreamRegistry.Slot, Object> endpoint) {
    // a stream under /control-plane/projects/:projectId/ lasts only while the project is enabled
    StreamRegistry.Slot slot = ctx.openStreams.reserve(c.caller, writes, c.param("projectId"));
    boolean upgraded = false;
    try {
      upgraded =
          websockets.upgrade(
              (rq, rs, cb) -> endpoint.apply(slot), c.request, c.response, c.callback);
    } catch (RuntimeException e) {
      throw new GatewayError(400, "invalid_upgrade", "WebSocket upgrade failed: " + e.getMessage());
    } finally {
      if (!upgraded) {
        slot.release();
      }
    }
    if (!upgraded) {
      throw new GatewayError(
          426, "upgrade_required", "this is a WebSocket stream: connect with a WebSocket client");
    }
  }
}
