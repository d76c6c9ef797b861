/**
 * Tailscale, read through tailscaled's LocalAPI: whether it runs here, this machine's tailnet name
 * and addresses, its peers, and who is behind a connection's address.
 *
 * <p>{@link dev.hack.node.mesh.tailscale.LocalApiClient} is the entry point; its answers are
 * immutable records ({@link dev.hack.node.mesh.tailscale.TailscaleStatus}, {@link
 * dev.hack.node.mesh.tailscale.TailnetNode}, {@link dev.hack.node.mesh.tailscale.WhoIsResult},
 * {@link dev.hack.node.mesh.tailscale.WhoIs}) and every failure is a {@link
 * dev.hack.node.mesh.tailscale.TailscaleState} in RFC 0001's terms ({@code running}, {@code
 * blocked}, {@code needs_config}, {@code disabled}), never an exception. See {@code docs/mesh.md}.
 */
package dev.hack.node.mesh.tailscale;
