package dev.hack.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The system-specific calls {@link ArchitectureTest} cannot see, because they are strings: javac
 * folds a constant into the code that uses it, so no class depends on anything for {@code
 * Path.of("/proc/…")}, {@code new ProcessBuilder("setsid", …)} or {@code
 * System.getProperty("os.name")}. This test reads the main sources of every module instead and
 * fails on a string literal that names one, outside {@code dev.hack.node.platform}. Comments may
 * name them (they explain why the platform does).
 */
class LinuxOnlyCallsTest {
  private static final List<String> MODULES = List.of("api", "keys", "sshd-node", "tui", "cli");
  private static final Path PLATFORM = Path.of("dev", "hack", "node", "platform");

  /** A string literal a class outside the platform must not hold, and what to call instead. */
  record Forbidden(Pattern pattern, String instead) {}

  static final List<Forbidden> FORBIDDEN =
      List.of(
          new Forbidden(
              Pattern.compile("(^|[^\\w.])/(proc|sys)(/|$)"),
              "/proc and /sys are Linux's: ask Platform (foregroundProcessGroup, …)"),
          new Forbidden(
              Pattern.compile("(^|/)setsid$"),
              "setsid(1) is util-linux's: Platform.newSessionCommand()"),
          new Forbidden(
              Pattern.compile("^os\\.name$"),
              "the system is Platform.current(): ask it what you need"));

  @Test
  void noMainSourceOutsideThePlatformNamesALinuxOnlyPathCommandOrTheOsName() throws IOException {
    List<String> found = new ArrayList<>();
    for (Path file : mainSources()) {
      if (file.toString().contains("/" + PLATFORM + "/")) {
        continue;
      }
      for (Literal l : literals(Files.readString(file))) {
        for (Forbidden f : FORBIDDEN) {
          if (f.pattern().matcher(l.text()).find()) {
            found.add(file + ":" + l.line() + ": \"" + l.text() + "\": " + f.instead());
          }
        }
      }
    }
    assertThat(found).as("Linux-only calls outside dev.hack.node.platform").isEmpty();
  }

  @Test
  void theScanReadsEveryModuleAndWouldCatchWhatThePlatformHolds() throws IOException {
    List<Path> sources = mainSources();
    for (String module : MODULES) {
      assertThat(sources).as(module).anyMatch(p -> p.startsWith(root().resolve(module)));
    }
    Path linux =
        sources.stream().filter(p -> p.endsWith("LinuxPlatform.java")).findFirst().orElseThrow();
    List<Literal> ls = literals(Files.readString(linux));
    assertThat(ls).anyMatch(l -> FORBIDDEN.get(0).pattern().matcher(l.text()).find());
    assertThat(ls).anyMatch(l -> FORBIDDEN.get(1).pattern().matcher(l.text()).find());
  }

  @Test
  void literalsAreFoundButNotCommentsCharactersOrNames() {
    String source =
        """
        // Path.of("/proc/1/stat") in a comment
        /* "setsid" in a block comment, "os.name" too */
        class A {
          char q = '"';
          String a = "/proc/" + pid + "/stat", b = "a \\" quote /* not a comment */";
          String setsid = "x"; // a name, not a literal
          String t = \"""
              /usr/bin/setsid
              \""";
        }
        """;
    List<Literal> ls = literals(source);
    assertThat(ls)
        .extracting(Literal::text)
        .containsExactly(
            "/proc/",
            "/stat",
            "a \\\" quote /* not a comment */",
            "x",
            "      /usr/bin/setsid\n      ");
    assertThat(ls.get(0).line()).isEqualTo(5);
    assertThat(FORBIDDEN.get(0).pattern().matcher("/proc/").find()).isTrue();
    assertThat(FORBIDDEN.get(0).pattern().matcher("/localapi/v0/proc").find()).isFalse();
    assertThat(FORBIDDEN.get(0).pattern().matcher("/processes").find()).isFalse();
    assertThat(FORBIDDEN.get(1).pattern().matcher("/usr/bin/setsid").find()).isTrue();
    assertThat(FORBIDDEN.get(1).pattern().matcher("setsids").find()).isFalse();
  }

  /** A string literal's text as written (escapes kept), and the line it starts on. */
  record Literal(String text, int line) {}

  /** The string literals and text blocks of Java source {@code s}, skipping comments and chars. */
  static List<Literal> literals(String s) {
    List<Literal> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (s.startsWith("//", i)) {
        while (i < s.length() && s.charAt(i) != '\n') {
          i++;
        }
      } else if (s.startsWith("/*", i)) {
        int end = s.indexOf("*/", i + 2);
        end = end < 0 ? s.length() : end + 2;
        line += count(s, i, end);
        i = end;
      } else if (s.startsWith("\"\"\"", i)) {
        int start = s.indexOf('\n', i) + 1; // a text block starts on the next line
        int j = start;
        while (j < s.length() && !s.startsWith("\"\"\"", j)) {
          j += s.charAt(j) == '\\' ? 2 : 1;
        }
        out.add(new Literal(s.substring(start, j), line + 1));
        line += count(s, i, j);
        i = j + 3;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c && s.charAt(j) != '\n') {
          j += s.charAt(j) == '\\' ? 2 : 1;
        }
        if (c == '"') {
          out.add(new Literal(s.substring(i + 1, j), line));
        }
        i = j + 1;
      } else {
        i++;
      }
    }
    return out;
  }

  private static int count(String s, int from, int to) {
    int n = 0;
    for (int k = from; k < to; k++) {
      if (s.charAt(k) == '\n') {
        n++;
      }
    }
    return n;
  }

  private static List<Path> mainSources() throws IOException {
    List<Path> all = new ArrayList<>();
    for (String module : MODULES) {
      Path dir = root().resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(dir)) {
        files.filter(p -> p.toString().endsWith(".java")).forEach(all::add);
      }
    }
    return all;
  }

  /** The checkout: the directory above this module that holds every module. */
  private static Path root() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("sshd-node/src/main/java"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "no sshd-node/src/main/java above " + Path.of("").toAbsolutePath());
    }
    return p;
  }
}
