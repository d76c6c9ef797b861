package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.gateway.GatewayFixture.Ws;
import dev.hack.node.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 001's end-to-end flow: status, projects, a job, its stream, resume (also mid-job), fetch; a
 * client that stops reading.
 */
class GatewayJobsTest {
  private static final Duration T = Duration.ofSeconds(20);
  @TempDir Path dir;

  /** Everything a job stream sent: log bytes (by their offsets) and events, until it closed. */
  record Streamed(
      byte[] log, long firstOffset, List<JsonObject> events, JsonObject ready, int closeCode) {}

  static Streamed stream(GatewayFixture g, String path, long logsFrom, long eventsFrom)
      throws Exception {
    return collect(g.wsOpen(path, g.read), logsFrom, eventsFrom);
  }

  /** Says hello on {@code ws} and takes everything until the server closes the stream. */
  static Streamed collect(Ws ws, long logsFrom, long eventsFrom) throws Exception {
    ws.send(Map.of("type", "hello", "logsFrom", logsFrom, "eventsFrom", eventsFrom));
    return receive(ws, logsFrom);
  }

  /** Takes a stream that was started from {@code logsFrom}, from its ready until it closes. */
  static Streamed receive(Ws ws, long logsFrom) throws Exception {
    JsonObject ready = ws.next(T);
    assertThat(ready.get("type").getAsString()).isEqualTo("ready");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<JsonObject> events = new ArrayList<>();
    long expect = logsFrom;
    long deadline = System.nanoTime() + T.toNanos();
    while (true) {
      String m = ws.messages.poll(200, TimeUnit.MILLISECONDS);
      if (m == null) {
        if (ws.closed.isDone()) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the job stream was not closed within " + T + " of the job");
        }
        continue;
      }
      JsonObject o = com.google.gson.JsonParser.parseString(m).getAsJsonObject();
      switch (o.get("type").getAsString()) {
        case "log" -> {
          byte[] data = o.get("data").getAsString().getBytes(StandardCharsets.UTF_8);
          assertThat(o.get("stream").getAsString()).isEqualTo("combined");
          expect += data.length;
          assertThat(o.get("offset").getAsLong()).as("offset after the chunk").isEqualTo(expect);
          log.write(data);
        }
        case "event" -> {
          assertThat(o.get("seq").getAsLong())
              .isEqualTo(o.getAsJsonObject("event").get("seq").getAsLong());
          events.add(o.getAsJsonObject("event"));
        }
        case "heartbeat" -> {}
        default -> throw new AssertionError("unexpected message " + o);
      }
    }
    return new Streamed(log.toByteArray(), logsFrom, events, ready, ws.closed.get());
  }

  @Test
  void quietJobStreamsSendHeartbeatsWithTheirPosition() throws Exception {
    long saved = JobSocket.heartbeatMillis;
    JobSocket.heartbeatMillis = 200; // 15 s in service; the timer is what is tested here
    try (GatewayFixture g = new GatewayFixture(dir)) {
      Reply created =
          g.post(
              g.projectPath() + "/jobs",
              g.write,
              "{\"command\":[\"sh\",\"-c\",\"echo hb; sleep 300\"]}");
      String jobId = created.json().getAsJsonObject("job").get("jobId").getAsString();
      try (Ws ws = g.wsOpen(g.projectPath() + "/jobs/" + jobId + "/stream", g.read)) {
        ws.send(Map.of("type", "hello", "logsFrom", 0, "eventsFrom", 0));
        assertThat(ws.nextOfType("ready", T).get("type").getAsString()).isEqualTo("ready");
        JsonObject first = ws.nextOfType("heartbeat", T);
        assertThat(first.keySet()).contains("ts", "logsOffset", "eventsSeq");
        // once the log has been sent, the heartbeat says where the stream is
        Poll.until(
            T,
            "a heartbeat after the output",
            () -> ws.nextOfType("heartbeat", T).get("logsOffset").getAsLong() == 3);
      } finally {
        g.post(g.projectPath() + "/jobs/" + jobId + "/cancel", g.write, "");
      }
    } finally {
      JobSocket.heartbeatMillis = saved;
    }
  }

  @Test
  void seedFlowWithResume() throws Exception {
    try (GatewayFixture g = new GatewayFixture(dir)) {
      // 1. status
      assertThat(g.get("/v1/status", g.read).code()).isEqualTo(200);
      // 2. projects
      JsonObject projects = g.get("/v1/projects?include_global=true", g.read).json();
      assertThat(projects.get("include_global").getAsBoolean()).isTrue();
      assertThat(projects.get("include_unregistered").getAsBoolean()).isFalse();
      JsonObject view = projects.getAsJsonArray("projects").get(0).getAsJsonObject();
      assertThat(view.get("project_id").getAsString()).isEqualTo(g.project.id());
      assertThat(view.get("name").getAsString()).isEqualTo("proj");
      assertThat(view.get("kind").getAsString()).isEqualTo("registered");
      assertThat(view.get("status").getAsString()).isEqualTo("stopped");
      assertThat(view.keySet())
          .contains(
              "dev_host",
              "repo_root",
              "project_dir",
              "defined_services",
              "runtime",
              "branch_runtime");

      // 3. a job (UTF-8 output, stderr merged, an env override, a cwd)
      String script =
          "for i in 1 2 3 4 5; do echo \"line $i $GREETING\"; done; echo oops >&2;"
              + " printf 'caf\\303\\251 %s\\n' \"$(pwd)\"; exit 0";
      Reply created =
          g.post(
              g.projectPath() + "/jobs",
              g.write,
              dev.hack.node.api.Json.GSON.toJson(
                  Map.of(
                      "runner",
                      "generic",
                      "command",
                      List.of("sh", "-c", script),
                      "cwd",
                      "sub",
                      "env",
                      Map.of("GREETING", "hi"))));
      assertThat(created.code()).as(created.body()).isEqualTo(200);
      JsonObject job = created.json().getAsJsonObject("job");
      String jobId = job.get("jobId").getAsString();
      assertThat(job.get("runner").getAsString()).isEqualTo("generic");
      assertThat(job.get("projectId").getAsString()).isEqualTo(g.project.id());
      assertThat(job.keySet())
          .contains("status", "createdAt", "updatedAt", "lastEventSeq", "command");

      // 4. stream logs and events from the start, until the server closes the stream
      String stream = g.projectPath() + "/jobs/" + jobId + "/stream";
      Streamed all = stream(g, stream, 0, 0);
      String text = new String(all.log(), StandardCharsets.UTF_8);
      assertThat(text)
          .contains("line 1 hi", "line 5 hi", "oops", "café " + g.projectRoot.resolve("sub"));
      List<String> types = all.events().stream().map(e -> e.get("type").getAsString()).toList();
      assertThat(types).first().isEqualTo("job.created");
      assertThat(types).contains("job.started").last().isEqualTo("job.completed");
      for (int i = 0; i < all.events().size(); i++) {
        assertThat(all.events().get(i).get("seq").getAsLong()).isEqualTo(i + 1);
        assertThat(all.events().get(i).get("ts").getAsString()).matches("\\d{4}-.*Z");
      }
      assertThat(all.closeCode()).isEqualTo(1000);

      // 5. resume from a middle offset: exactly the missing bytes and events
      for (long from :
          new long[] {1, 7, all.log().length / 2, all.log().length - 1, all.log().length}) {
        long eventsFrom = 2;
        Streamed rest = stream(g, stream, from, eventsFrom);
        byte[] expected = java.util.Arrays.copyOfRange(all.log(), (int) from, all.log().length);
        assertThat(rest.log()).as("from " + from).isEqualTo(expected);
        assertThat(rest.events()).isEqualTo(all.events().subList(2, all.events().size()));
        assertThat(rest.ready().get("logsOffset").getAsLong()).isEqualTo(all.log().length);
      }

      // 6. fetch the job
      JsonObject done =
          g.get(g.projectPath() + "/jobs/" + jobId, g.read).json().getAsJsonObject("job");
      assertThat(done.get("status").getAsString()).isEqualTo("completed");
      assertThat(done.get("lastEventSeq").getAsLong()).isEqualTo(all.events().size());
      JsonElement list = g.get(g.projectPath() + "/jobs", g.read).json().get("jobs");
      assertThat(list.toString()).contains(jobId);

      // bad offsets and messages are errors on the stream, not crashes
      Ws bad = g.wsOpen(stream, g.read);
      bad.send(Map.of("type", "hello", "logsFrom", all.log().length + 10));
      assertThat(bad.next(T).get("message").getAsString()).contains("invalid_offset");
      bad.socket.send("not json");
      assertThat(bad.next(T).get("type").getAsString()).isEqualTo("error");
      bad.close();

      // unknown job ids
      assertThat(g.get(g.projectPath() + "/jobs/j_nope", g.read).error()).isEqualTo("not_found");

      // the files are private
      Path jobDir = g.node.home().jobsDir().resolve(jobId);
      assertThat(Files.getPosixFilePermissions(jobDir.resolve("meta.json")))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    }
  }

  @Test
  void liveStreamFailureAndCancel() throws Exception {
    try (GatewayFixture g = new GatewayFixture(dir)) {
      // a job that is still running when the stream starts sees its output live
      String jobId =
          startJob(g, "{\"command\":[\"sh\",\"-c\",\"echo first; sleep 1; echo second; exit 3\"]}");
      Streamed s = stream(g, g.projectPath() + "/jobs/" + jobId + "/stream", 0, 0);
      assertThat(new String(s.log(), StandardCharsets.UTF_8)).isEqualTo("first\nsecond\n");
      JsonObject last = s.events().get(s.events().size() - 1);
      assertThat(last.get("type").getAsString()).isEqualTo("job.failed");
      assertThat(last.getAsJsonObject("payload").get("exitCode").getAsInt()).isEqualTo(3);

      // cancel ends the whole process tree
      String sleepId =
          startJob(g, "{\"command\":[\"sh\",\"-c\",\"sleep 300 & echo child $!; wait\"]}");
      String path = g.projectPath() + "/jobs/" + sleepId;
      long child =
          Poll.until(
              T,
              "the child's pid",
              () -> {
                String log = readJobLog(g, sleepId);
                java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("child (\\d+)").matcher(log);
                return m.find() ? Long.parseLong(m.group(1)) : null;
              });
      assertThat(ProcessHandle.of(child)).isPresent();
      Reply cancel = g.post(path + "/cancel", g.write, "");
      assertThat(cancel.code()).isEqualTo(200);
      assertThat(cancel.json().get("status").getAsString()).isEqualTo("cancelled");
      awaitStatus(g, sleepId, "cancelled");
      Poll.until(
          T,
          "the grandchild to die",
          () -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
      // cancelling a cancelled job again is no error (as over SSH)
      assertThat(g.post(path + "/cancel", g.write, "").code()).isEqualTo(200);

      // a program that does not exist fails with a reason
      String missingId = startJob(g, "{\"command\":[\"no-such-program-hack\"]}");
      awaitStatus(g, missingId, "failed");
      assertThat(readJobLog(g, missingId)).contains("no-such-program-hack");
    }
  }

  @Test
  void aStreamResumedFromItsLastOffsetWhileTheJobRunsGetsExactlyTheRest() throws Exception {
    try (GatewayFixture g = new GatewayFixture(dir)) {
      // every euro sign reaches the log in two writes, a tenth of a second apart
      String jobId =
          startJob(
              g,
              "{\"command\":[\"sh\",\"-c\",\"i=0; while [ $i -lt 30 ]; do i=$((i+1));"
                  + " printf 'line %s ' $i; printf '\\\\342\\\\202'; sleep 0.1;"
                  + " printf '\\\\254\\\\n'; done\"]}");
      String path = g.projectPath() + "/jobs/" + jobId + "/stream";

      // the first client takes a few messages and drops off mid-job
      ByteArrayOutputStream before = new ByteArrayOutputStream();
      long offset = 0;
      long seq = 0;
      try (Ws first = g.wsOpen(path, g.read)) {
        first.send(Map.of("type", "hello", "logsFrom", 0, "eventsFrom", 0));
        assertThat(first.next(T).get("type").getAsString()).isEqualTo("ready");
        int logs = 0;
        while (logs < 3) {
          JsonObject m = first.next(T);
          switch (m.get("type").getAsString()) {
            case "log" -> {
              byte[] data = m.get("data").getAsString().getBytes(StandardCharsets.UTF_8);
              before.write(data);
              assertThat(m.get("offset").getAsLong()).isEqualTo(offset + data.length);
              offset = m.get("offset").getAsLong();
              logs++;
            }
            case "event" -> seq = m.get("seq").getAsLong();
            default -> {}
          }
        }
      }
      String meta = g.get(g.projectPath() + "/jobs/" + jobId, g.read).json().get("job").toString();
      assertThat(meta).as("resumed while the job runs").contains("\"running\"");

      // the second picks up where the first stopped
      Streamed rest = stream(g, path, offset, seq);

      awaitStatus(g, jobId, "completed");
      byte[] whole =
          Files.readAllBytes(g.node.home().jobsDir().resolve(jobId).resolve("output.log"));
      ByteArrayOutputStream both = new ByteArrayOutputStream();
      both.write(before.toByteArray());
      both.write(rest.log());
      assertThat(both.toByteArray()).isEqualTo(whole); // re-encoded: a broken € would differ
      assertThat(new String(whole, StandardCharsets.UTF_8)).contains("line 30 €\n");
      for (int i = 0; i < rest.events().size(); i++) {
        assertThat(rest.events().get(i).get("seq").getAsLong()).isEqualTo(seq + 1 + i);
      }
      assertThat(rest.events().get(rest.events().size() - 1).get("type").getAsString())
          .isEqualTo("job.completed");
      assertThat(rest.closeCode()).isEqualTo(1000);
    }
  }

  /**
   * A client that reads nothing until it is released, then everything: a phone that went to sleep
   * with a stream open.
   */
  static final class Asleep extends WebSocketListener {
    final Ws ws = new Ws();
    final CountDownLatch awake = new CountDownLatch(1);

    @Override
    public void onOpen(WebSocket socket, Response response) {
      ws.onOpen(socket, response);
    }

    @Override
    public void onMessage(WebSocket socket, String text) {
      try {
        awake.await(T.toMillis(), TimeUnit.MILLISECONDS); // OkHttp reads no more meanwhile
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ws.onMessage(socket, text);
    }

    @Override
    public void onClosing(WebSocket socket, int code, String reason) {
      ws.onClosing(socket, code, reason);
    }

    @Override
    public void onClosed(WebSocket socket, int code, String reason) {
      ws.onClosed(socket, code, reason);
    }

    @Override
    public void onFailure(WebSocket socket, Throwable t, Response response) {
      ws.onFailure(socket, t, response);
    }
  }

  @Test
  void aClientThatStopsReadingIsSentOneMessageAtATimeAndLaterGetsEverything() throws Exception {
    try (GatewayFixture g = new GatewayFixture(dir)) {
      // 16 MB that does not compress (the stream is deflated): far more than the socket buffers
      // hold, and 250 messages, several times the 64 the gateway lets wait unsent before it ends
      // a stream
      String jobId =
          startJob(g, "{\"command\":[\"sh\",\"-c\",\"head -c 12000000 /dev/urandom | base64\"]}");
      awaitStatus(g, jobId, "completed");
      byte[] whole =
          Files.readAllBytes(g.node.home().jobsDir().resolve(jobId).resolve("output.log"));
      assertThat(whole.length).isGreaterThan(16_000_000);
      Asleep client = new Asleep();
      okhttp3.Request request =
          new okhttp3.Request.Builder()
              .url(
                  g.url.replaceFirst("^http", "ws")
                      + g.projectPath()
                      + "/jobs/"
                      + jobId
                      + "/stream")
              .header("Authorization", "Bearer " + g.read)
              .build();
      // a small, fixed receive buffer, as on a phone's link (left alone, Linux grows a loopback
      // socket's to 32 MB, and the whole stream would fit)
      okhttp3.OkHttpClient small =
          g.http
              .newBuilder()
              .socketFactory(
                  new javax.net.SocketFactory() {
                    @Override
                    public java.net.Socket createSocket() throws java.io.IOException {
                      java.net.Socket socket = new java.net.Socket();
                      socket.setReceiveBufferSize(64 * 1024);
                      return socket;
                    }

                    @Override
                    public java.net.Socket createSocket(String host, int port) {
                      throw new UnsupportedOperationException("OkHttp connects itself");
                    }

                    @Override
                    public java.net.Socket createSocket(
                        String host, int port, java.net.InetAddress local, int localPort) {
                      throw new UnsupportedOperationException("OkHttp connects itself");
                    }

                    @Override
                    public java.net.Socket createSocket(java.net.InetAddress host, int port) {
                      throw new UnsupportedOperationException("OkHttp connects itself");
                    }

                    @Override
                    public java.net.Socket createSocket(
                        java.net.InetAddress host,
                        int port,
                        java.net.InetAddress local,
                        int localPort) {
                      throw new UnsupportedOperationException("OkHttp connects itself");
                    }
                  })
              .build();
      client.ws.socket = small.newWebSocket(request, client);
      client.ws.opened.get(10, TimeUnit.SECONDS);
      client.ws.send(Map.of("type", "hello", "logsFrom", 0, "eventsFrom", 0));
      Thread.sleep(2000); // asleep: the server's sends stall behind the full socket
      assertThat(client.ws.closed).as("the stream is still open").isNotDone();
      client.awake.countDown();

      Streamed all = receive(client.ws, 0);

      assertThat(all.closeCode()).as("closed normally, not for unread messages").isEqualTo(1000);
      assertThat(all.log().length).isEqualTo(whole.length);
      assertThat(java.util.Arrays.equals(all.log(), whole)).as("the same bytes").isTrue();
      assertThat(all.events().get(all.events().size() - 1).get("type").getAsString())
          .isEqualTo("job.completed");
    }
  }

  /** Creates a job in the fixture's project; returns its id. */
  private static String startJob(GatewayFixture g, String body) throws Exception {
    Reply r = g.post(g.projectPath() + "/jobs", g.write, body);
    assertThat(r.code()).as(r.body()).isEqualTo(200);
    return r.json().getAsJsonObject("job").get("jobId").getAsString();
  }

  private static void awaitStatus(GatewayFixture g, String jobId, String status) throws Exception {
    Poll.until(
        T,
        "job " + jobId + " to be " + status,
        () ->
            status.equals(
                g.get(g.projectPath() + "/jobs/" + jobId, g.read)
                    .json()
                    .getAsJsonObject("job")
                    .get("status")
                    .getAsString()));
  }

  private static String readJobLog(GatewayFixture g, String jobId) throws Exception {
    Path log = g.node.home().jobsDir().resolve(jobId).resolve("output.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Test
  void jobsSurviveANodeRestart() throws Exception {
    try (GatewayFixture g = new GatewayFixture(dir)) {
      String doneId = startJob(g, "{\"command\":[\"echo\",\"kept\"]}");
      awaitStatus(g, doneId, "completed");
      g.node.restart();
      GatewayFixture.Reply after =
          g.send(
              new okhttp3.Request.Builder()
                  .url(g.node.node().gatewayUrl() + g.projectPath() + "/jobs/" + doneId),
              g.read);
      assertThat(after.code()).isEqualTo(200);
      assertThat(after.json().getAsJsonObject("job").get("status").getAsString())
          .isEqualTo("completed");
    }
  }
}
