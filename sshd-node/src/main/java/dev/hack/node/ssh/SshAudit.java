package dev.hack.node.ssh;

import dev.hack.keys.AuditLog;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ParseResult;

/**
 * The SSH door's lines in the node's audit log ({@link AuditLog}, {@code door: "ssh"}): logins and
 * refused logins, and every change, attach, detach and refusal a command makes. Who is the key's
 * {@code SHA256:} fingerprint, or the tailnet identity with its {@code role}. Never the text sent
 * to a session. A line that cannot be written is logged, never turned into a failed command.
 *
 * <p>Thread-safe; writing blocks on the disk for one short append (the log's rate limits are
 * checked first, so a flood of refusals costs no I/O).
 */
final class SshAudit {
  private static final Logger LOG = LoggerFactory.getLogger(SshAudit.class);

  private final AuditLog log;
  private final ServerSession session;

  private SshAudit(AuditLog log, ServerSession session) {
    this.log = log;
    this.session = session;
  }

  /** The audit of commands on {@code session} (a log that writes nothing when there is no home). */
  static SshAudit of(HackHome home, ServerSession session) {
    return new SshAudit(home == null ? null : AuditLog.open(home), session);
  }

  /** A change or an attach that happened: {@code status: "ok"}. */
  void ok(String event, String action, String detail) {
    write(event, action, "ok", null, detail, false);
  }

  /** A command the login's role does not allow: {@code status: "refused"}, rate-limited. */
  void refused(String action, String error) {
    write("refused", action, "refused", error, null, true);
  }

  /**
   * A change or attach that failed (no such session, bad arguments): rate-limited like refusals.
   */
  void failed(String action, String error) {
    write("command_failed", action, "failed", error, null, true);
  }

  /**
   * A successful login, with who and how ({@code key} or {@code tailnet}), the client's software
   * and the cipher it chose (which clients use which cipher is what decides the node's offer).
   */
  static void login(HackHome home, ServerSession session) {
    TailnetLogin t = TailnetLogin.of(session);
    of(home, session)
        .write(
            "login",
            null,
            "ok",
            null,
            t == null ? "key" : "tailnet" + (t.nodeName() == null ? "" : " node " + t.nodeName()),
            false,
            null,
            e -> e.with("client", session.getClientVersion()).with("cipher", cipher(session)));
  }

  /**
   * The negotiated cipher, with its MAC unless the cipher is an AEAD one (AES-GCM,
   * ChaCha20-Poly1305): {@code aes128-ctr hmac-sha2-256-etm@openssh.com}. When the two directions
   * differ, client to server comes first: {@code A / B}.
   */
  static String cipher(Session session) {
    String in =
        cipher(
            session.getNegotiatedKexParameter(KexProposalOption.C2SENC),
            session.getNegotiatedKexParameter(KexProposalOption.C2SMAC));
    String out =
        cipher(
            session.getNegotiatedKexParameter(KexProposalOption.S2CENC),
            session.getNegotiatedKexParameter(KexProposalOption.S2CMAC));
    return in.equals(out) ? in : in + " / " + out;
  }

  private static String cipher(String cipher, String mac) {
    BuiltinCiphers known = BuiltinCiphers.fromFactoryName(cipher);
    boolean aead = known != null && known.getAuthenticationTagSize() > 0;
    return aead || mac == null ? cipher : cipher + " " + mac;
  }

  /** A key that is not authorized (and no tailnet identity let the connection in). */
  static void loginRefused(HackHome home, ServerSession session, PublicKey key) {
    of(home, session)
        .write(
            "login_refused",
            null,
            "refused",
            "key not authorized",
            null,
            true,
            KeyFiles.fingerprint(key));
  }

  /** A connection that did not log in within the login time ({@link LoginTimeouts}). */
  static void loginTimedOut(HackHome home, ServerSession session, String why) {
    of(home, session).write("login_timeout", null, "refused", why, null, true);
  }

