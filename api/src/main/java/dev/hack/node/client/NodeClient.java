package dev.hack.node.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.util.io.output.NoCloseOutputStream;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * One SSH connection to a node, authenticated with the user's hack key, running commands of the
 * node's command table. Not thread-safe for concurrent {@link #attach}; {@link #run} may be called
 * from several threads. Whoever connects closes.
 */
public final class NodeClient implements AutoCloseable {
  /** Where a node listens. */
  public record Target(String name, String host, int port) {
    public Target {
      Objects.requireNonNull(host, "host");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port);
      }
    }

    @Override
    public String toString() {
      return (name == null ? "" : name + " ") + "(" + host + ":" + port + ")";
    }
  }

  /** What a command printed and how it exited. */
  public record Result(int exit, String out, String err) {}

  private final SshClient client;
  private final ClientSession session;
  private final boolean ownsClient;

  private NodeClient(SshClient client, ClientSession session, boolean ownsClient) {
    this.client = client;
    this.session = session;
    this.ownsClient = ownsClient;
  }

  /**
   * An SSH client set up as {@link #connect} sets up its own, for callers that open many
   * connections (a node checking its peers): share it through {@link #connect(SshClient, Target,
   * KeyPair, ServerKeyVerifier, Duration)} and stop it when done.
   */
  public static SshClient newClient(ServerKeyVerifier hostKeys) {
    SshClient client = SshClient.setUpDefaultClient();
    client.setServerKeyVerifier(hostKeys);
    // MINA's own order puts ChaCha20-Poly1305 first, which is plain Java on both ends; AES-GCM
    // runs on the CPU's AES instructions. The client's order decides, so say it here.
    client.setCipherFactories(
        List.of(
            BuiltinCiphers.aes128gcm,
            BuiltinCiphers.aes256gcm,
            BuiltinCiphers.cc20p1305_openssh,
            BuiltinCiphers.aes128ctr,
            BuiltinCiphers.aes192ctr,
            BuiltinCiphers.aes256ctr));
    // keystrokes and their echo are tiny writes: Nagle's algorithm would hold one back for the
    // peer's delayed ACK (40 ms) whenever another is in flight, as on a hop through a node
    CoreModuleProperties.TCP_NODELAY.set(client, true);
    // keepalives, so a connection that silently died (a laptop that slept) is noticed
    CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, Duration.ofSeconds(5));
    CoreModuleProperties.HEARTBEAT_REQUEST.set(client, "keepalive@openssh.com");
    CoreModuleProperties.HEARTBEAT_REPLY_WAIT.set(client, Duration.ofSeconds(5));
    CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, 3);
    client.start();
    return client;
  }

  /**
   * Connects and authenticates within {@code timeout}.
   *
   * @throws IOException with a message that says which step failed (connect, host key, auth)
   */
  public static NodeClient connect(
      Target target, KeyPair identity, ServerKeyVerifier hostKeys, Duration timeout)
      throws IOException {
    SshClient client = newClient(hostKeys);
    try {
      return open(client, true, target, identity, timeout);
    } catch (IOException | RuntimeException e) {
      client.stop();
      throw e;
    }
  }

  /** Connects through a shared client from {@link #newClient}; closing leaves it running. */
  public static NodeClient connect(
      SshClient shared, Target target, KeyPair identity, Duration timeout) throws IOException {
    return open(shared, false, target, identity, timeout);
  }

  private static NodeClient open(
      SshClient client, boolean owns, Target target, KeyPair identity, Duration timeout)
      throws IOException {
    ClientSession session = null;
    try {
      try {
        session =
            client
                .connect(System.getProperty("user.name", "hack"), target.host(), target.port())
                .verify(timeout)
                .getSession();
      } catch (IOException e) {
        throw new IOException("cannot reach " + target + ": " + rootMessage(e), e);
      }
      session.addPublicKeyIdentity(identity);
      try {
        session.auth().verify(timeout);
      } catch (IOException e) {
        String msg = rootMessage(e);
        if (msg.contains("host key") || msg.contains("Server key did not validate")) {
          throw new IOException("the host key of " + target + " was not accepted", e);
        }
        if (chainMentions(e, "within specified timeout", "timed out", "Timeout")) {
          throw new IOException(
              "no answer within "
                  + timeout.toMillis()
                  + " ms from "
                  + target
                  + " (it accepts connections but does not speak SSH, or is overloaded)",
              e);
        }
        throw new IOException(
            "node "
                + target
                + " refused your key; authorize it there with: hack keys authorize"
                + " (your public key is in HACK_HOME/keys/id_ed25519.pub)",
            e);
      }
      return new NodeClient(client, session, owns);
    } catch (IOException | RuntimeException e) {
      if (session != null) {
        session.close(true);
      }
      throw e;
    }
  }

  private static boolean chainMentions(Throwable e, String... words) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException
          || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
      String m = String.valueOf(t.getMessage());
      for (String w : words) {
        if (m.contains(w)) {
          return true;
        }
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** Runs a command without a terminal and collects its output. */
  public Result run(String command, Duration timeout) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = stream(command, null, out, err, timeout);
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Runs a command without a terminal, copying its output as it comes; returns its exit status. A
   * null timeout waits as long as the command runs (logs --follow).
   */
  public int stream(
      String command, InputStream in, OutputStream out, OutputStream err, Duration timeout)
      throws IOException {
    Integer code = streamStatus(command, in, out, err, timeout);
    return code == null ? 1 : code;
  }

  /**
   * As {@link #stream}, but returns null when the channel closed without an exit status: the
   * connection dropped (or the node went away) before the command finished.
   */
  private static final Duration OPEN_LIMIT = Duration.ofSeconds(10);

  public Integer streamStatus(
      String command, InputStream in, OutputStream out, OutputStream err, Duration timeout)
      throws IOException {
    try (ChannelExec ch = session.createExecChannel(command)) {
      ch.setOut(new NoCloseOutputStream(out));
      ch.setErr(new NoCloseOutputStream(err));
      if (in != null) {
        ch.setIn(in);
      }
      // a node that accepts no channel (paused, overloaded) counts against the same bound
      Duration openLimit =
          timeout == null || timeout.isZero() || timeout.compareTo(OPEN_LIMIT) > 0
              ? OPEN_LIMIT
              : timeout;
      org.apache.sshd.client.future.OpenFuture open = ch.open();
      if (!open.await(openLimit)) {
        throw new IOException(
            "no answer within "
                + openLimit.toMillis()
                + " ms to opening a channel for: "
                + command);
      }
      if (!open.isOpened()) {
        Throwable why = open.getException();
        throw new IOException(
            "the node refused a channel for: "
                + command
                + (why == null ? "" : ": " + why.getMessage()));
      }
      var events =
          ch.waitFor(
              EnumSet.of(ClientChannelEvent.CLOSED), timeout == null ? Duration.ZERO : timeout);
      if (!events.contains(ClientChannelEvent.CLOSED)) {
        throw new IOException("no answer within " + timeout.toSeconds() + " s to: " + command);
      }
      return ch.getExitStatus();
    }
  }

  /**
   * Opens {@code command} on a PTY of the given size with {@code env} sent to the node; the caller
   * wires the streams, sends window changes and closes the channel.
   */
  public ChannelExec openPty(String command, int columns, int rows, Map<String, String> env)
      throws IOException {
    ChannelExec ch = session.createExecChannel(command);
    ch.setUsePty(true);
    ch.setPtyType("xterm-256color");
    ch.setPtyColumns(columns);
    ch.setPtyLines(rows);
    for (Map.Entry<String, String> e : env.entrySet()) {
      ch.setEnv(e.getKey(), e.getValue());
    }
    return ch;
  }

  /** The SSH session, for what the command table does not cover (a port forward). */
  public ClientSession session() {
    return session;
  }

  public boolean isOpen() {
    return session.isOpen();
  }

  @Override
  public void close() {
    session.close(true);
    if (ownsClient) {
      client.stop();
    }
  }
}
