package dev.hack.cli;

import dev.hack.keys.HackHome;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The node as a launchd LaunchAgent on macOS, {@code ~/Library/LaunchAgents/dev.hack.node.plist}:
 * loaded at login ({@code RunAtLoad}) and started again whenever it exits ({@code KeepAlive}).
 * Since launchd restarts a kept-alive job that merely exits, stopping it unloads it ({@code
 * launchctl bootout}); the next {@code hack daemon start}, or the next login, loads it again.
 *
 * <p>Untested on a Mac: the plist is generated and parsed in the tests here, the {@code launchctl}
 * calls are not run (docs/daemon.md).
 */
final class Launchd implements ServiceManager {
  static final String LABEL = "dev.hack.node";
  private static final Duration LAUNCHCTL_TIMEOUT = Duration.ofSeconds(60);

  private final Path plist;
  private final String domain;

  /**
   * @param plist where the agent's plist is written
   * @param domain launchd's domain of the user, {@code gui/UID}
   */
  Launchd(Path plist, String domain) {
    this.plist = plist;
    this.domain = domain;
  }

  /** This user's agent. */
  static Launchd agent() {
    long uid = new com.sun.security.auth.module.UnixSystem().getUid();
    return new Launchd(
        Path.of(System.getProperty("user.home"), "Library/LaunchAgents", LABEL + ".plist"),
        "gui/" + uid);
  }

  @Override
  public String kind() {
    return "launchd";
  }

  @Override
  public String describe() {
    return "launchd agent " + LABEL;
  }

  @Override
  public Optional<Path> unitFile() {
    return Optional.of(plist);
  }

  @Override
  public Path jar(HackHome home) {
    return NodeLaunch.jarIn(home);
  }

  boolean installedFor(HackHome home) {
    return servedHome().map(h -> h.equals(home.root())).orElse(false);
  }

  /** The {@code HACK_HOME} in the plist on disk, if there is one. */
  Optional<Path> servedHome() {
    try {
      if (!Files.isRegularFile(plist)) {
        return Optional.empty();
      }
      Object env =
          parse(Files.readString(plist, StandardCharsets.UTF_8)).get("EnvironmentVariables");
      if (env instanceof Map<?, ?> m && m.get("HACK_HOME") instanceof String h) {
        return Optional.of(Path.of(h));
      }
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // unreadable or not ours: it runs no node of ours
    }
  }

  // ---- the plist

  @Override
  public String unitText(NodeLaunch launch) {
    StringBuilder p = new StringBuilder();
    p.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    p.append(
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\""
            + " \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n");
    p.append("<!-- hack's node, written by `hack daemon install` (docs/daemon.md);")
        .append(" `hack daemon uninstall` removes it. -->\n");
    p.append("<plist version=\"1.0\">\n<dict>\n");
    key(p, "Label").append("  <string>").append(LABEL).append("</string>\n");
    key(p, "ProgramArguments").append("  <array>\n");
    for (String a : launch.argv()) {
      p.append("    <string>").append(xml(a)).append("</string>\n");
    }
    p.append("  </array>\n");
    key(p, "EnvironmentVariables").append("  <dict>\n");
    for (Map.Entry<String, String> e : launch.env().entrySet()) {
      p.append("    <key>").append(xml(e.getKey())).append("</key>\n");
      p.append("    <string>").append(xml(e.getValue())).append("</string>\n");
    }
    p.append("  </dict>\n");
    key(p, "WorkingDirectory")
        .append("  <string>")
        .append(xml(System.getProperty("user.home")))
        .append("</string>\n");
    key(p, "RunAtLoad").append("  <true/>\n");
    key(p, "KeepAlive").append("  <true/>\n");
    // at most one start every 10 s when it keeps failing
    key(p, "ThrottleInterval").append("  <integer>10</integer>\n");
    // what the JVM itself prints before the node's own log is open (a bad option, a crash)
    String log = xml(NodeLaunch.log(launch.home()).toString());
    key(p, "StandardOutPath").append("  <string>").append(log).append("</string>\n");
    key(p, "StandardErrorPath").append("  <string>").append(log).append("</string>\n");
    // a terminal server: not throttled as a background job is
    key(p, "ProcessType").append("  <string>Interactive</string>\n");
    // a tmux server the node started, and its sessions, outlive the node
    key(p, "AbandonProcessGroup").append("  <true/>\n");
    p.append("</dict>\n</plist>\n");
    return p.toString();
  }

  private static StringBuilder key(StringBuilder p, String key) {
    return p.append("  <key>").append(key).append("</key>\n");
  }

