package dev.hack.node.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.mesh.tailscale.WhoIs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Who may log in by tailnet identity, as what, and what each role may run. */
class TailnetLoginsTest {
  private static WhoIs person(String login, Map<String, List<String>> capMap) {
    return new WhoIs(
        "nLAPTOP1CNTRL",
        "alices-laptop.tail1234.ts.net.",
        "alices-laptop",
        "Alices-MacBook-Pro",
        "macOS",
        List.of("100.66.0.2", "fd7a:115c:a1e0::cc01:2"),
        List.of(),
        login,
        "Alice Example",
        capMap);
  }

  private static WhoIs tagged(String... tags) {
    return new WhoIs(
        "nBUILD1CNTRL",
        "build-box.tail1234.ts.net.",
        "build-box",
        "build-box",
        "linux",
        List.of("100.90.1.2"),
        List.of(tags),
        "tagged-devices",
        "Tagged Devices",
        Map.of());
  }

  private static TailnetLogins.Verdict judge(WhoIs who, String... allowed) {
    return TailnetLogins.judge(who, List.of(allowed), TailnetRole.CONTROL, "100.66.0.2:61001");
  }

  @Test
  void aListedPersonIsLetInWhateverTheCaseOfTheLogin() {
    TailnetLogins.Verdict v = judge(person("Alice@Example.com", null), "alice@example.com");

    assertThat(v.login()).isNotNull();
    assertThat(v.login().who()).isEqualTo("Alice@Example.com");
    assertThat(v.login().nodeName()).isEqualTo("alices-laptop.tail1234.ts.net");
    assertThat(v.login().role()).isEqualTo(TailnetRole.CONTROL);
    assertThat(v.login().remote()).isEqualTo("100.66.0.2:61001");
  }

  @Test
  void aPersonWhoIsNotListedIsRefusedWithOneSentence() {
    TailnetLogins.Verdict v = judge(person("bob@example.com", null), "alice@example.com", "tag:ci");

    assertThat(v.login()).isNull();
    assertThat(v.refusal())
        .isEqualTo(
            "tailnet login refused for bob@example.com on alices-laptop.tail1234.ts.net from"
                + " 100.66.0.2:61001: not listed in ssh.tailscaleUsers; keys only");
    assertThat(v.trouble()).isFalse();
  }

  @Test
  void aTaggedNodeIsJudgedByItsTagsOnly() {
    assertThat(judge(tagged("tag:ci", "tag:hack"), "tag:hack").login()).isNotNull();
    assertThat(judge(tagged("tag:ci"), "tag:prod").login()).isNull();
    // its owner's login is Tailscale's placeholder, never a person to match
    assertThat(judge(tagged("tag:ci"), "tagged-devices").login()).isNull();
    // and a person is never let in by a tag
    assertThat(judge(person("alice@example.com", null), "tag:ci").login()).isNull();
  }

  @Test
  void theCapabilitySetsTheRoleAndTheHighestValueWins() {
    String cap = TailnetLogins.CAPABILITY;
    assertThat(TailnetLogins.roleOf(person("a@b", null), TailnetRole.ATTACH))
        .isEqualTo(TailnetRole.ATTACH);
    assertThat(
            TailnetLogins.roleOf(
                person("a@b", Map.of(cap, List.of("{\"role\":\"view\"}"))), TailnetRole.CONTROL))
        .isEqualTo(TailnetRole.VIEW);
    assertThat(
            TailnetLogins.roleOf(
                person(
                    "a@b", Map.of(cap, List.of("{\"role\":\"view\"}", "{\"role\":\"control\"}"))),
                TailnetRole.VIEW))
        .isEqualTo(TailnetRole.CONTROL);
    // a capability that names no role we know gives the least, not the default
    assertThat(
            TailnetLogins.roleOf(
                person("a@b", Map.of(cap, List.of("{\"role\":\"admin\"}", "\"control\""))),
                TailnetRole.CONTROL))
        .isEqualTo(TailnetRole.VIEW);
    // other capabilities do not matter
    assertThat(
            TailnetLogins.roleOf(
                person("a@b", Map.of("hack.dev/cap/session", List.of("{\"role\":\"view\"}"))),
                TailnetRole.CONTROL))
        .isEqualTo(TailnetRole.CONTROL);
  }

