package dev.hack.tui;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Keeps the nodes' sessions fresh: lists the registered nodes every {@link TuiOptions#refresh()},
 * asks each one for its sessions, and marks a node offline when it fails, does not answer within
 * {@link TuiOptions#timeout()}, or has not been heard from in two rounds.
 *
 * <p>Questions to a node are numbered. Answers may come back in any order (the I/O pool runs them
 * in parallel); one is applied only if it is newer than every answer applied so far, so a late,
 * stale answer never undoes a newer one (it could drop a session just started, or revive one just
 * stopped).
 *
 * <p>Threads: every method runs on the render thread, and so does the {@link Listener}. Backend
 * calls run on {@code io}; their answers come back through {@code post}. Nothing here blocks.
 */
final class NodePoller {
  /** Told on the render thread what changed; given the nodes as they are now. */
  interface Listener {
    /** The registry was listed again (nodes may have come or gone); each is about to be asked. */
    void listed(List<NodeState> nodes);

    /** A node answered, failed or timed out. */
    void changed(List<NodeState> nodes);

    /** The registry could not be listed; {@code message} says why. */
    void failed(String message);
  }

  /** A node and the questions put to it. Render thread only. */
  private static final class Polled {
    Backend.NodeRef ref;
    NodeState.Reach reach = NodeState.Reach.CONNECTING;
    Instant lastSeen;
    String error;
    List<Backend.SessionRow> sessions = List.of();
    boolean polling;
    Instant pollStarted;
    long asked; // questions put to this node so far; each answer carries its number
    long applied; // the newest question whose answer was applied: older answers are dropped
    Backend.SessionRow created; // just started here; listed until an answer newer than it
    long createdAsOf; // the last question asked before it was started

    Polled(Backend.NodeRef ref) {
      this.ref = ref;
      this.lastSeen = ref.lastSeen();
    }

    String name() {
      return ref.name();
    }

    NodeState state() {
      return new NodeState(ref, reach, lastSeen, error, sessions);
    }
  }

  private final Backend backend;
  private final Executor io;
  private final Consumer<Runnable> post;
  private final TuiOptions options;
  private final Clock clock;
  private final Listener listener;

  private final List<Polled> nodes = new ArrayList<>();
  private boolean listing;
  private Instant listingStarted;
  private Instant nextPoll = Instant.EPOCH;
  private boolean loaded;

  /**
   * @param post runs a task on the render thread, soon; called from the I/O threads
   */
  NodePoller(
      Backend backend,
      Executor io,
      Consumer<Runnable> post,
      TuiOptions options,
      Clock clock,
      Listener listener) {
    this.backend = backend;
    this.io = io;
    this.post = post;
    this.options = options;
    this.clock = clock;
    this.listener = listener;
  }

  /** The nodes in the registry's order, as last seen. */
  List<NodeState> nodes() {
    return nodes.stream().map(Polled::state).toList();
  }

  /** Whether the registry has been listed at least once. */
  boolean loaded() {
    return loaded;
  }

  /**
   * Called about once a second: lists and asks every node when a refresh is due, and marks nodes
   * that took too long offline.
   */
  void tick() {
    Instant now = clock.instant();
    if (listing && Duration.between(listingStarted, now).compareTo(options.timeout()) > 0) {
      listing = false; // a listing that never came back must not stop the polls for good
    }
    if (!listing && !now.isBefore(nextPoll)) {
      nextPoll = now.plus(options.refresh());
      refreshAll();
    }
    Duration stale = options.refresh().plus(options.timeout()).multipliedBy(2);
    boolean changed = false;
    for (Polled n : nodes) {
      if (n.polling
          && n.reach != NodeState.Reach.OFFLINE
          && Duration.between(n.pollStarted, now).compareTo(options.timeout()) > 0) {
        n.reach = NodeState.Reach.OFFLINE; // its late answer, if any, still counts
        n.error = "no answer within " + options.timeout().toSeconds() + " s";
        changed = true;
      } else if (n.reach == NodeState.Reach.ONLINE
          && n.lastSeen != null
          && Duration.between(n.lastSeen, now).compareTo(stale) > 0) {
        // whatever kept it from being asked, a node not heard from in two rounds is not online
        n.reach = NodeState.Reach.OFFLINE;
        n.error = "no answer for " + Duration.between(n.lastSeen, now).toSeconds() + " s";
        changed = true;
      }
    }
    if (changed) {
      listener.changed(nodes()); // its sessions are no longer listed
    }
  }

  /** Lists the nodes again (the registry may have changed), then asks each one. */
  private void refreshAll() {
    listing = true;
    listingStarted = clock.instant();
    io.execute(
        () -> {
          try {
            List<Backend.NodeRef> refs = backend.nodes();
            post.accept(
                () -> {
                  listing = false;
                  merge(refs);
                  listener.listed(nodes());
                  for (Polled n : List.copyOf(nodes)) {
                    poll(n);
                  }
                });
          } catch (Exception e) {
            post.accept(
                () -> {
                  listing = false;
                  listener.failed("cannot list nodes: " + Text.reason(e));
                });
          }
        });
  }

  private void merge(List<Backend.NodeRef> refs) {
    List<Polled> next = new ArrayList<>();
    for (Backend.NodeRef r : refs) {
      Polled existing = find(r.name());
      if (existing == null) {
        existing = new Polled(r);
      } else {
        existing.ref = r;
        if (existing.lastSeen == null) {
          existing.lastSeen = r.lastSeen();
        }
      }
      next.add(existing);
    }
    nodes.clear();
    nodes.addAll(next);
    loaded = true;
  }

  private Polled find(String name) {
    Polled found = null;
    for (Polled n : nodes) {
      if (n.name().equals(name)) {
        found = n;
      }
    }
    return found;
  }

  /** Asks the node named {@code name} for its sessions, unless a question to it is already out. */
  void poll(String name) {
    Polled n = find(name);
    if (n != null) {
      poll(n);
    }
  }

  private void poll(Polled n) {
    if (n.polling) {
      return;
    }
    ask(n);
  }

  /**
   * Asks the node named {@code name} again now (after an action), even if a question is already
   * out: an answer under way may predate the action, and this newer question's answer wins over it.
   */
  void refresh(String name) {
    Polled n = find(name);
    if (n != null) {
      ask(n);
    }
  }

  /** Puts a numbered question to {@code n}. */
  private void ask(Polled n) {
    n.polling = true;
    n.pollStarted = clock.instant();
    long seq = ++n.asked;
    Backend.NodeRef ref = n.ref;
    io.execute(
        () -> {
          try {
            List<Backend.SessionRow> rows = backend.sessions(ref);
            post.accept(() -> online(n, rows, seq));
          } catch (Exception e) {
            post.accept(() -> offline(n, Text.reason(e), seq));
          }
        });
  }

  /** Whether the answer to question {@code seq} is the newest yet; marks it applied if so. */
  private static boolean fresh(Polled n, long seq) {
    if (seq == n.asked) {
      n.polling = false; // the last question out is answered
    }
    if (seq <= n.applied) {
      return false;
    }
    n.applied = seq;
    return true;
  }

  private void online(Polled n, List<Backend.SessionRow> rows, long seq) {
    if (!fresh(n, seq)) {
      return;
    }
    n.reach = NodeState.Reach.ONLINE;
    n.error = null;
    n.lastSeen = clock.instant();
    List<Backend.SessionRow> list = new ArrayList<>(rows);
    if (n.created != null) {
      if (seq <= n.createdAsOf) {
        // asked before the session was started: keep the new one listed
        String id = n.created.info().id();
        if (list.stream().noneMatch(r -> r.info().id().equals(id))) {
          list.add(n.created);
        }
      } else {
        n.created = null;
      }
    }
    n.sessions = List.copyOf(list);
    listener.changed(nodes());
  }

  private void offline(Polled n, String why, long seq) {
    if (!fresh(n, seq)) {
      return;
    }
    n.reach = NodeState.Reach.OFFLINE;
    n.error = why;
    listener.changed(nodes());
  }

  /**
   * A session was just started on the node named {@code name}: it is listed from now on, and
   * answers to questions asked before it started keep it listed. The listener is not told; the
   * caller selects the session with the nodes returned.
   *
   * @return the nodes as they are now
   */
  List<NodeState> started(String name, Backend.SessionRow row) {
    Polled n = find(name);
    if (n != null) {
      n.created = row;
      n.createdAsOf = n.asked;
      String id = row.info().id();
      if (n.sessions.stream().noneMatch(x -> x.info().id().equals(id))) {
        List<Backend.SessionRow> list = new ArrayList<>(n.sessions);
        list.add(row);
        n.sessions = List.copyOf(list);
      }
    }
    return nodes();
  }

  /**
   * Forgets the question out to the node named {@code name}, so the next round asks it again. For
   * tests whose fake backend drops a call; a real backend always answers, within its time limit.
   */
  void forgetQuestion(String name) {
    Polled n = find(name);
    if (n != null) {
      n.polling = false;
    }
  }
}
