package dev.hack.tui;

import dev.hack.node.api.ChannelApp;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The picker's data on the node itself: this node's sessions, straight from the channel the picker
 * runs on, and those of its paired peers, asked over SSH by this node (each call bounded); a peer's
 * session is attached through this node ({@code ID@PEER}).
 */
final class ChannelBackend implements Backend {
  private static final java.time.Duration PEER_TIMEOUT = java.time.Duration.ofSeconds(5);

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
    List<NodeRef> out = new ArrayList<>();
    out.add(new NodeRef(s.name(), address, Instant.now()));
    try {
      for (dev.hack.node.api.PeerStatus p : channel.peers()) {
        out.add(
            new NodeRef(
                p.name(),
                p.address() == null ? "" : p.address().replaceFirst("^ssh://", ""),
                p.lastSeen()));
      }
    } catch (IOException e) {
      // the registry could not be read: show this node alone
    }
    return out;
  }

  private boolean self(NodeRef node) {
    return node.name().equals(channel.status().name());
  }

  @Override
  public List<SessionRow> sessions(NodeRef node) throws IOException {
    List<SessionRow> out = new ArrayList<>();
    if (!self(node)) {
      String json = channel.onPeer(node.name(), "ls --json --last-line", PEER_TIMEOUT);
      try {
        for (com.google.gson.JsonElement e :
            com.google.gson.JsonParser.parseString(json).getAsJsonArray()) {
          com.google.gson.JsonObject o = e.getAsJsonObject();
          SessionInfo info =
              dev.hack.node.api.Json.GSON.fromJson(o, SessionInfo.class).withNode(node.name());
          String last =
              o.has("last_line") && !o.get("last_line").isJsonNull()
                  ? o.get("last_line").getAsString()
                  : "";
          out.add(new SessionRow(info, last));
        }
      } catch (RuntimeException e) {
        throw new IOException("unreadable answer from " + node.name() + ": " + e.getMessage(), e);
      }
      return out;
    }
    for (SessionInfo s : channel.sessions()) {
      out.add(new SessionRow(s.withNode(node.name()), s.managed() ? channel.lastLine(s.id()) : ""));
    }
    return out;
  }

  @Override
  public List<String> preview(NodeRef node, String id, boolean log, int lines) throws IOException {
    if (!self(node)) {
      List<String> words = new ArrayList<>(List.of("peek", id, "--lines", String.valueOf(lines)));
      if (log) {
        words.add("--log");
      }
      return channel
          .onPeer(node.name(), dev.hack.node.client.CommandLines.join(words), PEER_TIMEOUT)
          .lines()
          .toList();
    }
    return channel.preview(id, log, lines);
  }

  @Override
  public SessionInfo create(NodeRef node, NewSession spec) throws IOException {
    if (!self(node)) {
      List<String> words = new ArrayList<>(List.of("new", "--json"));
      for (String[] kv :
          new String[][] {
            {"--name", spec.name()}, {"--type", spec.type()}, {"--cwd", spec.cwd()}
          }) {
        if (kv[1] != null && !kv[1].isBlank()) {
          words.add(kv[0]);
          words.add(kv[1]);
        }
      }
      String line = dev.hack.node.client.CommandLines.join(words);
      if (spec.command() != null && !spec.command().isBlank()) {
        line = line + " -- " + spec.command();
      }
      return dev.hack.node.api.Json.GSON.fromJson(
          channel.onPeer(node.name(), line, java.time.Duration.ofSeconds(20)), SessionInfo.class);
    }
    return channel.create(spec.name(), spec.type(), spec.cwd(), spec.command());
  }

  @Override
  public void stop(NodeRef node, String id) throws IOException {
    if (!self(node)) {
      channel.onPeer(
          node.name(),
          dev.hack.node.client.CommandLines.join(List.of("stop", id)),
          java.time.Duration.ofSeconds(20));
      return;
    }
    channel.stop(id);
  }

  @Override
  public void restart(NodeRef node, String id) throws IOException {
    if (!self(node)) {
      channel.onPeer(
          node.name(),
          dev.hack.node.client.CommandLines.join(List.of("restart", id)),
          java.time.Duration.ofSeconds(20));
      return;
    }
    channel.restart(id);
  }

  @Override
  public CompletableFuture<String> attach(NodeRef node, String id, boolean readOnly) {
    return CompletableFuture.supplyAsync(
            () -> {
              try {
                return channel.attach(self(node) ? id : id + "@" + node.name(), readOnly);
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
