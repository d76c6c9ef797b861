package dev.hack.node.service;

import dev.hack.node.api.NodeStatus;
import dev.hack.node.api.PtySize;
import dev.hack.node.mesh.Peers;
import dev.hack.node.supervisor.Attachment;
import dev.hack.node.supervisor.SessionIds;
import dev.hack.node.supervisor.Sink;
import dev.hack.node.supervisor.Supervisor;
import dev.hack.node.supervisor.TmuxSession;
import java.io.IOException;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Attaching a terminal, for every door that does it (a plain {@code ssh … attach}, the picker): the
 * one rule for where {@code ID} or {@code ID@NODE} lives, and what is opened for it: the local
 * session itself, or a hop to the peer that owns it ({@link HopAttachment}); and a tmux client for
 * {@code tmux NAME}.
 */
public final class Attachments {
  private final Supervisor supervisor;
  private final Peers peers;
  private final Supplier<NodeStatus> self;

  /**
   * @param peers the registered peers, or null where there are none (then every {@code @NODE} but
   *     this node's own is refused)
   * @param self this node's status, read for its name and id when a reference names a node
   */
  public Attachments(Supervisor supervisor, Peers peers, Supplier<NodeStatus> self) {
    this.supervisor = supervisor;
    this.peers = peers;
    this.self = self;
  }

  /**
   * A session reference resolved: {@code peer} is null for a session of this node.
   *
   * @param ref the reference as given, for messages
   */
  public record Target(String ref, String id, String peer) {
    public boolean local() {
      return peer == null;
    }
  }

  /**
   * Where {@code ref} lives: {@code ID} and {@code ID@NODE} with NODE this node's name or id are
   * this node's; {@code ID@PEER} is the peer's. Nothing is looked up yet beyond this node's name.
   *
   * @throws IllegalArgumentException if ID is not a session id
   */
  public Target resolve(String ref) {
    int at = ref.lastIndexOf('@');
    if (at <= 0) {
      return new Target(ref, ref, null);
    }
    String id = SessionIds.require(ref.substring(0, at));
    String owner = ref.substring(at + 1);
    NodeStatus me = self.get();
    if (owner.equals(me.name()) || owner.equals(me.id())) {
      return new Target(ref, id, null);
    }
    return new Target(ref, id, owner);
  }

  /**
   * Attaches {@code out} to the session {@code t} names; {@code ended} runs when the session's side
   * ends (it exited, or its node went away), not on {@link Attachment#detach}.
   *
   * @param locale the client's {@code LANG} and {@code LC_*}, for the hop's own terminal
   * @throws java.util.NoSuchElementException for an unknown session or peer
   * @throws IllegalStateException for a session that cannot be attached now (it ended)
   */
  public Attachment attach(
      Target t,
      boolean readOnly,
      PtySize size,
      Map<String, String> locale,
      Sink out,
      Consumer<Attachment.End> ended)
      throws IOException {
    if (t.local()) {
      return supervisor.get(t.id()).attach(out, size, readOnly, ended);
    }
    if (peers == null) {
      throw new java.util.NoSuchElementException("no peer named " + t.peer());
    }
    return HopAttachment.open(
        peers.connectOwn(t.peer()), t.id(), readOnly, size, locale, out, ended);
  }

  /**
   * A client of tmux session {@code name} on this node's tmux server, creating the session if there
   * is none; {@code ended} runs when the client ends.
   */
  public Attachment tmux(
      String name,
      PtySize size,
      Map<String, String> locale,
      Sink out,
      Consumer<Attachment.End> ended)
      throws IOException {
    SessionIds.require(name);
    return TmuxSession.openClient(
        name, supervisor.tmuxAttachCommand(name), supervisor.clientEnv(locale), size, out, ended);
  }
}
