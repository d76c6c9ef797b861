package dev.hack.node.ssh;

import dev.hack.keys.KeyFiles;
import dev.hack.node.api.Json;
import dev.hack.node.api.PeerStatus;
import dev.hack.node.service.PeerAdmin;
import dev.hack.node.text.Tables;
import java.io.IOException;
import java.security.PublicKey;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code peer} commands of the SSH table: the nodes this node checks, lists and lets in ({@code
 * hack node pair} uses them). What they change is {@link PeerAdmin}'s; ending the connections of a
 * node no longer let in is this door's.
 */
final class PeerVerbs {
  private PeerVerbs() {}

  @Command(
      name = "peer",
      description = "This node's peers: the nodes it checks, lists and lets in.",
      subcommands = {
        PeerAdd.class,
        PeerList.class,
        PeerRm.class,
        PeerWhoami.class,
        MeshCommands.PeerJoin.class,
        MeshCommands.PeerExchangeCmd.class
      })
  static final class PeerCmd implements Verb.Group {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  @Command(
      name = "add",
      description =
          "Register a peer (name, address, host key); with --authorize also let it log in here.")
  static final class PeerAdd implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "ssh://HOST[:PORT]")
    String url;

    @Option(names = "--id", paramLabel = "ID", description = "the peer's node id")
    String id;

    @Option(
        names = "--host-key",
        required = true,
        paramLabel = "KEY",
        description = "the peer's host key, as 'ssh-ed25519 AAAA...'")
    String hostKey;

    @Option(names = "--authorize", description = "let the peer's node log in to this node")
    boolean authorize;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      PeerAdmin.Added a = new PeerAdmin(call.node).addPeer(name, url, hostKey, id, authorize);
      call.audit.ok(
          "peer_add",
          "peer add " + name,
          "at "
              + a.at()
              + ", host key "
              + KeyFiles.fingerprint(a.hostKey())
              + (authorize ? ", may log in here" : ""));
      call.finish(
          0,
          "peer " + name + " at " + a.at() + (authorize ? "; its node may log in here" : "") + "\n",
          "");
    }
  }

  @Command(name = "list", description = "The peers and what their last health check found.")
  static final class PeerList implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) throws IOException {
      List<PeerStatus> list = call.node.peers().status();
      call.finish(0, json ? Json.GSON.toJson(list) + "\n" : Tables.peers(list), "");
    }
  }

  @Command(name = "rm", description = "Forget a peer and stop letting its node in.")
  static final class PeerRm implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      List<PublicKey> revoked = new PeerAdmin(call.node).removePeer(name);
      for (PublicKey k : revoked) {
        MeshCommands.disconnect(call.session(), k); // what it has open ends too
      }
      call.audit.ok("peer_rm", "peer rm " + name, revoked.size() + " keys revoked");
      call.finish(
          0,
          "removed peer "
              + name
              + (revoked.isEmpty() ? "" : "; its node may no longer log in here")
              + "\n",
          "");
    }
  }

  @Command(name = "whoami", description = "This node's id, name, host key and SSH address (JSON).")
  static final class PeerWhoami implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) throws IOException {
      call.finish(0, Json.GSON.toJson(new PeerAdmin(call.node).whoami()) + "\n", "");
    }
  }
}
