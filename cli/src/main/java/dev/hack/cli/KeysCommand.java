package dev.hack.cli;

import dev.hack.keys.AuthorizedKeys;
import dev.hack.keys.HackHome;
import dev.hack.keys.KeyFiles;
import dev.hack.node.api.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hack keys ...}: the node's host key and who may log in. */
@Command(
    name = "keys",
    description = "Show the host key; authorize SSH keys to log in to this node, or revoke them.",
    mixinStandardHelpOptions = true,
    subcommands = {KeysCommand.Show.class, KeysCommand.Authorize.class, KeysCommand.Revoke.class})
final class KeysCommand {
  private KeysCommand() {}

  @Command(
      name = "show",
      description = "Host key fingerprint and authorized keys.",
      mixinStandardHelpOptions = true)
  static final class Show implements Callable<Integer> {
    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      String hostKey = null;
      if (Files.exists(home.hostKey())) {
        KeyPair pair = KeyFiles.load(home.hostKey());
        hostKey = KeyFiles.fingerprint(pair.getPublic());
      }
      List<String> warnings = new ArrayList<>();
      List<AuthorizedKeys.Entry> entries =
          new AuthorizedKeys(home.authorizedKeys(), warnings::add).entries();
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("host_key", hostKey);
        List<Map<String, Object>> keys = new ArrayList<>();
        for (AuthorizedKeys.Entry e : entries) {
          Map<String, Object> k = new LinkedHashMap<>();
          k.put("type", e.type());
          k.put("fingerprint", e.fingerprint());
          k.put("comment", e.comment());
          k.put("line", e.line());
          keys.add(k);
        }
        out.put("authorized_keys", keys);
        out.put("warnings", warnings);
        System.out.println(Json.GSON.toJson(out));
        return 0;
      }
      System.out.println(
          "host key:  "
              + (hostKey == null
                  ? "none yet (hack node serve creates " + home.hostKey() + ")"
                  : hostKey + "  (" + home.hostKey() + ")"));
      System.out.println("authorized keys (" + home.authorizedKeys() + "):");
      if (entries.isEmpty()) {
        System.out.println("  none; add one with: hack keys authorize ~/.ssh/id_ed25519.pub");
      }
      for (AuthorizedKeys.Entry e : entries) {
        System.out.println("  " + e.type() + "  " + e.fingerprint() + "  " + e.comment());
      }
      for (String w : warnings) {
        System.err.println("hack: warning: " + w);
      }
      return 0;
    }
  }

  @Command(
      name = "authorize",
      description = "Let the SSH public key(s) in FILE (or - for stdin) log in to this node.",
      mixinStandardHelpOptions = true)
  static final class Authorize implements Callable<Integer> {
    @Parameters(paramLabel = "FILE|-", description = "public key file, e.g. ~/.ssh/id_ed25519.pub")
    String file;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      String text;
      if ("-".equals(file)) {
        text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
      } else {
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) {
          throw new IllegalArgumentException("no such file: " + file);
        }
        if (!p.getFileName().toString().endsWith(".pub")
            && Files.readString(p, StandardCharsets.UTF_8).contains("PRIVATE KEY")) {
          throw new IllegalArgumentException(
              file + " is a private key; authorize its public half: " + file + ".pub");
        }
        text = Files.readString(p, StandardCharsets.UTF_8);
      }
      int added = new AuthorizedKeys(home.authorizedKeys(), w -> {}).authorize(text);
      System.out.println(
          added == 0
              ? "already authorized; nothing changed"
              : "authorized "
                  + added
                  + " key"
                  + (added == 1 ? "" : "s")
                  + " in "
                  + home.authorizedKeys());
      return 0;
    }
  }

  @Command(
      name = "revoke",
      description =
          "Stop a key logging in to this node: by its SHA256 fingerprint (hack keys show), or the"
              + " .pub file. A running node ends the key's open connections within seconds.",
      mixinStandardHelpOptions = true)
  static final class Revoke implements Callable<Integer> {
    @Parameters(paramLabel = "SHA256:FP|FILE", description = "fingerprint, or public key file")
    String key;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      AuthorizedKeys keys = new AuthorizedKeys(home.authorizedKeys(), w -> {});
      List<AuthorizedKeys.Entry> matching = new ArrayList<>();
      if (key.startsWith("SHA256:")) {
        for (AuthorizedKeys.Entry e : keys.entries()) {
          if (e.fingerprint().equals(key)) {
            matching.add(e);
          }
        }
      } else {
        Path p = Path.of(key);
        if (!Files.isRegularFile(p)) {
          throw new IllegalArgumentException(
              "no such file: " + key + "; name a key by its SHA256 fingerprint (hack keys show)");
        }
        List<AuthorizedKeys.Entry> inFile =
            AuthorizedKeys.parse(Files.readAllLines(p, StandardCharsets.UTF_8), key, w -> {});
        if (inFile.isEmpty()) {
          throw new IllegalArgumentException("no public key in " + key);
        }
        for (AuthorizedKeys.Entry e : keys.entries()) {
          if (inFile.stream().anyMatch(f -> f.fingerprint().equals(e.fingerprint()))) {
            matching.add(e);
          }
        }
      }
      if (matching.isEmpty()) {
        System.out.println("not authorized; nothing changed");
        return 0;
      }
      int removed = 0;
      for (AuthorizedKeys.Entry e : matching) {
        removed += keys.revoke(e.key());
        dev.hack.keys.AuditLog.open(home)
            .entry("cli", "key_revoke")
            .with("who", e.fingerprint())
            .with("detail", e.comment())
            .write();
      }
      System.out.println(
          "revoked "
              + removed
              + " key"
              + (removed == 1 ? "" : "s")
              + " in "
              + home.authorizedKeys()
              + "; a running node ends their connections");
      return 0;
    }
  }
}
