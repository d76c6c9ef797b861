package dev.hack.node.ssh;

import dev.hack.node.api.NodeStatus;

/** What SSH commands need to know about the node they run on. */
public interface NodeInfo {
  NodeStatus status();
}
