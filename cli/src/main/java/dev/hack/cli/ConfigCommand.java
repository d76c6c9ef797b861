package dev.hack.cli;

import com.google.gson.JsonElement;
import dev.hack.keys.HackHome;
import dev.hack.node.api.Json;
import dev.hack.node.config.ConfigFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hack config get|set}: the global config.json, or the current project's. */
@Command(
    name = "config",
    description = "Read and change settings (dotted keys, e.g. controlPlane.gateway.allowWrites).",
    mixinStandardHelpOptions = true,
    subcommands = {ConfigCommand.Get.class, ConfigCommand.Set.class})
final class ConfigCommand {
  private ConfigCommand() {}

  /** The global file, or the project's {@code .hack/config.json} found from the working dir. */
  static ConfigFile file(boolean global) {
    if (global) {
      return new ConfigFile(HackHome.fromEnvironment().config());
    }
    Path dir = Path.of("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve(".hack")) && !d.resolve(".hack").equals(homeRoot())) {
        return new ConfigFile(d.resolve(".hack").resolve("config.json"));
      }
    }
    throw new IllegalArgumentException(
        "not inside a project (no .hack directory above " + dir + "); use --global");
  }

  private static Path homeRoot() {
    return HackHome.fromEnvironment().root();
  }

  @Command(name = "get", description = "Print a setting.", mixinStandardHelpOptions = true)
  static final class Get implements Callable<Integer> {
    @Option(names = "--global", description = "HACK_HOME/config.json instead of the project's")
    boolean global;

    @Parameters(paramLabel = "KEY")
    String key;

    @Override
    public Integer call() throws Exception {
      ConfigFile f = file(global);
      Optional<JsonElement> v = f.get(key);
      if (v.isEmpty()) {
        System.err.println("hack: " + key + " is not set in " + f.file());
        return 1;
      }
      JsonElement e = v.get();
      System.out.println(
          e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()
              ? e.getAsString()
              : Json.PRETTY.toJson(e));
      return 0;
    }
  }

  @Command(
      name = "set",
      description = "Change a setting; VALUE is JSON when it parses (true, 3), else text.",
      mixinStandardHelpOptions = true)
  static final class Set implements Callable<Integer> {
    @Option(names = "--global", description = "HACK_HOME/config.json instead of the project's")
    boolean global;

    @Option(names = "--unset", description = "remove the setting")
    boolean unset;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE")
    String value;

    @Override
    public Integer call() throws Exception {
      if (value == null && !unset) {
        throw new IllegalArgumentException("missing VALUE (or --unset to remove " + key + ")");
      }
      ConfigFile f = file(global);
      f.set(key, unset ? null : ConfigFile.parseValue(value));
      return 0;
    }
  }
}
