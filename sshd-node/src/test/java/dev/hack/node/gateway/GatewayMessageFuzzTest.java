package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.hack.keys.HackHome;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.PtySize;
import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.jobs.JobSpec;
import dev.hack.node.service.NodeContext;
import dev.hack.node.supervisor.Session;
import dev.hack.node.supervisor.SessionSpec;
import dev.hack.node.supervisor.SessionType;
import dev.hack.node.supervisor.Supervisor;
import dev.hack.node.supervisor.SupervisorConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.api.Callback;

/**
 * Fuzzes the WebSocket messages of the shell and job streams (docs/fuzzing.md): the frames of an
 * input (its bytes split at {@code 0xFF}, which UTF-8 text never holds, each decoded as UTF-8) go
 * to a real {@link ShellSocket} on a real {@code cat} session and to a real {@link JobSocket} on a
 * finished job, through a stand-in for Jetty's session that records what they send. No frame makes
 * them throw, and everything they send is a JSON object with a string {@code type}.
 */
class GatewayMessageFuzzTest {
  private static final Fixture FIXTURE = new Fixture();

  @DictionaryEntries({
    "{\"type\":",
    "\"hello\"",
    "\"input\"",
    "\"resize\"",
    "\"signal\"",
    "\"close\"",
    "\"data\":",
    "\"cols\":",
    "\"rows\":",
    "\"logsFrom\":",
    "\"eventsFrom\":",
    "null",
    "true",
    "[]",
    "{}",
    "1e999",
    "-0.5",
    "\"SIGINT\""
  })
  @FuzzTest(maxDuration = "2m")
  void messages(byte[] input) throws Exception {
    List<String> frames = frames(input);
    Session target = FIXTURE.cat();
    ShellSocket shell =
        new ShellSocket(
            FIXTURE.ctx,
            FIXTURE.caller,
            "/fuzz/shell",
            target,
            Endpoints.shellMeta(null),
            FIXTURE.ctx.openStreams.reserve(FIXTURE.caller, true, null));
    Recorder shellOut = new Recorder();
    shell.onWebSocketOpen(shellOut.session());
    JobSocket job =
        new JobSocket(
            FIXTURE.ctx,
            FIXTURE.caller,
            "/fuzz/job",
            FIXTURE.job,
            FIXTURE.ctx.openStreams.reserve(FIXTURE.caller, false, null));
    Recorder jobOut = new Recorder();
    job.onWebSocketOpen(jobOut.session());
    for (String frame : frames) {
      shell.onWebSocketText(frame);
      job.onWebSocketText(frame);
    }
    shell.onWebSocketClose(1000, "fuzz done");
    job.onWebSocketClose(1000, "fuzz done");
    shellOut.assertAllTyped();
    jobOut.assertAllTyped();
  }

  static List<String> frames(byte[] input) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= input.length; i++) {
      if (i == input.length || (input[i] & 0xff) == 0xff) {
        out.add(new String(input, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    return out;
  }

  /** A stand-in for Jetty's WebSocket session: open until closed, every send succeeds. */
  static final class Recorder {
    final List<String> sent = new CopyOnWriteArrayList<>();
    volatile boolean open = true;

    org.eclipse.jetty.websocket.api.Session session() {
      return (org.eclipse.jetty.websocket.api.Session)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {org.eclipse.jetty.websocket.api.Session.class},
              (proxy, method, args) -> {
                switch (method.getName()) {
                  case "isOpen":
                    return open;
                  case "sendText":
                    sent.add((String) args[0]);
                    ((Callback) args[1]).succeed();
                    return null;
                  case "close":
                    open = false;
                    for (Object a : args == null ? new Object[0] : args) {
                      if (a instanceof Callback c) {
                        c.succeed();
                      }
                    }
                    return null;
                  case "sendPing", "sendPong", "sendBinary", "sendPartialText", "sendPartialBinary":
                    for (Object a : args) {
                      if (a instanceof Callback c) {
                        c.succeed();
                      }
                    }
                    return null;
                  case "hashCode":
                    return System.identityHashCode(proxy);
                  case "equals":
                    return proxy == args[0];
                  case "toString":
                    return "fuzz WebSocket session";
                  default:
                    return method.getReturnType() == boolean.class ? false : null;
                }
              });
    }

    void assertAllTyped() {
      for (String m : sent) {
        JsonElement e = JsonParser.parseString(m);
        assertThat(e.isJsonObject()).as(m).isTrue();
        assertThat(e.getAsJsonObject().get("type").getAsString()).as(m).isNotEmpty();
      }
    }
  }

  /** A node's parts in a temporary HACK_HOME: supervisor, jobs, gateway context. */
  static final class Fixture {
    final HackHome home;
    final Supervisor supervisor;
    final GatewayContext ctx;
    final Caller caller = new Caller("t_fuzz", TokenStore.Scope.WRITE, "127.0.0.1:1");
    final Job job;
    private Session cat;

    Fixture() {
      try {
        Path dir = Files.createTempDirectory("hack-fuzz-gateway");
        home = HackHome.at(dir);
        Path daemon = Files.createDirectories(dir.resolve("daemon"));
        supervisor = new Supervisor(daemon.resolve("sessions"), SupervisorConfig.defaults());
        JobManager jobs = new JobManager(daemon.resolve("jobs"));
        ctx =
            new GatewayContext(
                NodeContext.local(home, supervisor, jobs, () -> null),
                Gateway.MAX_BODY_BYTES,
                Gateway.MAX_FRAME_BYTES);
        job = jobs.create(new JobSpec("p1", "proj", null, List.of("echo", "done"), dir, Map.of()));
        job.finished().get(20, TimeUnit.SECONDS);
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      supervisor.close();
                      jobs.close();
                      ctx.close();
                    },
                    "fuzz-gateway-cleanup"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /** A running {@code cat} (a new one when a frame stopped or killed the last). */
    synchronized Session cat() throws IOException {
      if (cat == null || !cat.isRunning()) {
        // the ended one stays: removing it at once raced with its own last writes
        // (DirectoryNotEmptyException from Supervisor.remove)
        cat =
            supervisor.create(
                new SessionSpec(
                    null,
                    SessionType.PROCESS,
                    List.of("cat"),
                    home.root().toString(),
                    null,
                    Map.of(),
                    null,
                    new PtySize(80, 24)));
      }
      return cat;
    }
  }
}
