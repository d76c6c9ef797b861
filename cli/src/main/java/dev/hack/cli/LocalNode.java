package dev.hack.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.client.NodeClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Optional;
import org.apache.sshd.common.config.keys.KeyUtils;

/**
 * The node running from this {@code HACK_HOME}, found through {@code daemon/node.json}. It is this
 * user's own node: its host key is trusted without asking, and the user's hack key is authorized on
 * it automatically.
 */
final class LocalNode {
  private LocalNode() {}

  /** The running local node's SSH endpoint, if {@code node.json} names one. */
  static Optional<NodeClient.Target> target(HackHome home) throws IOException {
    if (!Files.exists(home.nodeFile())) {
      return Optional.empty();
    }
    JsonObject json =
        JsonParser.parseString(Files.readString(home.nodeFile(), StandardCharsets.UTF_8))
            .getAsJsonObject();
    JsonObject ssh = json.getAsJsonObject("ssh");
    String name = json.has("name") ? json.get("name").getAsString() : "local";
    return Optional.of(
        new NodeClient.Target(name, ssh.get("host").getAsString(), ssh.get("port").getAsInt()));
  }

  /** Whether {@code key} is this home's own host key. */
  static boolean isOwnHostKey(HackHome home, PublicKey key) {
    try {
      KeyPair own = KeyFiles.load(home.hostKey());
      return KeyUtils.compareKeys(own.getPublic(), key);
    } catch (IOException e) {
      return false;
    }
  }

  /** The user's hack key, created on first use and authorized on the local node. */
  static KeyPair userKey(HackHome home) throws IOException {
    boolean fresh = !Files.exists(home.userKey());
    String user = System.getProperty("user.name", "user");
    KeyPair pair = KeyFiles.loadOrCreate(home.userKey(), user + "@hack");
    AuthorizedKeys authorized = new AuthorizedKeys(home.authorizedKeys(), w -> {});
    if (fresh || !authorized.isAuthorized(pair.getPublic())) {
      authorized.authorize(
          Files.readString(KeyFiles.publicKeyPath(home.userKey()), StandardCharsets.UTF_8));
    }
    return pair;
  }
}
