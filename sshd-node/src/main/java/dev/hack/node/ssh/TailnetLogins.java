package dev.hack.node.ssh;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.mesh.tailscale.WhoIs;
import dev.hack.node.mesh.tailscale.WhoIsResult;
import dev.hack.node.service.NodeContext;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.Service;
import org.apache.sshd.common.ServiceFactory;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.session.ServerUserAuthService;
import org.apache.sshd.server.session.ServerUserAuthServiceFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Login by tailnet identity (docs/ssh.md): a connection that arrives on one of this node's tailnet
 * addresses from a tailnet address gets in without an authorized key when tailscaled's WhoIs names
 * a user or tag listed in {@code config.json} {@value #USERS_KEY}. Its role comes from the {@value
 * #CAPABILITY} capability in the WhoIs CapMap, else {@value #ROLE_KEY}, else {@code control}.
 *
 * <p>Every condition must hold, or the connection falls back to keys: the config lists someone
 * (read for each connection, so edits need no restart); the local address is one of the addresses
 * Tailscale reports for this node; the client's address is a tailnet address ({@link
 * dev.hack.node.mesh.tailscale.TailnetRanges} unless the server was given another test); WhoIs
 * answered within its timeout and named an allowed user (untagged node, by {@code
 * UserProfile.LoginName}) or tag (tagged node, by {@code Node.Tags}). A daemon that is down or slow
 * refuses, never allows.
 *
 * <p>The verdict is reached once per connection and kept on the session. Its WhoIs starts on {@code
 * executor} as soon as the connection comes in, and the {@code none} method (which OpenSSH and MINA
 * clients try first) and the public-key fallback wait for it, bounded.
 *
 * <p>Thread-safe.
 */
final class TailnetLogins {
  private static final Logger LOG = LoggerFactory.getLogger(TailnetLogins.class);

  /** The config key listing who may log in by tailnet identity. */
  static final String USERS_KEY = "ssh.tailscaleUsers";

  /** The config key naming the role of a tailnet login that no capability sets. */
  static final String ROLE_KEY = "ssh.tailscaleRole";

  /**
   * The peer capability (Tailscale ACL {@code grants[].app}) whose values set the role: JSON
   * objects such as {@code {"role":"view"}}; the highest role among them wins.
   */
  static final String CAPABILITY = "hack.dev/cap/ssh";

  /** The role when neither the capability nor {@value #ROLE_KEY} names one. */
  static final TailnetRole DEFAULT_ROLE = TailnetRole.CONTROL;

  private static final AttributeKey<CompletableFuture<Verdict>> VERDICT = new AttributeKey<>();

  /** Set once a refusal was logged, so that a connection logs one line however often it tries. */
  private static final AttributeKey<Boolean> LOGGED = new AttributeKey<>();

  private final NodeContext node;
  private final Predicate<InetAddress> tailnetClients;
  private final Executor executor;
  private final Duration wait;

  /**
   * @param tailnetClients which client addresses count as tailnet addresses
   * @param executor runs the WhoIs calls
   * @param wait how long a login waits for a verdict at most (the WhoIs's own bound plus a margin)
   */
  TailnetLogins(
      NodeContext node, Predicate<InetAddress> tailnetClients, Executor executor, Duration wait) {
    this.node = node;
    this.tailnetClients = tailnetClients;
    this.executor = executor;
    this.wait = wait;
  }

  /**
   * The outcome for one connection.
   *
   * @param login who gets in, or null
   * @param refusal why not, for the log; null when there is nothing worth logging
   * @param trouble whether the refusal is a problem to look into (tailscaled down or confused), not
   *     a policy decision
   */
  record Verdict(TailnetLogin login, String refusal, boolean trouble) {
    static final Verdict NO = new Verdict(null, null, false);

    static Verdict refused(String why) {
      return new Verdict(null, why, false);
    }
  }

