package dev.hack.cli;

import dev.hack.keys.HackHome;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hack gateway token-create|token-list|token-revoke} (also spelt {@code hack x gateway}).
 */
@Command(
    name = "gateway",
    description = "Manage the gateway's access tokens.",
    mixinStandardHelpOptions = true,
    subcommands = {
      GatewayCommand.TokenCreate.class,
      GatewayCommand.TokenList.class,
      GatewayCommand.TokenRevoke.class
    })
final class GatewayCommand {
  private GatewayCommand() {}

  /** {@code hack x ...}: the spellings of seed 001 ({@code hack x gateway token-create}). */
  @Command(
      name = "x",
      description = "Experimental spellings: hack x gateway token-*.",
      mixinStandardHelpOptions = true,
      subcommands = {GatewayCommand.class})
  static final class X {}

  @Command(
      name = "token-create",
      description = "Create a token and print its secret (shown only this once).",
      mixinStandardHelpOptions = true)
  static final class TokenCreate implements Callable<Integer> {
    @Option(
        names = "--scope",
        paramLabel = "SCOPE",
        defaultValue = "read",
        description = "read, write or admin (default: ${DEFAULT-VALUE})")
    String scope;

    @Option(names = "--ttl", paramLabel = "DURATION", description = "e.g. 12h, 30d (default: none)")
    String ttl;

    @Option(names = "--label", paramLabel = "LABEL", description = "what the token is for")
    String label;

    @Option(names = "--json", description = "{\"id\",\"token\",\"scope\",\"expires_at\"}")
    boolean json;

    @Override
    public Integer call() throws Exception {
      TokenStore.Created c =
          TokenStore.open(HackHome.fromEnvironment())
              .create(
                  TokenStore.Scope.parse(scope),
                  ttl == null ? null : NodeCommand.Durations.parse(ttl),
                  label);
      if (json) {
        System.out.println(Json.GSON.toJson(c));
      } else {
        System.out.println(c.token());
        System.err.println(
            "hack: token "
                + c.id()
                + " ("
                + c.scope()
                + (c.expiresAt() == null ? "" : ", expires " + c.expiresAt())
                + "); this is the only time its secret is shown");
      }
      return 0;
    }
  }

  @Command(
      name = "token-list",
      description = "Tokens (never their secrets), with when each was last used.",
      mixinStandardHelpOptions = true)
  static final class TokenList implements Callable<Integer> {
    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public Integer call() throws Exception {
      List<TokenStore.Token> tokens = TokenStore.open(HackHome.fromEnvironment()).list();
      if (json) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (TokenStore.Token t : tokens) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", t.id());
          m.put("label", t.label());
          m.put("scope", t.scope());
          m.put("created_at", t.createdAt());
          m.put("expires_at", t.expiresAt());
          m.put("revoked_at", t.revokedAt());
          m.put("last_used", t.lastUsed());
          out.add(m);
        }
        System.out.println(Json.GSON.toJson(out));
        return 0;
      }
      if (tokens.isEmpty()) {
        System.out.println("no tokens; create one with: hack gateway token-create --scope read");
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"ID", "SCOPE", "STATE", "LAST USED", "EXPIRES", "LABEL"});
      for (TokenStore.Token t : tokens) {
        rows.add(
            new String[] {
              t.id(),
              t.scope(),
              t.revokedAt() != null ? "revoked" : "active",
              t.lastUsed() == null ? "never" : t.lastUsed(),
              t.expiresAt() == null ? "never" : t.expiresAt(),
              t.label() == null ? "" : t.label()
            });
      }
      System.out.print(Tables.render(rows));
      return 0;
    }
  }

  @Command(name = "token-revoke", description = "Revoke a token.", mixinStandardHelpOptions = true)
  static final class TokenRevoke implements Callable<Integer> {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
      TokenStore.open(HackHome.fromEnvironment()).revoke(id);
      System.out.println("revoked token " + id);
      return 0;
    }
  }
}
