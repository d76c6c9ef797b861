package dev.hack.node.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run as a job: argv, working directory and environment overrides, on behalf of a project.
 *
 * @param projectId the project the job belongs to, or null (a job run outside any project)
 * @param projectName its display name, or null
 * @param runner the runner name, one of {@link #RUNNERS}; null or blank means {@link
 *     #DEFAULT_RUNNER}
 * @param command argv: at least the program, which is looked up on {@code PATH} unless it contains
 *     a {@code /}
 * @param cwd an existing directory, absolute (the caller has already checked that it lies where it
 *     may, e.g. inside the project root)
 * @param env variables that override the node's own environment; kept in memory only, never written
 *     to disk or logged
 * @throws IllegalArgumentException carrying the bad value when any of these rules is broken
 */
public record JobSpec(
    String projectId,
    String projectName,
    String runner,
    List<String> command,
    Path cwd,
    Map<String, String> env) {

  public static final String DEFAULT_RUNNER = "generic";

  /**
   * The runners this node has. Seed 001 names only {@code generic} (the command as it is, on this
   * node); any other name is refused rather than recorded as if it meant something.
   */
  public static final List<String> RUNNERS = List.of(DEFAULT_RUNNER);

  public JobSpec {
    if (command == null || command.isEmpty()) {
      throw new IllegalArgumentException("a job needs a command");
    }
    for (String arg : command) {
      if (arg == null || arg.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("invalid command argument " + JobProcess.quote(arg));
      }
    }
    if (command.get(0).isEmpty()) {
      throw new IllegalArgumentException("a job's program name is empty");
    }
    command = List.copyOf(command);
    runner = runner == null || runner.isBlank() ? DEFAULT_RUNNER : runner;
    if (!RUNNERS.contains(runner)) {
      throw new IllegalArgumentException(
          "unknown runner "
              + JobProcess.quote(runner)
              + "; the runners are: "
              + String.join(", ", RUNNERS));
    }
    if (cwd == null || !cwd.isAbsolute()) {
      throw new IllegalArgumentException("a job's working directory must be absolute: " + cwd);
    }
    cwd = cwd.normalize();
    if (!Files.isDirectory(cwd)) {
      throw new IllegalArgumentException("a job's working directory is not a directory: " + cwd);
    }
    if (env == null) {
      env = Map.of();
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "invalid environment variable name " + JobProcess.quote(name));
      }
      // The value is not shown: it may be a secret.
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException("invalid value for environment variable " + name);
      }
    }
    env = Map.copyOf(env);
  }

  /** A job in {@code cwd} with the default runner and no environment overrides. */
  public JobSpec(String projectId, List<String> command, Path cwd) {
    this(projectId, null, null, command, cwd, Map.of());
  }

  /** Shows the names of the environment overrides, never their values. */
  @Override
  public String toString() {
    return "JobSpec[projectId="
        + projectId
        + ", runner="
        + runner
        + ", command="
        + command
        + ", cwd="
        + cwd
        + ", env="
        + env.keySet()
        + "]";
  }
}
