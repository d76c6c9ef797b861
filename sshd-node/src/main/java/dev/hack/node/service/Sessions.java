package dev.hack.node.service;

import dev.hack.node.api.PtySize;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.supervisor.RestartPolicy;
import dev.hack.node.supervisor.Session;
import dev.hack.node.supervisor.SessionSpec;
import dev.hack.node.supervisor.SessionType;
import dev.hack.node.supervisor.Supervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Starting sessions, the same way from every door: {@code new} over SSH, the picker's form, and
 * {@code POST /v1/sessions} and {@code POST …/shells} on the gateway. The doors only translate what
 * they were given into a {@link Request} and the answer back; every rule is here or below:
 *
 * <ul>
 *   <li>the type: {@link SessionType#infer};
 *   <li>the project and the working directory: {@link Workdirs} (a registered project contains its
 *       sessions; an unknown project name is only a label);
 *   <li>ids, sizes, the program, the environment and the disk: {@link Supervisor#create} and {@link
 *       SessionSpec}.
 * </ul>
 */
public final class Sessions {
  private final Supervisor supervisor;
  private final Supplier<ProjectRegistry> projects;

  public Sessions(Supervisor supervisor, Supplier<ProjectRegistry> projects) {
    this.supervisor = supervisor;
    this.projects = projects;
  }

  /**
   * A new session as a door received it; null fields take their defaults.
   *
   * @param type {@code shell}, {@code process} or {@code tmux}, or null to infer it
   * @param cwd a directory (see {@link Workdirs}), or null for the project's root or the home
   * @param project a registered project's name or id (which then contains the cwd), or a label
   * @param restart a restart policy's name, or null for {@code never}
   * @param onRestore the command run in place of the program when it is gone at a node's start (a
   *     reboot), or null
   */
  public record Request(
      String id,
      String type,
      List<String> command,
      String cwd,
      String project,
      Map<String, String> env,
      String restart,
      PtySize size,
      String onRestore) {

    /** A request without a restore command. */
    public Request(
        String id,
        String type,
        List<String> command,
        String cwd,
        String project,
        Map<String, String> env,
        String restart,
        PtySize size) {
      this(id, type, command, cwd, project, env, restart, size, null);
    }
  }

  /** Starts a session; see the class comment for the rules. */
  public Session create(Request r) throws IOException {
    List<String> command = r.command() == null ? List.of() : r.command();
    SessionType type = SessionType.infer(r.type(), command);
    String project = r.project();
    Path cwd;
    Optional<ProjectRegistry.Project> registered =
        project == null ? Optional.empty() : projects.get().find(project);
    if (registered.isPresent()) {
      cwd = Workdirs.inProject(registered.get().root(), r.cwd());
      project = registered.get().name();
    } else {
      cwd = Workdirs.underHome(r.cwd());
    }
    return supervisor.create(
        new SessionSpec(
            r.id(),
            type,
            command,
            cwd.toString(),
            project,
            r.env(),
            r.restart() == null ? null : RestartPolicy.parse(r.restart()),
            r.size(),
            r.onRestore()));
  }
}
