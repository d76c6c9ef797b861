package dev.hack.node.ssh;

import dev.hack.keys.HackHome;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.jobs.JobManager;

/** What SSH commands need to know about the node they run on. */
public interface NodeInfo {
  NodeStatus status();

  /** The node's jobs. */
  JobManager jobs();

  /** The node's home (for the project registry). */
  HackHome home();

  /** The node's view of its registered peers. */
  dev.hack.node.mesh.Peers peers();

  /** The links to the hubs this node has joined, or null where there are none (tests). */
  default dev.hack.node.mesh.HubLinks hubs() {
    return null;
  }
}
