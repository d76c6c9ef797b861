package dev.hack.tui;

import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.SessionInfo;
import dev.hack.node.ssh.ChannelApp;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The picker's data on the node itself: this node's sessions, straight from the channel the picker
 * runs on. Peers join when the mesh does.
 */
final class ChannelBackend implements Backend {
  private final ChannelApp.Channel channel;
  private final Executor io;

  ChannelBackend(ChannelApp.Channel channel, Executor io) {
    this.channel = channel;
    this.io = io;
  }

  @Override
  public List<NodeRef> nodes() {
    NodeStatus s = channel.status();
    String address = s.ssh() == null ? "" : s.ssh().host() + ":" + s.ssh().port();
    return List.of(new NodeRef(s.name(), address, Instant.now()));
  }

  @Override
  public List<SessionRow> sessions(NodeRef node) {
    List<SessionRow> out = new ArrayList<>();
    for (SessionInfo s : channel.sessions()) {
      out.add(new SessionRow(s.withNode(node.name()), s.managed() ? channel.lastLine(s.id()) : ""));
    }
    return out;
  }

  @Override
  public List<String> preview(NodeRef node, String id, boolean log, int lines) throws IOException {
    return channel.preview(id, log, lines);
  }

  @Override
  public SessionInfo create(NodeRef node, NewSession spec) throws IOException {
    return channel.create(spec.name(), spec.type(), spec.cwd(), spec.command());
  }

  @Override
  public void stop(NodeRef node, String id) throws IOException {
    channel.stop(id);
  }

  @Override
  public void restart(NodeRef node, String id) throws IOException {
    channel.restart(id);
  }

  @Override
  public CompletableFuture<String> attach(NodeRef node, String id, boolean readOnly) {
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                return channel.attach(id, readOnly);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            io)
        .thenCompose(f -> f)
        .thenApply(
            end ->
                end.sessionEnded()
                    ? id + " ended" + (end.exitCode() == null ? "" : " with code " + end.exitCode())
                    : null);
  }
}
