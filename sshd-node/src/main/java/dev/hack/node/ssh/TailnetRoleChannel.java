package dev.hack.node.ssh;

import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.PtySize;
import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The picker's view of the node for a tailnet login: what the login's role does not allow fails
 * with an {@link IOException} whose message says so (the picker shows it); everything else goes to
 * the channel underneath. Thread-safe as that channel is.
 */
final class TailnetRoleChannel implements ChannelApp.Channel {
  private final ChannelApp.Channel channel;
  private final TailnetRole role;

  TailnetRoleChannel(ChannelApp.Channel channel, TailnetRole role) {
    this.channel = channel;
    this.role = role;
  }

  private void require(TailnetRole needed, String what) throws IOException {
    if (!role.allows(needed)) {
      if (channel instanceof AppChannel a) {
        a.audit().refused(what + " (picker)", SshCommands.refusal(role, what, needed));
      }
      throw new IOException(SshCommands.refusal(role, what, needed));
    }
  }

  @Override
  public PtySize size() {
    return channel.size();
  }

  @Override
  public Map<String, String> env() {
    return channel.env();
  }

  @Override
  public void send(byte[] data, int off, int len, Runnable onSent) {
    channel.send(data, off, len, onSent);
  }

  @Override
  public void exit(int code) {
    channel.exit(code);
  }

  @Override
  public NodeStatus status() {
    return channel.status();
  }

  @Override
  public List<SessionInfo> sessions() {
    return channel.sessions();
  }

  @Override
  public String lastLine(String id) {
    return channel.lastLine(id);
  }

  @Override
  public List<String> preview(String id, boolean log, int lines) throws IOException {
    return channel.preview(id, log, lines);
  }

  @Override
  public SessionInfo create(String name, String type, String cwd, String commandLine)
      throws IOException {
    require(TailnetRole.CONTROL, "new");
    return channel.create(name, type, cwd, commandLine);
  }

  @Override
  public void stop(String id) throws IOException {
    require(TailnetRole.CONTROL, "stop");
    channel.stop(id);
  }

  @Override
  public void restart(String id) throws IOException {
    require(TailnetRole.CONTROL, "restart");
    channel.restart(id);
  }

  @Override
  public CompletableFuture<ChannelApp.AttachEnd> attach(String id, boolean readOnly)
      throws IOException {
    require(
        readOnly ? TailnetRole.VIEW : TailnetRole.ATTACH, readOnly ? "read-only attach" : "attach");
    return channel.attach(id, readOnly);
  }

  @Override
  public List<dev.hack.node.api.PeerStatus> peers() throws IOException {
    return channel.peers();
  }

  @Override
  public String onPeer(String peer, String command, Duration limit) throws IOException {
    SshCommands.Needs needs;
    try {
      needs = SshCommands.needs(ShellWords.split(command));
    } catch (IllegalArgumentException e) {
      needs = new SshCommands.Needs(TailnetRole.CONTROL, "this command"); // unbalanced quotes
    }
    require(needs.role(), needs.what());
    return channel.onPeer(peer, command, limit);
  }
}