  /**
   * Text as XML character data.
   *
   * @throws IllegalArgumentException for a control character, which XML 1.0 cannot hold
   */
  static String xml(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        default -> {
          if (Character.isISOControl(c)) {
            throw new IllegalArgumentException(
                "a plist cannot hold a control character: "
                    + dev.hack.node.api.Json.GSON.toJson(s));
          }
          out.append(c);
        }
      }
    }
    return out.toString();
  }

  /**
   * A property list's top-level dict: strings, booleans, integers, arrays (as {@code List}) and
   * dicts (as {@code Map}). Parsed with the JDK's XML parser, which never fetches the DTD.
   *
   * @throws IOException when it is not XML, or not a plist with a dict in it
   */
  static Map<String, Object> parse(String text) throws IOException {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      f.setExpandEntityReferences(false);
      Element root =
          f.newDocumentBuilder()
              .parse(new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)))
              .getDocumentElement();
      if (!root.getTagName().equals("plist")) {
        throw new IOException("not a plist: the root element is <" + root.getTagName() + ">");
      }
      List<Element> top = children(root);
      if (top.size() != 1 || !top.get(0).getTagName().equals("dict")) {
        throw new IOException("not a plist with one dict in it");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> dict = (Map<String, Object>) value(top.get(0));
      return dict;
    } catch (ParserConfigurationException | SAXException e) {
      throw new IOException("not a well-formed plist: " + e.getMessage(), e);
    }
  }

  private static Object value(Element e) throws IOException {
    switch (e.getTagName()) {
      case "string":
        return e.getTextContent();
      case "integer":
        try {
          return Long.parseLong(e.getTextContent().strip());
        } catch (NumberFormatException x) {
          throw new IOException("not an integer: " + e.getTextContent(), x);
        }
      case "true":
        return Boolean.TRUE;
      case "false":
        return Boolean.FALSE;
      case "array":
        List<Object> list = new ArrayList<>();
        for (Element c : children(e)) {
          list.add(value(c));
        }
        return list;
      case "dict":
        Map<String, Object> map = new LinkedHashMap<>();
        List<Element> kids = children(e);
        if (kids.size() % 2 != 0) {
          throw new IOException("a dict with a key and no value");
        }
        for (int i = 0; i < kids.size(); i += 2) {
          if (!kids.get(i).getTagName().equals("key")) {
            throw new IOException(
                "a dict entry without its <key>: <" + kids.get(i).getTagName() + ">");
          }
          map.put(kids.get(i).getTextContent(), value(kids.get(i + 1)));
        }
        return map;
      default:
        throw new IOException("a plist element hack does not write: <" + e.getTagName() + ">");
    }
  }

  private static List<Element> children(Element e) {
    List<Element> out = new ArrayList<>();
    for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element c) {
        out.add(c);
      }
    }
    return out;
  }

  // ---- launchctl

  private Systemd.Result launchctl(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("launchctl");
    cmd.addAll(List.of(args));
    return Systemd.run(cmd, LAUNCHCTL_TIMEOUT);
  }

  private void must(String... args) throws IOException {
    Systemd.Result r = launchctl(args);
    if (r.exit() != 0) {
      throw new IOException(
          "launchctl "
              + String.join(" ", args)
              + " failed"
              + (r.out().isEmpty() ? "" : ": " + r.out().replace('\n', ' ')));
    }
  }

  private String service() {
    return domain + "/" + LABEL;
  }

  private boolean loaded() throws IOException {
    return launchctl("print", service()).exit() == 0;
  }

  @Override
  public Optional<Process> start(NodeLaunch launch) throws IOException {
    launch.installJar();
    if (loaded()) {
      must("kickstart", service());
    } else {
      must("bootstrap", domain, plist.toString()); // RunAtLoad starts it
    }
    return Optional.empty();
  }

  @Override
  public void stop(RunningNode running) throws IOException {
    if (loaded()) {
      must("bootout", service()); // KeepAlive would start it again after a mere kill
    }
  }

  @Override
  public boolean restart(NodeLaunch launch) throws IOException {
    launch.installJar();
    if (loaded()) {
      must("kickstart", "-k", service());
    } else {
      must("bootstrap", domain, plist.toString());
    }
    return true;
  }

  @Override
  public Optional<String> state() {
    try {
      Systemd.Result r = launchctl("print", service());
      if (r.exit() != 0) {
        return Optional.of("not loaded");
      }
      Matcher m = Pattern.compile("(?m)^\\s*state = (.+)$").matcher(r.out());
      return Optional.of("loaded, " + (m.find() ? m.group(1).strip() : "state unknown"));
    } catch (IOException e) {
      return Optional.of("launchctl: " + e.getMessage());
    }
  }

  @Override
  public Optional<Long> mainPid() {
    try {
      Systemd.Result r = launchctl("print", service());
      Matcher m = Pattern.compile("(?m)^\\s*pid = (\\d+)\\s*$").matcher(r.out());
      return r.exit() == 0 && m.find() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  @Override
  public void install(NodeLaunch launch, PrintStream out) throws IOException {
    Optional<Path> other = servedHome().filter(h -> !h.equals(launch.home().root()));
    if (other.isPresent()) {
      throw new IOException(
          plist
              + " already runs the node of "
              + other.get()
              + "; remove it first with: HACK_HOME="
              + other.get()
              + " hack daemon uninstall");
    }
    launch.installJar();
    Files.createDirectories(plist.getParent());
    Path tmp = plist.resolveSibling(plist.getFileName() + ".tmp");
    Files.writeString(tmp, unitText(launch), StandardCharsets.UTF_8);
    Files.move(tmp, plist, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    out.println("wrote " + plist);
    if (loaded()) {
      must("bootout", service()); // loaded from the old plist: load the new one
    }
    must("bootstrap", domain, plist.toString());
    out.println(
        "loaded "
            + LABEL
            + ": launchd starts the node when you log in, and again whenever it exits");
  }

  @Override
  public void uninstall(Path home, PrintStream out) throws IOException {
    if (!Files.exists(plist)) {
      out.println("no " + describe() + " is installed (" + plist + "); nothing to do");
      return;
    }
    Optional<Path> served = servedHome();
    if (served.isPresent() && !served.get().equals(home)) {
      throw new IOException(
          plist
              + " runs the node of "
              + served.get()
              + ", not of "
              + home
              + "; to remove it: HACK_HOME="
              + served.get()
              + " hack daemon uninstall");
    }
    if (loaded()) {
      must("bootout", service());
    }
    Files.delete(plist);
    out.println("unloaded " + LABEL + ", removed " + plist);
  }
}
