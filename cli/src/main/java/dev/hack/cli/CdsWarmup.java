package dev.hack.cli;

import dev.hack.keys.KeyFiles;
import dev.hack.node.api.Json;
import dev.hack.node.api.SessionInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.sshd.client.SshClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Loads the classes a client command needs, so that {@code scripts/hack} can archive them once with
 * class-data sharing ({@code -XX:ArchiveClassesAtExit}) and later runs start faster. Hidden.
 */
@Command(name = "cds-warmup", hidden = true)
final class CdsWarmup implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    CommandLine cl = new CommandLine(new Main());
    StringWriter sink = new StringWriter();
    for (CommandLine sub : cl.getSubcommands().values()) {
      sub.usage(new PrintWriter(sink));
      for (CommandLine subsub : sub.getSubcommands().values()) {
        subsub.usage(new PrintWriter(sink));
      }
    }
    Path dir = Files.createTempDirectory("hack-cds");
    try {
      KeyFiles.loadOrCreate(dir.resolve("k"), "warmup");
      KeyFiles.load(dir.resolve("k"));
    } finally {
      Files.deleteIfExists(dir.resolve("k"));
      Files.deleteIfExists(dir.resolve("k.pub"));
      Files.deleteIfExists(dir);
    }
    Json.GSON.fromJson(
        Json.GSON.toJson(
            List.of(
                new SessionInfo(
                    "x", "shell", "running", List.of(), "/", null, 1L, "t", "t", null, 0, 80, 24,
                    null, true))),
        SessionInfo[].class);
    SshClient client = SshClient.setUpDefaultClient();
    client.start();
    client.stop();
    return 0;
  }
}
