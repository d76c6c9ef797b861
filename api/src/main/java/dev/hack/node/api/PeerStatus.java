package dev.hack.node.api;

import com.google.gson.annotations.SerializedName;
import java.time.Instant;

/** What a node knows about one of its peers ({@code peer ls --json}, the TUI's node list). */
public record PeerStatus(
    String name,
    String id,
    String address,
    String status,
    @SerializedName("last_seen") Instant lastSeen,
    String version,
    String error) {}
