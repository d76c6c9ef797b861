package dev.hack.tui;

import dev.hack.node.api.SessionInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Nodes and sessions in memory, recording what the picker asked for. Not thread-safe. */
final class FakeBackend implements Backend {
  /** Thrown by a node that never answers: the executor drops the task, as if it hung. */
  static final class Hang extends Error {
    Hang() {
      super("hangs", null, false, false);
    }
  }

  final Map<String, List<SessionRow>> sessions = new LinkedHashMap<>();
  final Set<String> offline = new HashSet<>();
  boolean listingHangs;
  final Set<String> hung = new HashSet<>();
  final List<String> calls = new ArrayList<>();
  final Map<String, List<String>> screens = new LinkedHashMap<>();
  CompletableFuture<String> attach;
  NewSession created;

  /** When set, previews fail with this message. */
  String previewError;

  FakeBackend node(String name, SessionRow... rows) {
    sessions.put(name, new ArrayList<>(List.of(rows)));
    return this;
  }

  static SessionRow session(String id, String status, String lastLine) {
    return new SessionRow(info(id, status, null, true), lastLine);
  }

  static SessionInfo info(String id, String status, Integer exit, boolean managed) {
    return info(id, status, exit, managed, 0);
  }

  static SessionInfo info(String id, String status, Integer exit, boolean managed, int attached) {
    String t = Instant.parse("2026-01-01T00:00:00Z").toString();
    return new SessionInfo(
        id,
        "shell",
        status,
        List.of("/bin/bash", "-l"),
        "/root",
        null,
        1L,
        t,
        t,
        exit,
        attached,
        80,
        24,
        null,
        managed);
  }

  @Override
  public List<NodeRef> nodes() {
    if (listingHangs) {
      throw new Hang();
    }
    List<NodeRef> out = new ArrayList<>();
    int i = 1;
    for (String n : sessions.keySet()) {
      out.add(new NodeRef(n, "10.0.0." + i++ + ":2222", null));
    }
    return out;
  }

  @Override
  public List<SessionRow> sessions(NodeRef node) throws IOException {
    calls.add("sessions " + node.name());
    if (hung.contains(node.name())) {
      throw new Hang();
    }
    if (offline.contains(node.name())) {
      throw new IOException("cannot reach " + node.name() + ": Connection refused");
    }
    List<SessionRow> out = new ArrayList<>();
    for (SessionRow r : sessions.get(node.name())) {
      out.add(new SessionRow(r.info().withNode(node.name()), r.lastLine()));
    }
    return out;
  }

  @Override
  public List<String> preview(NodeRef node, String id, boolean log, int lines) throws IOException {
    calls.add((log ? "log " : "screen ") + id + "@" + node.name());
    if (previewError != null) {
      throw new IOException(previewError);
    }
    return screens.getOrDefault(id, List.of("$ echo from " + id, "from " + id));
  }

  @Override
  public SessionInfo create(NodeRef node, NewSession spec) {
    calls.add("create " + spec.name() + "@" + node.name());
    created = spec;
    SessionInfo s = info(spec.name(), "running", null, true);
    sessions.get(node.name()).add(new SessionRow(s, ""));
    return s;
  }

  @Override
  public void stop(NodeRef node, String id) {
    calls.add("stop " + id + "@" + node.name());
  }

  @Override
  public void restart(NodeRef node, String id) {
    calls.add("restart " + id + "@" + node.name());
  }

  @Override
  public CompletableFuture<String> attach(NodeRef node, String id, boolean readOnly) {
    calls.add((readOnly ? "view " : "attach ") + id + "@" + node.name());
    attach = new CompletableFuture<>();
    return attach;
  }
}
