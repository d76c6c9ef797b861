package dev.hack.keys;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The node's audit trail, {@code daemon/gateway/audit.jsonl} (0600): one JSON object per line for
 * every change, refusal and login at every door (the gateway, SSH, the CLI). Never holds a secret:
 * token ids and key fingerprints only, never the text a client sends to a session.
 *
 * <p>No flood can fill the disk (docs/gateway.md, "Audit log"):
 *
 * <ul>
 *   <li>every string field is capped at {@link Limits#maxFieldChars} characters (then {@code …(N
 *       chars)} with the original length), control and format characters become {@code ?}, and a
 *       whole line is at most {@link Limits#maxLineBytes} bytes;
 *   <li>a <em>refusal</em> (a {@code status} of 400 or more, or an entry marked {@link
 *       Entry#refused}) is written only while the token buckets of its remote address, its token
 *       and all refusals together allow it; the rest are counted and the count is written as {@code
 *       suppressed} on the next line of that remote, or on a {@code suppressed} summary line once
 *       it has been quiet for {@link Limits#summaryEvery};
 *   <li>every other line (a change, a login, a stream) is written unless the global bucket for
 *       those is empty, when it is counted the same way;
 *   <li>when the file would pass {@link Limits#rotateBytes} it becomes {@code audit.jsonl.1}, the
 *       older ones move up, and {@code audit.jsonl.}{@link Limits#keep} is the oldest kept.
 * </ul>
 *
 * <p>Appending and rotating happen under {@link FileLocks} on {@code audit.jsonl.lock}, so the node
 * and any number of CLI processes append whole lines and never rotate under each other.
 *
 * <p>Thread-safe. {@link #open} returns one instance per file within a process, so that every door
 * of a node shares its limits.
 */
public final class AuditLog {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
  private static final System.Logger LOG = System.getLogger(AuditLog.class.getName());
  private static final Map<Path, AuditLog> OPEN = new ConcurrentHashMap<>();

  /** Runs the summaries of suppressed lines, for every log of the process; idle when none. */
  private static final ScheduledExecutorService SUMMARIES =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "audit-summary");
            t.setDaemon(true);
            return t;
          });

  /** The fields that are never shortened: they are short by construction. */
  private static final Set<String> FIXED = Set.of("ts", "door", "event");

  /** No entry has more fields than this; more are dropped (a bug in the caller, never input). */
  private static final int MAX_FIELDS = 24;

  /**
   * The bounds. {@link #DEFAULT} gives at most {@code rotateBytes × (keep + 1)} = 60 MiB on disk,
   * and at most {@code (refusalPerSecond + actionPerSecond + summaryLinesPerPeriod / summaryEvery)
   * × maxLineBytes} written per second (docs/gateway.md works the numbers out).
   *
   * @param maxFieldChars longest string field, in characters, before the length marker
   * @param maxLineBytes longest line, in UTF-8 bytes, newline included
   * @param rotateBytes the size at which the file is rotated
   * @param keep how many rotated files are kept ({@code .1} … {@code .keep})
   * @param perKeyBurst refusal lines a remote (or a token) may write at once
   * @param perKeyPerSecond the rate at which that allowance comes back
   * @param refusalBurst refusal lines all remotes together may write at once
   * @param refusalPerSecond the rate at which that comes back
   * @param actionBurst other lines (changes, logins, streams) that may be written at once
   * @param actionPerSecond the rate at which that comes back
   * @param maxKeys how many remotes and tokens are tracked; the least recently seen is forgotten
   *     (its pending count goes to the next summary)
   * @param summaryEvery how long a remote with suppressed lines stays quiet before a summary line
   *     says how many; at most {@code summaryLinesPerPeriod} such lines per period
   * @param summaryLinesPerPeriod summary lines per period, the last one counting all the others
   */
  public record Limits(
      int maxFieldChars,
      int maxLineBytes,
      long rotateBytes,
      int keep,
      double perKeyBurst,
      double perKeyPerSecond,
      double refusalBurst,
      double refusalPerSecond,
      double actionBurst,
      double actionPerSecond,
      int maxKeys,
      Duration summaryEvery,
      int summaryLinesPerPeriod) {
    public static final Limits DEFAULT =
        new Limits(
            256,
            1024,
            10L * 1024 * 1024,
            5,
            20,
            5,
            100,
            5,
            200,
            10,
            1024,
            Duration.ofSeconds(10),
            10);

    public Limits {
      if (maxFieldChars < 16 || maxLineBytes < 256 || rotateBytes < maxLineBytes || keep < 0) {
        throw new IllegalArgumentException(
            "audit limits too small: " + maxFieldChars + " " + maxLineBytes + " " + rotateBytes);
      }
      if (maxKeys < 1 || summaryLinesPerPeriod < 2 || summaryEvery.isNegative()) {
        throw new IllegalArgumentException("audit limits: " + maxKeys + " " + summaryEvery);
      }
    }

    /** These limits rotating at {@code bytes}, keeping {@code files} old files. */
    public Limits withRotation(long bytes, int files) {
      return new Limits(
          maxFieldChars,
          maxLineBytes,
          bytes,
          files,
          perKeyBurst,
          perKeyPerSecond,
          refusalBurst,
          refusalPerSecond,
          actionBurst,
          actionPerSecond,
          maxKeys,
          summaryEvery,
          summaryLinesPerPeriod);
    }

    /** These limits with no rate limit at all (tests of rotation and of concurrent writers). */
    public Limits unlimited() {
      double big = 1e12;
      return new Limits(
          maxFieldChars,
          maxLineBytes,
          rotateBytes,
          keep,
          big,
          big,
          big,
          big,
          big,
          big,
          maxKeys,
          summaryEvery,
          summaryLinesPerPeriod);
    }

    /** These limits with summaries after {@code every} of quiet. */
    public Limits withSummaryEvery(Duration every) {
      return new Limits(
          maxFieldChars,
          maxLineBytes,
          rotateBytes,
          keep,
          perKeyBurst,
          perKeyPerSecond,
          refusalBurst,
          refusalPerSecond,
          actionBurst,
          actionPerSecond,
          maxKeys,
          every,
          summaryLinesPerPeriod);
    }
  }

  private final Path file;
  private final Path lockFile;
  private final Limits limits;
  private final LongSupplier nanoClock;

  // all guarded by this
  private final LinkedHashMap<String, KeyState> keys;
  private final Bucket refusals;
  private final Bucket actions;
  private long actionsSuppressed;
  private long forgottenSuppressed; // of keys evicted with a pending count
  private int forgottenKeys;
  private boolean summaryScheduled;

  /** A log at {@code file} with the default limits (prefer {@link #open}). */
  public AuditLog(Path file) {
    this(file, Limits.DEFAULT, System::nanoTime);
  }

  /**
   * A log with its own limits and clock (tests). Two instances on one file each keep their own rate
   * limits; appending and rotation stay safe between them.
   */
  public AuditLog(Path file, Limits limits, LongSupplier nanoClock) {
    this.file = file;
    this.lockFile = file.resolveSibling(file.getFileName() + ".lock");
    this.limits = limits;
    this.nanoClock = nanoClock;
    long now = nanoClock.getAsLong();
    this.refusals = new Bucket(limits.refusalBurst(), limits.refusalPerSecond(), now);
    this.actions = new Bucket(limits.actionBurst(), limits.actionPerSecond(), now);
    this.keys =
        new LinkedHashMap<>(64, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, KeyState> eldest) {
            if (size() <= limits.maxKeys()) {
              return false;
            }
            if (eldest.getValue().suppressed > 0) {
              forgottenSuppressed += eldest.getValue().suppressed;
              forgottenKeys++;
            }
            return true;
          }
        };
  }

  /**
   * The process's log for {@code home}: {@code daemon/gateway/audit.jsonl}, shared by all doors.
   */
  public static AuditLog open(HackHome home) {
    Path f = home.gatewayDir().resolve("audit.jsonl").toAbsolutePath().normalize();
    return OPEN.computeIfAbsent(f, AuditLog::new);
  }

  public Path file() {
    return file;
  }

  public Limits limits() {
    return limits;
  }

  /**
   * The log's files, oldest first: {@code audit.jsonl.KEEP} … {@code audit.jsonl.1}, then {@code
   * audit.jsonl}; only those that exist.
   */
  public static List<Path> files(Path file, int keep) {
    List<Path> out = new ArrayList<>();
    for (int i = keep; i >= 1; i--) {
      Path p = rotated(file, i);
      if (Files.exists(p)) {
        out.add(p);
      }
    }
    if (Files.exists(file)) {
      out.add(file);
    }
    return out;
  }

  /** {@code audit.jsonl.N}. */
  public static Path rotated(Path file, int n) {
    return file.resolveSibling(file.getFileName() + "." + n);
  }

  /** How many remotes and tokens the limits track now (tests). */
  synchronized int trackedKeys() {
    return keys.size();
  }

  /** Starts an entry for {@code event} with no {@code door} (older gateway lines have none). */
  public Entry entry(String event) {
    return new Entry(null, event);
  }

  /**
   * Starts an entry for {@code event} at {@code door} ({@code gateway}, {@code ssh} or {@code
   * cli}); add fields and call {@link Entry#write}.
   */
  public Entry entry(String door, String event) {
    return new Entry(door, event);
  }

  /** One line being put together. Not thread-safe; one thread builds and writes it. */
  public final class Entry {
    private final Map<String, Object> fields = new LinkedHashMap<>();
    private boolean refused;

    private Entry(String door, String event) {
      fields.put("ts", Instant.now().toString());
      if (door != null) {
        fields.put("door", door);
      }
      fields.put("event", event);
    }

    /** Adds a field; null values are left out. Strings are cleaned and shortened when written. */
    public Entry with(String key, Object value) {
      if (value != null && (fields.size() < MAX_FIELDS || fields.containsKey(key))) {
        fields.put(key, value);
      }
      return this;
    }

    /** Marks a refusal: rate-limited per remote and token, as every status of 400 or more is. */
    public Entry refused() {
      refused = true;
      return this;
    }

    /**
     * Appends the line, or counts it if a limit holds it back. An audit log that cannot be written
     * is reported, never silently lost.
     *
     * @return whether the line was written
     */
    public boolean write() throws IOException {
      Object status = fields.get("status");
      boolean refusal = refused || (status instanceof Number n && n.intValue() >= 400);
      Long skipped = admit(refusal, keysOf(fields));
      if (skipped == null) {
        return false;
      }
      if (skipped > 0) {
        fields.put("suppressed", skipped);
      }
      append(line(fields, limits));
      return true;
    }
  }

  // ---- limits ----

  /** A token bucket. Not thread-safe: guarded by the log. */
  private static final class Bucket {
    private final double burst;
    private final double perNano;
    private double tokens;
    private long last;

    Bucket(double burst, double perSecond, long now) {
      this.burst = burst;
      this.perNano = perSecond / 1e9;
      this.tokens = burst;
      this.last = now;
    }

    boolean has(long now) {
      if (now > last) {
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
      }
      return tokens >= 1;
    }

    void take() {
      tokens -= 1;
    }
  }

  /** What is known of one remote address or token. Guarded by the log. */
  private static final class KeyState {
    final Bucket bucket;
    final String remote;
    final String tokenId;
    long suppressed;
    long lastLine;

    KeyState(Limits l, long now, String remote, String tokenId) {
      bucket = new Bucket(l.perKeyBurst(), l.perKeyPerSecond(), now);
      this.remote = remote;
      this.tokenId = tokenId;
      lastLine = now;
    }
  }

  /** The rate-limit keys of a line: its remote's address (without the port), then its token. */
  private static List<String[]> keysOf(Map<String, Object> fields) {
    List<String[]> out = new ArrayList<>(2);
    Object remote = fields.get("remote");
    if (remote != null) {
      String host = host(remote.toString());
      out.add(new String[] {"remote " + host, host, null});
    }
    Object token = fields.get("token_id");
    if (token != null) {
      out.add(new String[] {"token " + shorten(token.toString(), 64), null, token.toString()});
    }
    if (out.isEmpty()) {
      out.add(new String[] {"-", null, null});
    }
    return out;
  }

  /** {@code 1.2.3.4:5} → {@code 1.2.3.4}; {@code [::1]:5} → {@code [::1]}; bounded. */
  static String host(String remote) {
    String r = remote.length() > 64 ? remote.substring(0, 64) : remote;
    int colon = r.lastIndexOf(':');
    if (colon > 0 && (r.indexOf(':') == colon || r.charAt(colon - 1) == ']')) {
      return r.substring(0, colon);
    }
    return r;
  }

  /**
   * Whether a line gets written: null if not (it is counted), else the count of lines held back
   * before it that it reports ({@code suppressed}), 0 if none.
   */
  private synchronized Long admit(boolean refusal, List<String[]> lineKeys) {
    long now = nanoClock.getAsLong();
    if (!refusal) {
      if (!actions.has(now)) {
        actionsSuppressed++;
        scheduleSummary();
        return null;
      }
      actions.take();
      long n = actionsSuppressed;
      actionsSuppressed = 0;
      return n;
    }
    List<KeyState> states = new ArrayList<>(lineKeys.size());
    for (String[] k : lineKeys) {
      states.add(keys.computeIfAbsent(k[0], x -> new KeyState(limits, now, k[1], k[2])));
    }
    boolean ok = refusals.has(now);
    for (KeyState s : states) {
      ok &= s.bucket.has(now);
    }
    KeyState owner = states.get(0);
    if (!ok) {
      owner.suppressed++;
      scheduleSummary();
      return null;
    }
    refusals.take();
    for (KeyState s : states) {
      s.bucket.take();
    }
    owner.lastLine = now;
    long n = owner.suppressed;
    owner.suppressed = 0;
    return n;
  }

  private void scheduleSummary() {
    if (!summaryScheduled) {
      summaryScheduled = true;
      SUMMARIES.schedule(
          this::summarize, limits.summaryEvery().toMillis() + 1, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Writes what was held back from remotes (and tokens) that have been quiet since: a line each for
   * the biggest counts, one line for the rest. Reschedules itself while counts remain.
   */
  void summarize() {
    List<Map<String, Object>> lines = new ArrayList<>();
    synchronized (this) {
      long now = nanoClock.getAsLong();
      long quiet = limits.summaryEvery().toNanos();
      List<KeyState> due = new ArrayList<>();
      boolean pending = false;
      for (KeyState s : keys.values()) {
        if (s.suppressed > 0) {
          if (now - s.lastLine >= quiet) {
            due.add(s);
          } else {
            pending = true;
          }
        }
      }
      due.sort(Comparator.comparingLong((KeyState s) -> s.suppressed).reversed());
      int own = limits.summaryLinesPerPeriod() - 1;
      long rest = forgottenSuppressed;
      int restKeys = forgottenKeys;
      forgottenSuppressed = 0;
      forgottenKeys = 0;
      for (int i = 0; i < due.size(); i++) {
        KeyState s = due.get(i);
        if (i < own) {
          lines.add(summary(s.remote, s.tokenId, s.suppressed, "refusals not logged one by one"));
        } else {
          rest += s.suppressed;
          restKeys++;
        }
        s.suppressed = 0;
        s.lastLine = now;
      }
      if (rest > 0) {
        lines.add(
            summary(null, null, rest, "refusals from " + restKeys + " more remotes or tokens"));
      }
      if (actionsSuppressed > 0) {
        lines.add(summary(null, null, actionsSuppressed, "changes over the rate limit"));
        actionsSuppressed = 0;
      }
      summaryScheduled = false;
      if (pending) {
        scheduleSummary();
      }
    }
    for (Map<String, Object> l : lines) {
      try {
        append(line(l, limits));
      } catch (IOException e) {
        // a summary thread has nobody to report to but the log
        LOG.log(System.Logger.Level.WARNING, "cannot write the audit log " + file + ": " + e);
      }
    }
  }

  private static Map<String, Object> summary(String remote, String tokenId, long n, String why) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("ts", Instant.now().toString());
    f.put("event", "suppressed");
    if (remote != null) {
      f.put("remote", remote);
    }
    if (tokenId != null) {
      f.put("token_id", tokenId);
    }
    f.put("suppressed", n);
    f.put("detail", n + " " + why);
    return f;
  }

  // ---- the line ----

  /**
   * The JSON line for {@code fields}: strings cleaned and capped, then the longest ones halved
   * until the line fits {@link Limits#maxLineBytes}.
   */
  static byte[] line(Map<String, Object> fields, Limits limits) {
    Map<String, String> originals = new LinkedHashMap<>();
    Map<String, Integer> caps = new LinkedHashMap<>();
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : fields.entrySet()) {
      Object v = e.getValue();
      if (v instanceof Number || v instanceof Boolean) {
        out.put(e.getKey(), v);
      } else {
        String s = clean(v instanceof String str ? str : GSON.toJson(v));
        originals.put(e.getKey(), s);
        caps.put(e.getKey(), FIXED.contains(e.getKey()) ? 64 : limits.maxFieldChars());
        out.put(e.getKey(), shorten(s, caps.get(e.getKey())));
      }
    }
    while (true) {
      byte[] b = (GSON.toJson(out) + "\n").getBytes(StandardCharsets.UTF_8);
      if (b.length <= limits.maxLineBytes()) {
        return b;
      }
      String longest = null;
      for (Map.Entry<String, String> e : originals.entrySet()) {
        String k = e.getKey();
        if (!FIXED.contains(k)
            && caps.get(k) > 16
            && e.getValue().length() > 16
            && (longest == null
                || ((String) out.get(k)).length() > ((String) out.get(longest)).length())) {
          longest = k;
        }
      }
      if (longest == null) {
        // nothing left to shorten (a caller with too many fields): keep what says what happened
        out.keySet().retainAll(Set.of("ts", "door", "event", "status", "remote", "suppressed"));
        out.put("truncated", true);
        b = (GSON.toJson(out) + "\n").getBytes(StandardCharsets.UTF_8);
        return b;
      }
      int cap = Math.max(16, Math.min(caps.get(longest), originals.get(longest).length()) / 2);
      caps.put(longest, cap);
      out.put(longest, shorten(originals.get(longest), cap));
    }
  }

  /** Control and format characters (escapes, bidi overrides, zero-width marks) become '?'. */
  static String clean(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int t = Character.getType(c);
      if (t == Character.CONTROL || t == Character.FORMAT) {
        if (sb == null) {
          sb = new StringBuilder(s.length()).append(s, 0, i);
        }
        sb.append('?');
      } else if (sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  /** At most {@code max} characters, then {@code …(N chars)} if it was longer. */
  static String shorten(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end) + "…(" + s.length() + " chars)";
  }

  // ---- the file ----

  private void append(byte[] line) throws IOException {
    FileModes.ensurePrivateDir(file.getParent().getParent());
    FileModes.ensurePrivateDir(file.getParent());
    FileLocks.withLock(
        lockFile,
        "the audit log",
        Duration.ofSeconds(5),
        () -> {
          long size;
          try {
            size = Files.size(file);
          } catch (NoSuchFileException e) {
            size = 0;
          }
          if (size > 0 && size + line.length > limits.rotateBytes()) {
            rotate();
          }
          write(line);
          return null;
        });
  }

  /** {@code audit.jsonl} → {@code .1} → … → {@code .keep}; the oldest is overwritten. */
  private void rotate() throws IOException {
    if (limits.keep() == 0) {
      Files.deleteIfExists(file);
      return;
    }
    for (int i = limits.keep(); i >= 1; i--) {
      Path from = i == 1 ? file : rotated(file, i - 1);
      if (Files.exists(from)) {
        Files.move(from, rotated(file, i), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private void write(byte[] line) throws IOException {
    Set<StandardOpenOption> options =
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    try (FileChannel ch =
        Files.exists(file)
            ? FileChannel.open(file, options)
            : FileChannel.open(
                file,
                options,
                PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")))) {
      ByteBuffer b = ByteBuffer.wrap(line);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }
}
