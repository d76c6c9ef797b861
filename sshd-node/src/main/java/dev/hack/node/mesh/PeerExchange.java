package dev.hack.node.mesh;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.keys.KnownHosts;
import dev.hack.node.api.Json;
import dev.hack.node.config.ConfigFile;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peer exchange (seed 003): a node learns its peers' peers, so that nodes paired in a chain or a
 * star converge on one peer list. Each successful health check of a peer also asks it for its peers
 * ({@code peer exchange}: name, id, address and host key of each) and merges what is new.
 *
 * <p>Trust: a learned peer is registered (labels {@code peer}, {@code learned}), its host key is
 * recorded, and it is let in (comment {@code hack-peer:NAME via:PEER}). The peer that vouches for
 * it could already run anything on this node, since it is paired; vouching gives it nothing it did
 * not have. {@code mesh.peerExchange: false} in {@code config.json} turns exchange off.
 *
 * <p>What is never learned: this node itself; a node it already knows (by id or by name); a node
 * removed here with {@code peer rm} (kept in {@code registry/removed-peers.json} until it is paired
 * again explicitly), so a removed peer stays removed; a peer that joined through a tunnel (its
 * address is only good on its hub); and a loopback address from a peer that is not itself on
 * loopback.
 *
 * <p>Thread-safe as far as the files are: each change is one locked write.
 */
public final class PeerExchange {
  private static final Logger LOG = LoggerFactory.getLogger(PeerExchange.class);

  /** The label of a peer this node learned from another peer. */
  public static final String LEARNED_LABEL = "learned";

  /** One peer as {@code peer exchange} tells it. */
  public record Offer(
      String name, String id, String ssh, @SerializedName("host_key") String hostKey) {}

  private final HackHome home;
  private final String selfId;
  private final NodeRegistry registry;

  public PeerExchange(HackHome home, String selfId) {
    this.home = home;
    this.selfId = selfId;
    this.registry = NodeRegistry.open(home);
  }

  /** Whether exchange is on ({@code mesh.peerExchange}, default true). */
  public boolean enabled() {
    try {
      return new ConfigFile(home.config()).getBoolean("mesh.peerExchange", true);
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }

  /** This node's peers for another node: the ones with a direct address and a known host key. */
  public List<Offer> offers() throws IOException {
    KnownHosts known = new KnownHosts(home.knownHosts());
    List<Offer> out = new ArrayList<>();
    for (RegisteredNode n : registry.list()) {
      if (!n.labels().contains(Peers.PEER_LABEL)
          || n.labels().contains(Joins.JOINED_LABEL)
          || n.id() == null
          || n.ssh().isEmpty()) {
        continue;
      }
      RegisteredNode.SshEndpoint at = n.ssh().get();
      Optional<PublicKey> key = known.lookup(at.host(), at.port());
      key.ifPresent(
          k -> out.add(new Offer(n.name(), n.id(), at.toString(), KeyFiles.openSshLine(k))));
    }
    return out;
  }

  /**
   * Merges what {@code from} (a paired peer, reached at {@code fromAddress}) offered.
   *
   * @param json the output of {@code peer exchange} on that peer
   * @return the names of the peers learned
   */
  public List<String> merge(String from, RegisteredNode.SshEndpoint fromAddress, String json)
      throws IOException {
    if (!enabled()) {
      return List.of();
    }
    List<String> learned = new ArrayList<>();
    JsonArray offers = JsonParser.parseString(json).getAsJsonArray();
    List<RegisteredNode> known = registry.list();
    List<String> removed = removedIds();
    for (JsonElement e : offers) {
      Offer o;
      try {
        o = Json.GSON.fromJson(e, Offer.class);
      } catch (RuntimeException bad) {
        continue;
      }
      if (o == null
          || o.id() == null
          || o.name() == null
          || o.ssh() == null
          || o.hostKey() == null
          || o.id().equals(selfId)
          || removed.contains(o.id())
          || known.stream().anyMatch(n -> o.id().equals(n.id()) || o.name().equals(n.name()))) {
        continue;
      }
      try {
        RegisteredNode.SshEndpoint at = RegisteredNode.SshEndpoint.parse(o.ssh());
        if (isLoopback(at.host()) && !isLoopback(fromAddress.host())) {
          continue; // only good on that peer's own machine
        }
        PublicKey key = KeyFiles.parseOpenSshLine(o.hostKey());
        RegisteredNode n =
            RegisteredNode.of(o.name(), at)
                .withId(o.id())
                .withLabels(List.of(Peers.PEER_LABEL, LEARNED_LABEL));
        new KnownHosts(home.knownHosts()).remember(at.host(), at.port(), key);
        new AuthorizedKeys(home.authorizedKeys(), w -> {})
            .authorize(KeyFiles.openSshLine(key) + " hack-peer:" + o.name() + " via:" + from);
        registry.put(n);
        learned.add(o.name());
        LOG.info("learned peer {} ({}) at {} from {}", o.name(), o.id(), at, from);
      } catch (IllegalArgumentException bad) {
        LOG.debug("{} offered a peer that does not parse: {}", from, bad.getMessage());
      }
    }
    return learned;
  }

  /** Records that the peer {@code id} was removed here: exchange will not bring it back. */
  public void removed(String id, String name) throws IOException {
    if (id == null) {
      return;
    }
    JsonObject doc = readRemoved();
    JsonArray list = doc.getAsJsonArray("removed");
    for (JsonElement e : list) {
      if (id.equals(e.getAsJsonObject().get("id").getAsString())) {
        return;
      }
    }
    JsonObject entry = new JsonObject();
    entry.addProperty("id", id);
    entry.addProperty("name", name);
    entry.addProperty("removed_at", Instant.now().toString());
    list.add(entry);
    writeRemoved(doc);
  }

  /** The peer {@code id} was paired again explicitly: it may be learned and kept again. */
  public void readmitted(String id) throws IOException {
    if (id == null) {
      return;
    }
    JsonObject doc = readRemoved();
    JsonArray list = doc.getAsJsonArray("removed");
    JsonArray kept = new JsonArray();
    for (JsonElement e : list) {
      if (!id.equals(e.getAsJsonObject().get("id").getAsString())) {
        kept.add(e);
      }
    }
    if (kept.size() != list.size()) {
      doc.add("removed", kept);
      writeRemoved(doc);
    }
  }

  private List<String> removedIds() throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonElement e : readRemoved().getAsJsonArray("removed")) {
      out.add(e.getAsJsonObject().get("id").getAsString());
    }
    return out;
  }

  private Path removedFile() {
    return home.registry().resolveSibling("removed-peers.json");
  }

  private JsonObject readRemoved() throws IOException {
    Path f = removedFile();
    if (Files.exists(f)) {
      try {
        JsonObject o =
            JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
        if (o.has("removed") && o.get("removed").isJsonArray()) {
          return o;
        }
      } catch (RuntimeException e) {
        LOG.warn("{} is not readable ({}); starting it over", f, e.getMessage());
      }
    }
    JsonObject o = new JsonObject();
    o.addProperty("version", 1);
    o.add("removed", new JsonArray());
    return o;
  }

  private void writeRemoved(JsonObject doc) throws IOException {
    Path f = removedFile();
    FileModes.ensurePrivateDir(f.getParent());
    FileModes.writeAtomically(f, Json.PRETTY.toJson(doc).getBytes(StandardCharsets.UTF_8), false);
  }

  static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    try {
      if (host.chars().allMatch(c -> Character.isDigit(c) || c == '.' || c == ':')) {
        return InetAddress.getByName(host).isLoopbackAddress();
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }
}
