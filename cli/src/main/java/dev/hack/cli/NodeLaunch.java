package dev.hack.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The command line of a node that runs without a terminal: {@code JAVA JVM-OPTIONS -jar JAR node
 * serve --log-file HACK_HOME/daemon/node.log SERVE-ARGS}, the same whether hack starts it in the
 * background or a service manager does (docs/daemon.md).
 *
 * @param java the java executable: the one running this command
 * @param jvmOptions what {@code scripts/hack} gives a node ({@link #NODE_JVM_OPTIONS}), then the
 *     words of {@code HACK_JAVA_OPTS}
 * @param jar the jar the node runs from: a copy of this hack's jar ({@link #installJar}), so that
 *     rebuilding or upgrading hack never changes the classes under a running node
 * @param home the node's {@code HACK_HOME}
 * @param serveArgs options for {@code node serve}, as given to {@code hack daemon start|install}
 * @param env variables the node gets beyond its service manager's (a unit's {@code Environment=}):
 *     {@code HACK_HOME}, and the {@code PATH} and locale of whoever installed it, which sessions
 *     inherit
 * @param source the jar {@link #installJar} copies to {@code jar}; null for the one this hack runs
 *     from
 */
record NodeLaunch(
    Path java,
    List<String> jvmOptions,
    Path jar,
    HackHome home,
    List<String> serveArgs,
    Map<String, String> env,
    Path source) {
  /**
   * A node's JVM options, as {@code scripts/hack} gives them: the serial collector (the node's heap
   * is small; docs/performance.md), and an out-of-memory error ends the JVM instead of leaving a
   * half-alive node, so that the service manager starts a whole one again (docs/security.md).
   */
  static final List<String> NODE_JVM_OPTIONS =
      List.of("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");

  /** The variables of the installing shell that a service's node keeps (sessions inherit them). */
  static final List<String> KEPT_ENV = List.of("PATH", "LANG", "LC_ALL", "LC_CTYPE");

  NodeLaunch {
    Objects.requireNonNull(java, "java");
    Objects.requireNonNull(jar, "jar");
    Objects.requireNonNull(home, "home");
    jvmOptions = List.copyOf(jvmOptions);
    serveArgs = List.copyOf(serveArgs);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  /**
   * The launch of this hack's node for {@code home}: this JVM's java, the node's JVM options and
   * {@code HACK_JAVA_OPTS}, the jar at {@link #jarIn}, and {@code HACK_HOME} plus {@link #KEPT_ENV}
   * from this process's environment.
   */
  static NodeLaunch of(HackHome home, Path jar, List<String> serveArgs) {
    List<String> jvm = new ArrayList<>(NODE_JVM_OPTIONS);
    String extra = System.getenv("HACK_JAVA_OPTS");
    if (extra != null && !extra.isBlank()) {
      jvm.addAll(List.of(extra.strip().split("\\s+"))); // as scripts/hack splits them
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HACK_HOME", home.root().toString());
    for (String name : KEPT_ENV) {
      String v = System.getenv(name);
      if (v != null && !v.isEmpty()) {
        env.put(name, v);
      }
    }
    return new NodeLaunch(
        Path.of(System.getProperty("java.home"), "bin", "java"),
        jvm,
        jar,
        home,
        serveArgs,
        env,
        null);
  }

  /** {@code HACK_HOME/daemon/node.log}: where a node without a terminal writes. */
  static Path log(HackHome home) {
    return home.daemonDir().resolve("node.log");
  }

  /**
   * {@code HACK_HOME/daemon/node.next}: while a node started with {@code node serve --take-over}
   * waits for the running one to end, it holds that node's pid. A restart stops the old node once
   * this names its new one.
   */
  static Path nextFile(HackHome home) {
    return home.daemonDir().resolve("node.next");
  }

  /** Writes this process's pid to {@code next}; a failure only costs a restart its overlap. */
  static void markNext(Path next) {
    try {
      FileModes.writeAtomically(
          next, (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8), false);
    } catch (IOException e) {
      System.err.println("hack: warning: cannot write " + next + ": " + e.getMessage());
    }
  }

  /** Whether {@code next} names process {@code pid} ({@link #markNext}). */
  static boolean nextIs(Path next, long pid) {
    try {
      return Files.readString(next, StandardCharsets.UTF_8).strip().equals(Long.toString(pid));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The node's jar when hack keeps it in the home: {@code HACK_HOME/daemon/hack.jar}. */
  static Path jarIn(HackHome home) {
    return home.daemonDir().resolve("hack.jar");
  }

  /**
   * The class-data-sharing archive a node started from {@code jar} maps its classes from: {@code
   * JAR.jsa} beside it, made by {@link #installJar} ({@link #makeArchive}). About a third off the
   * node's start (docs/performance.md).
   */
  static Path archive(Path jar) {
    return jar.resolveSibling(jar.getFileName() + ".jsa");
  }

  /**
   * The options that map {@link #archive}: a JVM that cannot (no archive yet, or one of another jar
   * or JDK) starts without it and says nothing.
   */
  static List<String> archiveOptions(Path jar) {
    return List.of(
        "-XX:SharedArchiveFile=" + archive(jar),
        "-Xshare:auto",
        "-Xlog:cds=off",
        "-Xlog:cds+dynamic=off");
  }

  /** The whole command line. */
  List<String> argv() {
    List<String> argv = new ArrayList<>();
    argv.add(java.toString());
    argv.addAll(jvmOptions);
    argv.addAll(archiveOptions(jar));
    argv.add("-jar");
    argv.add(jar.toString());
    argv.add("node");
    argv.add("serve");
    argv.add("--log-file");
    argv.add(log(home).toString());
    argv.addAll(serveArgs);
    return argv;
  }

  /** The jar this hack runs from. */
  static Path thisJar() throws IOException {
    try {
      Path p =
          Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI())
              .toAbsolutePath();
      if (!Files.isRegularFile(p)) {
        throw new IOException(
            "hack runs from " + p + ", not from a jar; build it with: mvn -B package");
      }
      return p;
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      throw new IOException("cannot tell which jar hack runs from: " + e, e);
    }
  }

  /**
   * Puts a copy of this hack's jar at {@link #jar}, creating {@code HACK_HOME/daemon} (0700) for it
   * when it goes there. Returns whether it changed.
   */
  boolean installJar() throws IOException {
    if (jar.startsWith(home.daemonDir())) {
      FileModes.ensurePrivateDir(home.root());
      FileModes.ensurePrivateDir(home.daemonDir());
    }
    boolean changed = copyJar(source != null ? source : thisJar(), jar);
    if (changed) {
      Files.deleteIfExists(archive(jar));
      Files.deleteIfExists(noArchive(jar));
    }
    if (!Files.exists(archive(jar)) && !Files.exists(noArchive(jar))) {
      makeArchive();
    }
    return changed;
  }

  /** Left where {@link #makeArchive} failed, so that each start does not try again. */
  private static Path noArchive(Path jar) {
    return jar.resolveSibling(jar.getFileName() + ".jsa.none");
  }

  /**
   * Makes {@link #archive}: runs {@code cds-warmup --node} (a throwaway node that a client uses;
   * {@link NodeWarmup}) from {@link #jar} in a JVM that archives the classes it loaded when it
   * exits. A few seconds, once per jar; while it runs, a running node still serves. When it fails
   * the node starts without an archive, and so does every later start from this jar.
   */
  void makeArchive() throws IOException {
    Path target = archive(jar);
    Path tmp =
        target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    List<String> cmd = new ArrayList<>(List.of(java.toString()));
    cmd.addAll(NODE_JVM_OPTIONS);
    cmd.addAll(
        List.of(
            "-XX:ArchiveClassesAtExit=" + tmp,
            "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off",
            "-jar",
            jar.toString(),
            "cds-warmup",
            "--node"));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.equals("HACK_HOME"));
    try {
      Process p = pb.start();
      boolean done = p.waitFor(90, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly().waitFor();
      }
      if (done && p.exitValue() == 0 && Files.size(tmp) > 0) {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return;
      }
    } catch (IOException e) {
      // below: no archive
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return; // not its failure: the next start tries again
    } finally {
      Files.deleteIfExists(tmp);
    }
    Files.write(noArchive(jar), new byte[0]);
  }

  /**
   * Puts a copy of {@code from} at {@code target}, unless it is already the same bytes. The copy is
   * renamed into place, so a node running from the old one keeps its open file. Returns whether it
   * changed.
   */
  static boolean copyJar(Path from, Path target) throws IOException {
    if (from.toAbsolutePath().equals(target.toAbsolutePath())
        || (Files.isRegularFile(target) && Files.mismatch(from, target) == -1)) {
      return false;
    }
    Files.createDirectories(target.getParent());
    Path tmp =
        target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return true;
  }

  private static Path rememberedFile(HackHome home) {
    return home.daemonDir().resolve("daemon.json");
  }

  /**
   * Keeps {@code serveArgs} in {@code HACK_HOME/daemon/daemon.json}, for {@code hack daemon
   * restart} without options.
   */
  void remember() throws IOException {
    JsonObject o = new JsonObject();
    JsonArray args = new JsonArray();
    serveArgs.forEach(args::add);
    o.add("serve_args", args);
    FileModes.ensurePrivateDir(home.daemonDir());
    FileModes.writeAtomically(
        rememberedFile(home), Json.PRETTY.toJson(o).getBytes(StandardCharsets.UTF_8), false);
  }

  /** The {@code node serve} options of the last {@code hack daemon start}; none if unknown. */
  static List<String> remembered(HackHome home) {
    try {
      JsonObject o =
          JsonParser.parseString(Files.readString(rememberedFile(home), StandardCharsets.UTF_8))
              .getAsJsonObject();
      List<String> out = new ArrayList<>();
      for (JsonElement e : o.getAsJsonArray("serve_args")) {
        out.add(e.getAsString());
      }
      return out;
    } catch (IOException | RuntimeException e) {
      return List.of(); // never written, or hand-edited: the defaults
    }
  }
}
