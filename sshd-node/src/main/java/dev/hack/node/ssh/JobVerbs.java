package dev.hack.node.ssh;

import com.google.gson.JsonObject;
import dev.hack.node.api.Json;
import dev.hack.node.jobs.Job;
import dev.hack.node.jobs.JobManager;
import dev.hack.node.jobs.JobMeta;
import dev.hack.node.jobs.JobSpec;
import dev.hack.node.jobs.JobStatus;
import dev.hack.node.project.ProjectRegistry;
import dev.hack.node.service.Jobs;
import dev.hack.node.service.Workdirs;
import dev.hack.node.text.Tables;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code job} commands of the SSH table: processes without a terminal, with a log. */
final class JobVerbs {
  private JobVerbs() {}

  @Command(
      name = "job",
      description = "Jobs: processes without a terminal, with a log and events.",
      subcommands = {JobStart.class, JobList.class, JobShow.class, JobLogs.class, JobCancel.class})
  static final class JobCmd implements Verb.Group {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  @Command(
      name = "start",
      description = "Start a job (no terminal; output to a log); prints its id.")
  static final class JobStart implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--project", paramLabel = "P", description = "registered project (name or id)")
    String project;

    @Option(
        names = "--cwd",
        paramLabel = "DIR",
        description = "working directory (relative: to the project root, else to home)")
    String cwd;

    @Option(names = "--env", paramLabel = "K=V", description = "environment variable (repeatable)")
    List<String> env = new ArrayList<>();

    @Option(names = "--runner", paramLabel = "NAME", description = "runner name (default: generic)")
    String runner;

    @Option(names = "--json", description = "print the job as JSON")
    boolean json;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "command and arguments")
    List<String> command = new ArrayList<>();

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      Job job = call.node.jobs().create(spec(call));
      call.audit.ok("job_start", "job start " + job.id(), null);
      call.finish(0, json ? Json.GSON.toJson(job.meta()) + "\n" : job.id() + "\n", "");
    }

    private JobSpec spec(SshCall call) throws IOException {
      ProjectRegistry.Project p = project == null ? null : project(call, project);
      Path dir = p != null ? Workdirs.inProject(p.root(), cwd) : Workdirs.underHome(cwd);
      Map<String, String> vars = new HashMap<>(call.clientLocale());
      for (String kv : env) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--env takes NAME=VALUE, not " + Quote.word(kv));
        }
        vars.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
      return new JobSpec(
          p == null ? null : p.id(), p == null ? null : p.name(), runner, command, dir, vars);
    }
  }

  @Command(name = "list", description = "List jobs.")
  static final class JobList implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(names = "--project", paramLabel = "P", description = "only this project's jobs")
    String project;

    @Option(names = "--json", description = "JSON array for scripts")
    boolean json;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) throws IOException {
      String projectId = project == null ? null : project(call, project).id();
      List<JobMeta> list = new ArrayList<>();
      for (Job j : call.node.jobs().list(projectId)) {
        list.add(j.meta());
      }
      call.finish(0, json ? Json.GSON.toJson(list) + "\n" : Tables.jobs(list), "");
    }
  }

  @Command(name = "show", description = "Show a job and its events (why it ended is the last).")
  static final class JobShow implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) {
      Job job = job(call.node.jobs(), id);
      if (json) {
        JsonObject o = Json.GSON.toJsonTree(job.meta()).getAsJsonObject();
        o.add("events", Json.GSON.toJsonTree(job.eventsAfter(0)));
        call.finish(0, Json.GSON.toJson(o) + "\n", "");
      } else {
        call.finish(0, Tables.jobs(List.of(job.meta())) + Tables.jobEvents(job), "");
      }
    }
  }

  @Command(
      name = "logs",
      description = "Print a job's output; --follow exits with the job's exit code.")
  static final class JobLogs implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(
        names = {"-f", "--follow"},
        description = "keep printing until the job ends, then exit with its exit code")
    boolean follow;

    @Option(names = "--from", paramLabel = "OFFSET", description = "start at this byte offset")
    long from;

    @Override
    public TailnetRole role() {
      return TailnetRole.VIEW;
    }

    @Override
    public void run(SshCall call) {
      Job job = job(call.node.jobs(), id);
      JobLogPump pump =
          JobLogPump.start(
              job,
              call.out(),
              call.executor,
              from,
              follow,
              j -> call.exitWith(follow ? exitCode(j) : 0, ""));
      call.reading(pump::close);
    }
  }

  @Command(name = "cancel", description = "Cancel a job: end its whole process tree.")
  static final class JobCancel implements Verb {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public TailnetRole role() {
      return TailnetRole.CONTROL;
    }

    @Override
    public void run(SshCall call) throws IOException {
      Job job = job(call.node.jobs(), id);
      Jobs.cancel(job);
      call.audit.ok("job_cancel", "job cancel " + job.id(), null);
      call.finish(0, "", "");
    }
  }

  /** How {@code job logs --follow} (and so {@code hack job run}) exits: as the job did. */
  static int exitCode(Job job) {
    JobMeta m = job.meta();
    if (JobStatus.COMPLETED.equals(m.status())) {
      return 0;
    }
    if (JobStatus.CANCELLED.equals(m.status())) {
      return 130;
    }
    return m.exitCode() != null && m.exitCode() != 0 ? m.exitCode() : 1;
  }

  private static Job job(JobManager jobs, String id) {
    return jobs.get(id)
        .orElseThrow(
            () ->
                new NoSuchElementException(
                    "no job " + id + " on this node; list them with: job list"));
  }

  private static ProjectRegistry.Project project(SshCall call, String nameOrId) throws IOException {
    return ProjectRegistry.open(call.node.home())
        .find(nameOrId)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no project "
                        + nameOrId
                        + " on this node; register it with: hack project add"));
  }
}
