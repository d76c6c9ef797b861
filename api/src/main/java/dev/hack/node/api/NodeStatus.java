package dev.hack.node.api;

import com.google.gson.annotations.SerializedName;

/**
 * {@code status --json} over SSH and {@code /v1/node/status} over the gateway. {@code status} is
 * {@code ok}, or {@code degraded} when {@code warnings} holds what needs the user's attention (one
 * sentence each, e.g. sessions that cannot log because the disk is full).
 */
public record NodeStatus(
    String status,
    String id,
    String name,
    String version,
    long pid,
    @SerializedName("started_at") String startedAt,
    @SerializedName("uptime_ms") long uptimeMs,
    int sessions,
    @SerializedName("sessions_running") int sessionsRunning,
    Endpoint ssh,
    Gateway gateway,
    @SerializedName("host_key") String hostKey,
    Tailscale tailscale,
    java.util.List<Hub> hubs,
    java.util.List<String> warnings) {

  public record Endpoint(String host, int port) {}

  public record Gateway(String url) {}

  /**
   * A hub this node has joined ({@code hack node join}) and how its link is: {@code state} is
   * {@code connecting}, {@code connected} or {@code retrying}; {@code error} says why it is not up.
   */
  public record Hub(
      String hub,
      String address,
      String state,
      String since,
      @SerializedName("tunnel_port") Integer tunnelPort,
      String error) {}

  /** RFC 0001 status semantics: running, blocked, needs_config or disabled. */
  public record Tailscale(String status, String ip, String hostname) {}
}
