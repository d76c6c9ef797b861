package dev.hack.node.ssh;

import dev.hack.keys.HackHome;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.mesh.tailscale.TailscaleState;
import dev.hack.node.mesh.tailscale.WhoIsResult;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;

/** What SSH commands need to know about the node they run on. */
public interface NodeInfo {
  NodeStatus status();

  /** Starting sessions: the rules every door shares. */
  dev.hack.node.service.Sessions sessions();

  /** The node's jobs. */
  JobManager jobs();

  /** The node's home (for the project registry). */
  HackHome home();

  /** The node's view of its registered peers. */
  dev.hack.node.mesh.Peers peers();

  /**
   * This node's tailnet addresses as Tailscale last reported them ({@code Self.TailscaleIPs});
   * empty when Tailscale is not running. Never blocks.
   */
  default Set<InetAddress> tailnetAddresses() {
    return Set.of();
  }

  /**
   * Who tailscaled says is behind {@code remote}, a connection's client address. Blocks for at most
   * the LocalAPI client's timeout; never throws for a daemon that is down or slow (see {@link
   * WhoIsResult}).
   */
  default WhoIsResult whois(InetSocketAddress remote) {
    return new WhoIsResult(TailscaleState.disabled("this node does not ask tailscale"), null);
  }

  /** The links to the hubs this node has joined, or null where there are none (tests). */
  default dev.hack.node.mesh.HubLinks hubs() {
    return null;
  }
}
