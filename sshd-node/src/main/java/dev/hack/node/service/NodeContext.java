package dev.hack.node.service;

import dev.hack.keys.HackHome;
import dev.hack.node.api.NodeStatus;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.mesh.HubLinks;
import dev.hack.node.mesh.Peers;
import dev.hack.node.mesh.tailscale.TailscaleState;
import dev.hack.node.mesh.tailscale.WhoIsResult;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.supervisor.Supervisor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the node hands each of its doors (SSH, the gateway, the picker through SSH): the same
 * services, built once by {@code Node}, the composition root. A door reaches the node through this
 * record only; none of them sees {@code Node} itself.
 *
 * @param home the node's files
 * @param supervisor the sessions as they run (listing, attaching, stopping)
 * @param sessions starting sessions, with the rules every door shares
 * @param jobs the node's jobs
 * @param peers the node's view of its registered peers
 * @param hubs the links to the hubs this node joined, or null where there are none (tests)
 * @param attachments attaching a terminal to ID or ID@NODE, or to a tmux session
 * @param statusNow the node's status, computed at each call
 * @param startedAt when the node started
 * @param tailnet this node on the tailnet: its addresses and who is behind a connection
 */
public record NodeContext(
    HackHome home,
    Supervisor supervisor,
    Sessions sessions,
    JobManager jobs,
    Peers peers,
    HubLinks hubs,
    Attachments attachments,
    Supplier<NodeStatus> statusNow,
    Instant startedAt,
    Tailnet tailnet) {

  public NodeContext {
    Objects.requireNonNull(home, "home");
    Objects.requireNonNull(supervisor, "supervisor");
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(jobs, "jobs");
    Objects.requireNonNull(attachments, "attachments");
    Objects.requireNonNull(statusNow, "statusNow");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(tailnet, "tailnet");
  }

  /**
   * A node with its sessions and jobs only: no peers, hubs or tailnet (tests, tools).
   *
   * @param status the node's status; where it does not matter, a supplier of null
   */
  public static NodeContext local(
      HackHome home, Supervisor supervisor, JobManager jobs, Supplier<NodeStatus> status) {
    return new NodeContext(
        home,
        supervisor,
        new Sessions(supervisor, () -> ProjectRegistry.open(home)),
        jobs,
        null,
        null,
        new Attachments(supervisor, null, status),
        status,
        Instant.now(),
        Tailnet.none());
  }

  /** The node's status now (sessions counted, warnings, tailnet, hubs). */
  public NodeStatus status() {
    return statusNow.get();
  }

  /** This node on the tailnet, as the doors need it. */
  public interface Tailnet {
    /**
     * This node's tailnet addresses as Tailscale last reported them ({@code Self.TailscaleIPs});
     * empty when Tailscale is not running. Never blocks.
     */
    Set<InetAddress> addresses();

    /**
     * Who tailscaled says is behind {@code remote}, a connection's client address. Blocks for at
     * most the LocalAPI client's timeout; never throws for a daemon that is down or slow (see
     * {@link WhoIsResult}).
     */
    WhoIsResult whois(InetSocketAddress remote);

    /** A node that does not ask Tailscale: no addresses, and nobody is known. */
    static Tailnet none() {
      return new Tailnet() {
        @Override
        public Set<InetAddress> addresses() {
          return Set.of();
        }

        @Override
        public WhoIsResult whois(InetSocketAddress remote) {
          return new WhoIsResult(TailscaleState.disabled("this node does not ask tailscale"), null);
        }
      };
    }
  }
}
