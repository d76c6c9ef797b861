package dev.hack.node.mesh.tailscale;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer to {@link LocalApiClient#whois}: an identity, or why there is none.
 *
 * <p>{@link #state} says whether the lookup could be done: {@code running} when tailscaled answered
 * (with an identity, or with "no such node", Tailscale's HTTP 404), otherwise the {@code disabled}
 * or {@code blocked} state that kept tailscaled from answering. Callers that grant access on a
 * WhoIs must treat anything but a present {@link #identity()} as "no".
 *
 * @param state never null; {@code running} whenever {@code who} is set
 * @param who the identity, or null
 */
public record WhoIsResult(TailscaleState state, WhoIs who) {
  public WhoIsResult {
    Objects.requireNonNull(state, "state");
    if (who != null && !state.isRunning()) {
      throw new IllegalArgumentException("an identity needs a running state, not " + state);
    }
  }

  /** The identity tailscaled named, if it named one. */
  public Optional<WhoIs> identity() {
    return Optional.ofNullable(who);
  }
}