  /** A connection closed on arrival: past a cap for its address ({@link ConnectionLimits}). */
  static void connectionRefused(HackHome home, String remote, String why) {
    if (home == null) {
      return;
    }
    AuditLog log = AuditLog.open(home);
    try {
      log.entry("ssh", "connection_refused")
          .with("remote", remote)
          .with("status", "refused")
          .with("error", why)
          .refused()
          .write();
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot write the audit log {}: {}", log.file(), e.toString());
    }
  }

  /**
   * A logged-in connection ended because its authorization is gone ({@link LoginWatch}): its key
   * was revoked, its tailnet identity unlisted or its role lowered.
   */
  static void loginEnded(HackHome home, ServerSession session, String why) {
    of(home, session).write("login_ended", null, "ended", why, null, false);
  }

  /** A tailnet login refused ({@link TailnetLogins}); the connection may still use a key. */
  static void tailnetRefused(HackHome home, ServerSession session, String why) {
    of(home, session).write("tailnet_refused", null, "refused", why, null, true);
  }

  /**
   * What a command line does, for the log: its command names and its first argument ({@code stop
   * web-1}, {@code peer add mac}); never further arguments (the text of {@code send}).
   */
  static String describe(ParseResult parsed) {
    List<String> words = new ArrayList<>();
    ParseResult leaf = parsed;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
      words.add(leaf.commandSpec().name());
    }
    List<?> positional = leaf.matchedPositionals();
    if (!positional.isEmpty()) {
      List<String> values = leaf.matchedPositionals().get(0).stringValues();
      if (!values.isEmpty()) {
        words.add(values.get(0));
      }
    }
    return String.join(" ", words);
  }

  /**
   * {@link #describe(ParseResult)} for a command line not parsed yet (a role refused before
   * parsing): its command names as the table knows them, then the first word that is not an option.
   */
  static String describe(List<String> words) {
    List<String> out = new ArrayList<>();
    int i = 0;
    if (i < words.size() && SshCommands.isCommand(words.get(i))) {
      out.add(words.get(i++));
      if (i < words.size() && SshCommands.isSubcommand(out.get(0), words.get(i))) {
        out.add(words.get(i++));
      }
    }
    for (; i < words.size(); i++) {
      if (!words.get(i).startsWith("-")) {
        out.add(words.get(i));
        break;
      }
    }
    return String.join(" ", out);
  }

  private void write(
      String event, String action, String status, String error, String detail, boolean refusal) {
    write(event, action, status, error, detail, refusal, null);
  }

  private void write(
      String event,
      String action,
      String status,
      String error,
      String detail,
      boolean refusal,
      String offeredKey) {
    write(event, action, status, error, detail, refusal, offeredKey, e -> e);
  }

  private void write(
      String event,
      String action,
      String status,
      String error,
      String detail,
      boolean refusal,
      String offeredKey,
      UnaryOperator<AuditLog.Entry> more) {
    if (log == null) {
      return;
    }
    TailnetLogin t = TailnetLogin.of(session);
    PublicKey key = session == null ? null : session.getAttribute(MeshCommands.AUTH_KEY);
    String who =
        offeredKey != null
            ? offeredKey
            : t != null ? t.who() : key != null ? KeyFiles.fingerprint(key) : null;
    try {
      AuditLog.Entry e =
          log.entry("ssh", event)
              .with("who", who)
              .with("role", t == null ? null : t.role().wire())
              .with("user", session == null ? null : session.getUsername())
              .with("remote", remote(session))
              .with("action", action)
              .with("status", status)
              .with("error", error)
              .with("detail", detail);
      e = more.apply(e);
      if (refusal) {
        e.refused();
      }
      e.write();
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot write the audit log {}: {}", log.file(), e.toString());
    }
  }

  private static String remote(ServerSession session) {
    SocketAddress a = session == null ? null : session.getClientAddress();
    if (a instanceof InetSocketAddress inet) {
      return TailnetLogins.hostPort(inet);
    }
    return a == null ? null : a.toString();
  }
}