  /**
   * MINA's {@code ssh-userauth} service, except that a {@code none} request is let in when the
   * tailnet identity allows it. (MINA 2.20's {@link ServerUserAuthService} answers {@code none}
   * with a failure before any {@code UserAuthFactory} is asked, and its own server-side {@code
   * UserAuthNone} would let everyone in, so neither can be used.)
   */
  ServiceFactory userAuthService() {
    return new ServerUserAuthServiceFactory() {
      @Override
      public Service create(Session session) throws IOException {
        return new UserAuthService(session);
      }
    };
  }

  /**
   * Whether the tailnet identity lets this connection in, by the {@code none} method or with any
   * key that is not in {@code authorized_keys}. Sets the login on the session when it does. Blocks
   * the calling (SSH I/O) thread until the verdict is in: usually not at all, since the WhoIs was
   * started when the connection came in ({@link #started}); at most {@code wait}.
   */
  boolean allows(ServerSession session) {
    CompletableFuture<Verdict> f = verdict(session);
    try {
      return grant(session, f.get(wait.toMillis(), TimeUnit.MILLISECONDS));
    } catch (TimeoutException e) {
      return false; // WhoIs is bounded; this only guards against a stuck executor
    } catch (ExecutionException e) {
      LOG.warn("tailnet login check for {} failed", remote(session), e.getCause());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * A connection came in: starts reaching its verdict now, so that the WhoIs runs while the client
   * and the server exchange keys. Never blocks on tailscaled.
   */
  void started(ServerSession session) {
    verdict(session);
  }

  /**
   * Asks again whether a tailnet login may stay, as {@link #verdict} asked when it logged in: with
   * what {@code config.json} and tailscaled say now. Returns why it must end (the identity is no
   * longer listed, tailnet logins were turned off, tailscaled no longer knows the node, or its role
   * was lowered), or empty to keep it. A config file that cannot be read or a tailscaled that
   * cannot be asked keeps it: a restart of tailscaled must not end everyone's work. Blocks for at
   * most the WhoIs timeout.
   */
  Optional<String> recheck(ServerSession session) {
    TailnetLogin login = TailnetLogin.of(session);
    if (login == null || !(session.getClientAddress() instanceof InetSocketAddress remote)) {
      return Optional.empty();
    }
    Policy policy;
    try {
      policy = policy();
    } catch (IOException e) {
      return Optional.empty();
    }
    if (policy.allowed().isEmpty()) {
      return Optional.of("tailnet logins were turned off on this node (" + USERS_KEY + ")");
    }
    WhoIsResult r = node.tailnet().whois(remote);
    Optional<WhoIs> who = r.identity();
    if (who.isEmpty()) {
      return r.state().isRunning()
          ? Optional.of("tailscale no longer knows the node at " + hostPort(remote))
          : Optional.empty();
    }
    Verdict v = judge(who.get(), policy.allowed(), policy.fallback(), hostPort(remote));
    if (v.login() == null) {
      return Optional.of(login.who() + " is no longer listed in " + USERS_KEY);
    }
    if (!v.login().role().allows(login.role())) {
      return Optional.of(
          "the tailnet role of "
              + login.who()
              + " is now "
              + v.login().role()
              + ", not "
              + login.role());
    }
    return Optional.empty();
  }

  /** Logs the tailnet login once the session is authenticated (one line per login). */
  static void logLogin(ServerSession session) {
    TailnetLogin login = TailnetLogin.of(session);
    if (login != null) {
      LOG.info(
          "tailnet login: {}{} from {} as {} (ssh user {})",
          login.who(),
          login.nodeName() == null ? "" : " on " + login.nodeName(),
          login.remote(),
          login.role(),
          session.getUsername());
    }
  }

  /** The verdict for this connection, reached once and kept on the session. */
  CompletableFuture<Verdict> verdict(ServerSession session) {
    return session.computeAttributeIfAbsent(VERDICT, k -> reach(session));
  }

  private CompletableFuture<Verdict> reach(ServerSession session) {
    SocketAddress localAddress = session.getIoSession().getLocalAddress();
    SocketAddress remoteAddress = session.getClientAddress();
    if (!(localAddress instanceof InetSocketAddress local)
        || !(remoteAddress instanceof InetSocketAddress remote)
        || local.getAddress() == null
        || remote.getAddress() == null) {
      return CompletableFuture.completedFuture(Verdict.NO);
    }
    if (!node.tailnet().addresses().contains(local.getAddress())) {
      return CompletableFuture.completedFuture(Verdict.NO); // not on a tailnet address: keys only
    }
    Policy policy;
    try {
      policy = policy();
    } catch (IOException e) {
      return CompletableFuture.completedFuture(
          new Verdict(null, "no tailnet logins: " + e.getMessage(), true));
    }
    if (policy.allowed().isEmpty()) {
      return CompletableFuture.completedFuture(Verdict.NO); // nobody listed: the feature is off
    }
    if (!tailnetClients.test(remote.getAddress())) {
      return CompletableFuture.completedFuture(
          Verdict.refused(
              "tailnet login refused for "
                  + hostPort(remote)
                  + ": not a tailnet address; keys only"));
    }
    return CompletableFuture.supplyAsync(() -> ask(remote, policy), executor);
  }

  private Verdict ask(InetSocketAddress remote, Policy policy) {
    WhoIsResult r = node.tailnet().whois(remote);
    Optional<WhoIs> who = r.identity();
    if (who.isEmpty()) {
      // running: tailscaled answered that it knows no node there; else it could not be asked
      return new Verdict(
          null,
          "tailnet login refused for "
              + hostPort(remote)
              + ": "
              + r.state().message()
              + "; keys only",
          !r.state().isRunning());
    }
    return judge(who.get(), policy.allowed(), policy.fallback(), hostPort(remote));
  }

  /**
   * Whether {@code who} may log in under {@code allowed} (logins and {@code tag:} names), and as
   * what. A tagged node is judged by its tags only, as Tailscale treats it; an untagged one by its
   * owner's login, compared without regard to case.
   */
  static Verdict judge(WhoIs who, List<String> allowed, TailnetRole fallback, String remote) {
    boolean ok;
    String subject;
    if (who.tagged()) {
      ok = who.tags().stream().anyMatch(allowed::contains);
      subject = "tailnet node " + String.join(",", who.tags());
    } else {
      String login = who.loginName();
      ok =
          login != null
              && allowed.stream()
                  .anyMatch(a -> !a.startsWith("tag:") && a.equalsIgnoreCase(login.strip()));
      subject = String.valueOf(login);
    }
    if (!ok) {
      return Verdict.refused(
          "tailnet login refused for "
              + subject
              + (who.nodeName() == null ? "" : " on " + who.nodeName())
              + " from "
              + remote
              + ": not listed in "
              + USERS_KEY
              + "; keys only");
    }
    return new Verdict(
        new TailnetLogin(
            who.loginName(), who.tags(), who.nodeName(), roleOf(who, fallback), remote),
        null,
        false);
  }

  /**
   * The role {@link #CAPABILITY} grants: the highest {@code role} among its values. A capability
   * whose values name no known role gives {@code view}, the least; no capability gives {@code
   * fallback}.
   */
  static TailnetRole roleOf(WhoIs who, TailnetRole fallback) {
    List<String> values = who.capMap().get(CAPABILITY);
    if (values == null) {
      return fallback;
    }
    TailnetRole best = null;
    for (String v : values) {
      Optional<TailnetRole> r = roleIn(v);
      if (r.isPresent() && (best == null || r.get().allows(best))) {
        best = r.get();
      }
    }
    if (best == null) {
      LOG.warn(
          "{} for {} names no role (view, attach or control): {}; treating it as view",
          CAPABILITY,
          who.loginName(),
          values);
      return TailnetRole.VIEW;
    }
    return best;
  }

  private static Optional<TailnetRole> roleIn(String json) {
    try {
      JsonElement e = JsonParser.parseString(json);
      if (e.isJsonObject()
          && e.getAsJsonObject().has("role")
          && e.getAsJsonObject().get("role").isJsonPrimitive()) {
        return TailnetRole.parse(e.getAsJsonObject().get("role").getAsString());
      }
    } catch (RuntimeException e) {
      // not JSON: tailscaled sends raw JSON values, so this is not a value we understand
    }
    return Optional.empty();
  }

  /** What {@code config.json} says now. */
  private record Policy(List<String> allowed, TailnetRole fallback) {}

  private Policy policy() throws IOException {
    ConfigFile config = new ConfigFile(node.home().config());
    List<String> allowed = config.getStrings(USERS_KEY);
    TailnetRole fallback = DEFAULT_ROLE;
    Optional<JsonElement> role = config.get(ROLE_KEY);
    if (role.isPresent() && !role.get().isJsonNull()) {
      JsonElement r = role.get();
      fallback =
          (r.isJsonPrimitive() ? TailnetRole.parse(r.getAsString()) : Optional.<TailnetRole>empty())
              .orElseThrow(
                  () ->
                      new IOException(
                          ROLE_KEY
                              + " in "
                              + config.file()
                              + " must be view, attach or control, not "
                              + r));
    }
    return new Policy(allowed.stream().map(String::strip).toList(), fallback);
  }

  /** Applies a verdict: sets the login on the session when it allows, logs a refusal once. */
  private boolean grant(ServerSession session, Verdict v) {
    if (v.login() != null) {
      session.setAttribute(TailnetLogin.KEY, v.login());
      return true;
    }
    if (v.refusal() != null && session.setAttribute(LOGGED, Boolean.TRUE) == null) {
      SshAudit.tailnetRefused(node.home(), session, v.refusal());
      if (v.trouble()) {
        LOG.warn(v.refusal());
      } else {
        LOG.info(v.refusal());
      }
    }
    return false;
  }

  private static String remote(ServerSession session) {
    SocketAddress a = session.getClientAddress();
    return a instanceof InetSocketAddress inet ? hostPort(inet) : String.valueOf(a);
  }

  /** {@code IP:PORT}, or {@code [IPv6]:PORT} in its short form ({@code [fd7a:115c:a1e0::2]}). */
  static String hostPort(InetSocketAddress a) {
    InetAddress ip = a.getAddress();
    if (ip instanceof Inet6Address) {
      return "[" + shortIpv6(ip.getAddress()) + "]:" + a.getPort();
    }
    return (ip == null ? a.getHostString() : ip.getHostAddress()) + ":" + a.getPort();
  }

  /** RFC 5952's text for 16 bytes: lower case, the longest run of two or more zero groups as ::. */
  static String shortIpv6(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  /** {@link ServerUserAuthService} with {@code none} for allowed tailnet identities. */
  private final class UserAuthService extends ServerUserAuthService {
    UserAuthService(Session session) throws IOException {
      super(session);
    }

    @Override
    public synchronized void process(int cmd, Buffer buffer) throws Exception {
      ServerSession session = getServerSession();
      if (cmd == SshConstants.SSH_MSG_USERAUTH_REQUEST && !session.isAuthenticated()) {
        int at = buffer.rpos();
        String user = buffer.getString();
        String service = buffer.getString();
        String method = buffer.getString();
        buffer.rpos(at);
        if ("none".equals(method) && "ssh-connection".equals(service) && allows(session)) {
          // what MINA's own success path ends in; nothing else of it applies here (no banner,
          // no multi-method chains, no session limit)
          session.signalAuthenticationSuccess(user, service, buffer);
          return;
        }
      }
      super.process(cmd, buffer);
    }
  }
}
