/**
 * Jobs: programs run to completion on a node without a terminal, with a combined output log and a
 * numbered event history that clients stream from any offset.
 *
 * <p>{@link dev.hack.node.jobs.JobManager} owns the jobs of one node and their directory ({@code
 * daemon/jobs/}). A job's files: {@code meta.json} ({@link dev.hack.node.jobs.JobMeta}, rewritten
 * atomically at every change), {@code output.log} (stdout and stderr, as the program wrote them,
 * addressed by byte offset) and {@code events.jsonl} (one {@link dev.hack.node.jobs.JobEvent} per
 * line, appended). All are owner-only (0600, directory 0700). Environment overrides are never
 * written.
 *
 * <h2>Threads and locks</h2>
 *
 * <table>
 *   <caption>threads</caption>
 *   <tr><th>thread</th><th>owner</th><th>does</th><th>may block on</th></tr>
 *   <tr><td>{@code job-ID}</td><td>the {@code Job}</td><td>starts the program, waits for it,
 *       waits for the end of its output, records the outcome</td><td>the program (for as long as
 *       it runs), then at most {@code EOF_GRACE} (2 s)</td></tr>
 *   <tr><td>{@code job-read-ID}</td><td>the {@code Job}</td><td>copies the program's output to
 *       {@code output.log} and tells subscribers</td><td>the pipe read; the log write; the
 *       subscribers (which must not block)</td></tr>
 *   <tr><td>{@code job-timer}</td><td>the {@code JobManager}</td><td>{@code SIGKILL} 3 s after a
 *       cancel</td><td>nothing</td></tr>
 * </table>
 *
 * <p>A job's monitor guards its status, outcome and process; event and meta files are written under
 * it (a few small writes), never log output, and subscribers are never called under it. The log has
 * its own read/write lock (see {@code JobLog}): appends and reads share it; only sealing the log at
 * the end takes it exclusively.
 *
 * <p>A program that leaves background processes holding its output open: their output is read for
 * at most {@code EOF_GRACE} after the program exits; then the job ends and closes its end of the
 * pipe (their further writes fail with {@code SIGPIPE}/{@code EPIPE}). {@code job-read-ID} may stay
 * blocked in its read until they write or exit, appending nothing more. The JDK adds a race of its
 * own: when a child exits while no thread is inside a read of its output, the JDK's reaper drains
 * what is in the pipe and closes it, so the grace period is cut short. Everything the program
 * itself wrote is always kept; only background output that comes after its exit may be lost.
 */
package dev.hack.node.jobs;
