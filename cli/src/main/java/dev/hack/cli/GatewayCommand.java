package dev.hack.cli;

import com.google.gson.JsonArray;
import dev.hack.keys.AuditLog;
import dev.hack.keys.HackHome;
import dev.hack.keys.TokenStore;
import dev.hack.node.api.Json;
import dev.hack.node.config.ConfigFile;
import dev.hack.node.project.ProjectRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hack gateway enable|setup|token-create|token-list|token-revoke} (also spelt {@code hack x
 * gateway}). Token creation and revocation are recorded in the gateway's audit log; the secret
 * never is.
 */
@Command(
    name = "gateway",
    description = "Choose the projects the gateway serves and manage its access tokens.",
    mixinStandardHelpOptions = true,
    subcommands = {
      GatewayCommand.Enable.class,
      RemoteSetup.class,
      GatewayCommand.TokenCreate.class,
      GatewayCommand.TokenList.class,
      GatewayCommand.TokenRevoke.class
    })
final class GatewayCommand {
  /** The global setting that lets the gateway accept non-GET requests (seed 001). */
  static final String ALLOW_WRITES = "controlPlane.gateway.allowWrites";

  private GatewayCommand() {}

  /** A project made (or unmade) gateway-enabled; {@code createdIntent} if its file is new. */
  record Enabled(ProjectRegistry.Project project, Path createdIntent) {}

  /**
   * Sets {@code gateway_enabled} on a project: the one {@code project} names (a registered name or
   * id, or a directory), else the project around the working directory. A project that is not
   * registered yet is registered; when enabling, a directory without {@code .hack/project.json}
   * gets one, as {@code hack project add} would make it.
   */
  static Enabled enable(HackHome home, String project, boolean enabled) throws IOException {
    ProjectRegistry registry = ProjectRegistry.open(home);
    Path dir = Path.of("");
    if (project != null) {
      Optional<ProjectRegistry.Project> known = registry.find(project);
      if (known.isPresent()) {
        return new Enabled(registry.setGatewayEnabled(known.get().id(), enabled), null);
      }
      dir = Path.of(project);
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException(
            "no project named " + project + " and no such directory; see: hack project list");
      }
    }
    ProjectCommand.Intent intent = ProjectCommand.find(dir, true);
    Path created = null;
    if (!Files.isRegularFile(intent.file())) {
      if (!enabled) {
        throw new IllegalArgumentException(
            "no project at " + intent.root() + " (no .hack/" + ProjectCommand.INTENT + ")");
      }
      if (intent.file().getParent().equals(home.root())) {
        throw new IllegalArgumentException(
            intent.root()
                + "/.hack is HACK_HOME, not a project; run this in a project's directory or pass"
                + " --project");
      }
      intent.json().addProperty("name", intent.root().getFileName().toString());
      intent.json().add("sessions", new JsonArray());
      ProjectCommand.write(intent);
      created = intent.file();
    }
    ProjectRegistry.Project p = ProjectCommand.register(home, intent);
    return new Enabled(registry.setGatewayEnabled(p.id(), enabled), created);
  }

  /**
   * Records a new token in the audit log: its id, and its scope, label and expiry as a readable
   * {@code detail} (as the gateway's own entries have it), never its secret.
   */
  static void auditCreate(HackHome home, TokenStore.Created c, String label) throws IOException {
    AuditLog.open(home)
        .entry("cli", "token_create")
        .with("token_id", c.id())
        .with("detail", tokenDetail(c.scope(), label, c.expiresAt()))
        .write();
  }

  /** {@code scope write, label "phone", expires 2026-12-21T09:14:02Z, by the CLI}. */
  static String tokenDetail(String scope, String label, String expiresAt) {
    StringBuilder sb = new StringBuilder("scope ").append(scope);
    if (label != null) {
      sb.append(", label ").append(Json.GSON.toJson(label));
    }
    if (expiresAt != null) {
      sb.append(", expires ").append(expiresAt);
    }
    return sb.append(", by the CLI").toString();
  }

  static boolean allowWrites(HackHome home) throws IOException {
    return new ConfigFile(home.config()).getBoolean(ALLOW_WRITES, false);
  }

  @Command(
      name = "enable",
      description = {
        "Let the gateway serve a project (default: the one around the current directory,"
            + " registered and given a .hack/project.json if it has none).",
        "A running node picks the change up on its next request; no restart is needed."
      },
      mixinStandardHelpOptions = true)
  static final class Enable implements Callable<Integer> {
    @Option(
        names = "--project",
        paramLabel = "NAME|DIR",
        description = "a registered project's name or id, or a project directory")
    String project;

    @Option(names = "--disable", description = "stop serving the project instead")
    boolean disable;

    @Option(names = "--json", description = "the project's registry entry, as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
      HackHome home = HackHome.fromEnvironment();
      Enabled e = enable(home, project, !disable);
      ProjectRegistry.Project p = e.project();
      if (json) {
        System.out.println(Json.GSON.toJson(p.raw()));
        return 0;
      }
      if (e.createdIntent() != null) {
        System.out.println("created " + e.createdIntent());
      }
      System.out.println(
          "gateway "
              + (disable ? "disabled" : "enabled")
              + " for project "
              + p.name()
              + " ("
              + p.id()
              + ") at "
              + p.root());
      System.out.println(
          "a running node "
              + (disable ? "stops serving it" : "serves it")
              + " from its next request on (it reads registry/projects.json on every request);"
              + " no restart needed");
      if (!disable && !allowWrites(home)) {
        System.out.println(
            "the gateway is read-only; to allow jobs and shells: hack config set --global "
                + ALLOW_WRITES
                + " true");
      }
      return 0;
    }
  }

  /** {@code hack x ...}: the spellings of seed 001 ({@code hack x gateway token-create}). */
  @Command(
      name = "x",
      description = "Experimental spellings: hack x gateway enable|setup|token-*.",
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
      HackHome home = HackHome.fromEnvironment();
      TokenStore.Scope s = TokenStore.Scope.parse(scope);
      Duration d = ttl == null ? null : NodeCommand.Durations.parse(ttl);
      TokenStore.Created c = TokenStore.open(home).create(s, d, label);
      auditCreate(home, c, label);
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
          out.add(t.view());
        }
        System.out.println(Json.GSON.toJson(out));
        return 0;
      }
      if (tokens.isEmpty()) {
        System.out.println("no tokens; create one with: hack gateway token-create --scope read");
        return 0;
      }
      java.time.Instant now = java.time.Instant.now();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"ID", "SCOPE", "STATE", "LAST USED", "EXPIRES", "LABEL"});
      for (TokenStore.Token t : tokens) {
        rows.add(
            new String[] {
              t.id(),
              t.scope(),
              t.state(now),
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
      HackHome home = HackHome.fromEnvironment();
      TokenStore store = TokenStore.open(home);
      String detail = null;
      for (TokenStore.Token t : store.list()) {
        if (t.id().equals(id)) {
          detail = tokenDetail(t.scope(), t.label(), null);
        }
      }
      store.revoke(id);
      AuditLog.open(home)
          .entry("cli", "token_revoke")
          .with("token_id", id)
          .with("detail", detail)
          .write();
      System.out.println("revoked token " + id);
      return 0;
    }
  }
}
