package dev.hack.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.hack.keys.AuditLog;
import dev.hack.keys.HackHome;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jline.utils.Signals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hack audit}: the node's audit log, every door (SSH, gateway, CLI), as a table or as its
 * JSON lines; {@code --follow} keeps reading across rotations until Ctrl-C. One thread.
 */
@Command(
    name = "audit",
    description = {
      "Show the audit log: logins, changes and refusals at every door (ssh, gateway, cli).",
      "Reads HACK_HOME/daemon/gateway/audit.jsonl and its rotated files (docs/cli.md)."
    },
    mixinStandardHelpOptions = true)
final class AuditCommand implements Callable<Integer> {
  private static final Duration POLL = Duration.ofMillis(250);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MM-dd HH:mm:ss");
  private static final String FORMAT = "%-14s  %-7s  %-15s  %-20s  %-40s  %s";

  @Option(
      names = {"-f", "--follow"},
      description = "keep printing new entries, across rotations, until Ctrl-C")
  boolean follow;

  @Option(names = "--json", description = "the log's JSON lines as they are")
  boolean json;

  @Option(
      names = {"-n", "--lines"},
      paramLabel = "N",
      description = "how many of the latest entries to show (default: ${DEFAULT-VALUE})",
      defaultValue = "20")
  int lines;

  private final CountDownLatch stop = new CountDownLatch(1);
  private final ZoneId zone = ZoneId.systemDefault();
  private PrintStream out;

  @Override
  public Integer call() throws Exception {
    if (lines < 0) {
      throw new IllegalArgumentException("--lines must be 0 or more, not " + lines);
    }
    HackHome home = HackHome.fromEnvironment();
    out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    AuditLog log = AuditLog.open(home);
    try (AuditMonitor.Tail tail = new AuditMonitor.Tail(log.file(), log.limits().keep())) {
      List<String> backlog = latest(log.file(), log.limits().keep(), tail.poll(), lines);
      if (!json) {
        if (backlog.isEmpty() && !follow) {
          out.println("nothing logged yet (" + log.file() + ")");
          return 0;
        }
        out.println(String.format(FORMAT, "TIME", "DOOR", "EVENT", "WHO", "ACTION", "STATUS"));
      }
      backlog.forEach(this::print);
      if (!follow) {
        out.flush();
        return 0;
      }
      Object previous = Signals.register("INT", stop::countDown);
      try {
        while (!stop.await(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
          tail.poll().forEach(this::print);
          out.flush();
        }
      } finally {
        if (previous != null) {
          Signals.unregister("INT", previous);
        }
      }
    }
    return 0;
  }

  /**
   * The last {@code n} entries: those of the current file ({@code current}, as the tail read it)
   * and, when they are fewer, of the rotated files newest first ({@code .1}, {@code .2}, …).
   */
  static List<String> latest(Path file, int keep, List<String> current, int n) throws IOException {
    Deque<String> out = new ArrayDeque<>();
    for (int i = current.size() - 1; i >= 0 && out.size() < n; i--) {
      out.addFirst(current.get(i));
    }
    for (int r = 1; r <= keep && out.size() < n; r++) {
      List<String> old;
      try {
        old = Files.readAllLines(AuditLog.rotated(file, r), StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        break; // rotation fills .1 first: there is no older one
      }
      for (int i = old.size() - 1; i >= 0 && out.size() < n; i--) {
        out.addFirst(old.get(i));
      }
    }
    return new ArrayList<>(out);
  }

  private void print(String line) {
    Optional<JsonObject> e = AuditMonitor.parse(line);
    if (json) {
      if (e.isPresent()) {
        out.println(line);
      }
      return;
    }
    out.println(
        e.map(x -> row(x, zone))
            .orElse(
                "(not an audit entry: "
                    + clean(line.substring(0, Math.min(60, line.length())))
                    + ")"));
  }

  /** One table row: TIME DOOR EVENT WHO ACTION STATUS. */
  static String row(JsonObject e, ZoneId zone) {
    String time;
    try {
      time = TIME.format(Instant.parse(string(e, "ts", "")).atZone(zone));
    } catch (DateTimeException x) {
      time = "??-?? ??:??:??";
    }
    String who = string(e, "who", string(e, "token_id", "-"));
    String action = string(e, "action", null);
    String detail = string(e, "detail", null);
    boolean detailShown = false;
    if (action == null) {
      String method = string(e, "method", null);
      String path = string(e, "path", null);
      action =
          method != null || path != null
              ? (method == null ? "" : method + " ") + (path == null ? "" : path)
              : detail != null ? detail : "-";
      detailShown = method == null && path == null;
    }
    String status = string(e, "status", "-");
    String error = string(e, "error", null);
    if (error != null) {
      status += " " + error;
    }
    if (detail != null && !detailShown) {
      status += " (" + detail + ")"; // why a stream closed, what a login was
    }
    JsonElement suppressed = e.get("suppressed");
    if (suppressed != null && suppressed.isJsonPrimitive()) {
      status += " (+" + suppressed.getAsString() + " held back)";
    }
    String remote = string(e, "remote", null);
    if (remote != null) {
      status += "  from " + remote;
    }
    return clean(
        String.format(
            FORMAT,
            time,
            cut(string(e, "door", "gateway"), 7),
            cut(string(e, "event", "?"), 15),
            cut(who, 20),
            cut(action, 40),
            status));
  }

  private static String string(JsonObject o, String key, String otherwise) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      return otherwise;
    }
    return e.isJsonPrimitive() ? e.getAsString() : e.toString();
  }

  private static String cut(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }

  /** A hand-edited log must not move the cursor or change colours. */
  private static String clean(String s) {
    return s.replaceAll("\\p{Cntrl}", "?");
  }
}
