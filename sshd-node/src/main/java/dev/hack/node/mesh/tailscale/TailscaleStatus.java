package dev.hack.node.mesh.tailscale;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link LocalApiClient#status()} learned: the state in RFC 0001's terms and, when tailscaled
 * answered, this machine and its peers. Immutable.
 *
 * <p>When tailscaled did not answer ({@code disabled}, most {@code blocked} states) only {@link
 * #state} is set. When it answered with a backend state other than {@code Running} ({@code
 * needs_config}) the fields hold what it said, which is usually little: no addresses and no peers.
 *
 * @param state never null
 * @param backendState Tailscale's {@code BackendState} ({@code Running}, {@code NeedsLogin}, {@code
 *     NeedsMachineAuth}, {@code Stopped}, {@code Starting}, {@code NoState}), or null when
 *     tailscaled did not answer
 * @param self this machine ({@code Self}), or null
 * @param peers the other nodes of the tailnet ({@code Peer}), sorted by name; empty when unknown
 * @param magicDnsSuffix the tailnet's MagicDNS suffix ({@code tail1234.ts.net}, no dots around), or
 *     null
 * @param tailnet the tailnet's name ({@code CurrentTailnet.Name}), or null
 * @param version tailscaled's version ({@code Version}), or null
 */
public record TailscaleStatus(
    TailscaleState state,
    String backendState,
    TailnetNode self,
    List<TailnetNode> peers,
    String magicDnsSuffix,
    String tailnet,
    String version) {

  public TailscaleStatus {
    Objects.requireNonNull(state, "state");
    peers = peers == null ? List.of() : List.copyOf(peers);
  }

  /** A status with nothing but a state: tailscaled could not be asked, or did not answer. */
  static TailscaleStatus unavailable(TailscaleState state) {
    return new TailscaleStatus(state, null, null, List.of(), null, null, null);
  }

  /** This machine, when tailscaled described it. */
  public Optional<TailnetNode> selfNode() {
    return Optional.ofNullable(self);
  }

  /** The peers that are connected to the coordination server now. */
  public List<TailnetNode> onlinePeers() {
    return peers.stream().filter(TailnetNode::online).toList();
  }
}
