package dev.hack.node.ssh;

import java.util.List;
import java.util.Objects;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.session.Session;

/**
 * Who logged in by tailnet identity, kept on the SSH session ({@link #KEY}) for the commands to
 * see. A session that logged in with an authorized key has none. Immutable.
 *
 * @param loginName the owner's login ({@code UserProfile.LoginName}), or null
 * @param tags the node's ACL tags; when there are any the node acts as its tags, not its owner
 * @param nodeName the connecting node's MagicDNS name, or null
 * @param role what the login may do
 * @param remote the client's address as {@code IP:PORT}
 */
record TailnetLogin(
    String loginName, List<String> tags, String nodeName, TailnetRole role, String remote) {
  /** The session attribute holding the login; absent for key logins. */
  static final AttributeKey<TailnetLogin> KEY = new AttributeKey<>();

  TailnetLogin {
    tags = tags == null ? List.of() : List.copyOf(tags);
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(remote, "remote");
  }

  /** The tailnet login of {@code session}, or null when it logged in with a key. */
  static TailnetLogin of(Session session) {
    return session == null ? null : session.getAttribute(KEY);
  }

  /** For messages and logs: the tags of a tagged node, else the owner's login. */
  String who() {
    return tags.isEmpty() ? String.valueOf(loginName) : String.join(",", tags);
  }
}