  @Test
  void eachCommandNeedsTheRoleTheTableGivesIt() {
    assertThat(needs("ls")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("ls --all --json")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("peek s1 --log")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("logs s1 --follow")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("status --json")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("attach s1 --read-only")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("job list")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("peer whoami")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("attach s1")).isEqualTo(TailnetRole.ATTACH);
    assertThat(needs("send s1 hi")).isEqualTo(TailnetRole.ATTACH);
    assertThat(needs("new -- true")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("stop s1")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("rm s1")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("tmux main")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("job start -- true")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("job cancel j1")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("peer rm b")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("hub list")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("hub rm h")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("frobnicate")).isEqualTo(TailnetRole.CONTROL);
    // the raw words decide before anything is parsed: only a real option counts
    assertThat(needs("attach s1 -- --read-only")).isEqualTo(TailnetRole.ATTACH);
    assertThat(needs("attach s1 --read-only=false")).isEqualTo(TailnetRole.ATTACH);
    assertThat(needs("stop s1 --help")).isEqualTo(TailnetRole.VIEW);
    assertThat(needs("new -- bash --help")).isEqualTo(TailnetRole.CONTROL);
    assertThat(needs("stop @/etc/shadow")).isEqualTo(TailnetRole.CONTROL);
    assertThat(SshCommands.needs(ShellWords.split("job start -- true")).what())
        .isEqualTo("job start");
    assertThat(SshCommands.refusal(TailnetRole.VIEW, "attach", TailnetRole.ATTACH))
        .isEqualTo("your tailnet role is view; attach needs attach");
  }

  private static TailnetRole needs(String line) {
    return SshCommands.needs(ShellWords.split(line)).role();
  }

  @Test
  void addressesAreWrittenShort() throws Exception {
    assertThat(hostPort("fd7a:115c:a1e0:0:0:0:cc01:2", 22))
        .isEqualTo("[fd7a:115c:a1e0::cc01:2]:22");
    assertThat(hostPort("::1", 22)).isEqualTo("[::1]:22");
    assertThat(hostPort("::", 22)).isEqualTo("[::]:22");
    assertThat(hostPort("1:0:0:2:0:0:0:3", 22)).isEqualTo("[1:0:0:2::3]:22");
    assertThat(hostPort("1:0:2:3:4:5:6:7", 22)).isEqualTo("[1:0:2:3:4:5:6:7]:22");
    assertThat(hostPort("100.66.0.2", 61001)).isEqualTo("100.66.0.2:61001");
  }

  private static String hostPort(String ip, int port) throws Exception {
    return TailnetLogins.hostPort(new InetSocketAddress(InetAddress.getByName(ip), port));
  }

  @Test
  void thePickerOfAViewLoginMayLookButNotTouch() throws Exception {
    Recording under = new Recording();
    ChannelApp.Channel view = new TailnetRoleChannel(under, TailnetRole.VIEW);

    assertThat(view.sessions()).isEmpty();
    view.attach("s1", true);
    view.onPeer("b", "ls --json --last-line", Duration.ofSeconds(1));
    assertThatThrownBy(() -> view.attach("s1", false))
        .isInstanceOf(IOException.class)
        .hasMessage("your tailnet role is view; attach needs attach");
    assertThatThrownBy(() -> view.create(null, null, null, ""))
        .hasMessage("your tailnet role is view; new needs control");
    assertThatThrownBy(() -> view.stop("s1"))
        .hasMessage("your tailnet role is view; stop needs control");
    assertThatThrownBy(() -> view.restart("s1"))
        .hasMessage("your tailnet role is view; restart needs control");
    assertThatThrownBy(() -> view.onPeer("b", "new --json -- true", Duration.ofSeconds(1)))
        .hasMessage("your tailnet role is view; new needs control");
    assertThat(under.calls)
        .containsExactly("sessions", "attach s1 true", "onPeer b ls --json --last-line");

    ChannelApp.Channel attach = new TailnetRoleChannel(under, TailnetRole.ATTACH);
    attach.attach("s1", false);
    assertThatThrownBy(() -> attach.stop("s1")).hasMessageContaining("stop needs control");
    new TailnetRoleChannel(under, TailnetRole.CONTROL).stop("s1");
    assertThat(under.calls).endsWith("attach s1 false", "stop s1");
  }

  /** A channel that records what reached it. */
  private static final class Recording implements ChannelApp.Channel {
    final List<String> calls = new ArrayList<>();

    @Override
    public PtySize size() {
      return new PtySize(80, 24);
    }

    @Override
    public Map<String, String> env() {
      return Map.of();
    }

    @Override
    public void send(byte[] data, int off, int len, Runnable onSent) {
      onSent.run();
    }

    @Override
    public void exit(int code) {
      calls.add("exit " + code);
    }

    @Override
    public NodeStatus status() {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<SessionInfo> sessions() {
      calls.add("sessions");
      return List.of();
    }

    @Override
    public String lastLine(String id) {
      return "";
    }

    @Override
    public List<String> preview(String id, boolean log, int lines) {
      return List.of();
    }

    @Override
    public SessionInfo create(String name, String type, String cwd, String commandLine) {
      calls.add("create");
      return null;
    }

    @Override
    public void stop(String id) {
      calls.add("stop " + id);
    }

    @Override
    public void restart(String id) {
      calls.add("restart " + id);
    }

    @Override
    public CompletableFuture<ChannelApp.AttachEnd> attach(String id, boolean readOnly) {
      calls.add("attach " + id + " " + readOnly);
      return new CompletableFuture<>();
    }

    @Override
    public String onPeer(String peer, String command, Duration limit) {
      calls.add("onPeer " + peer + " " + command);
      return "[]";
    }
  }
}
