package dev.hack.node.jobs;

import dev.hack.node.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the job tests share: reading a whole log, waiting, and looking at processes in /proc. */
final class JobFixtures {
  static final Duration TIMEOUT = Duration.ofSeconds(20);

  private JobFixtures() {}

  static JobMeta awaitFinished(Job job) throws Exception {
    return job.finished().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The whole log so far, read in small chunks through {@link Job#readLog}. */
  static String log(Job job) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[7];
    long at = 0;
    int n;
    while ((n = job.readLog(at, buf, 0, buf.length)) > 0) {
      out.write(buf, 0, n);
      at += n;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static String awaitLog(Job job, String expected) throws Exception {
    return Poll.until(
        TIMEOUT,
        "job output containing " + expected,
        () -> {
          String text = log(job);
          return text.contains(expected) ? text : null;
        });
  }

  /** The number after {@code label } on a line of the log, e.g. {@code bg 1234}. */
  static long pidAfter(String log, String label) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + " (\\d+)$").matcher(log);
    if (!m.find()) {
      throw new AssertionError("no '" + label + " PID' line in: " + log);
    }
    return Long.parseLong(m.group(1));
  }

  /** Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, … */
  static List<String> stat(long pid) throws IOException {
    String text;
    try {
      text = Files.readString(Path.of("/proc/" + pid + "/stat"));
    } catch (NoSuchFileException e) {
      return null;
    }
    return List.of(text.substring(text.lastIndexOf(')') + 2).trim().split(" "));
  }

  /** Gone: no such process, or a zombie waiting for a parent (init here may not reap it). */
  static boolean isGone(long pid) throws IOException {
    List<String> stat = stat(pid);
    return stat == null || stat.get(0).equals("Z") || stat.get(0).equals("X");
  }

  static void awaitGone(long pid) throws Exception {
    Poll.until(TIMEOUT, "process " + pid + " to end", () -> isGone(pid));
  }

  static List<String> sh(String script) {
    return List.of("sh", "-c", script);
  }
}
