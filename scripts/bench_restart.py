"""The keeper's rows of the benchmark (`scripts/bench --only=restart`, issue 13).

- the restart gap: from `hack daemon restart` to every session attachable again, with 0 and with
  100 shell sessions, each in a fresh HACK_HOME; the 0-session run is the JVM's own start and stop,
  so the difference is what the sessions cost;
- the memory of what holds the PTYs: the keeper's RSS and threads with 100 sessions, and the
  node's RSS beside a node run with --no-keeper that holds 100 sessions itself;
- the hot path: keystroke echo to a session the keeper holds against one a --no-keeper node
  holds, alternating in the same run.

Everything lives in a temp dir; each home's keeper and programs are ended at the end.
"""
import json, os, select, shutil, statistics, subprocess, tempfile, time

import bench

SESSIONS = 100
ROUNDS = 1 if bench.QUICK else 3


class Home:
    """A HACK_HOME with its node started by `hack daemon start` (with or without the keeper)."""

    def __init__(self, root, name, key, extra=()):
        self.dir = os.path.join(root, name)
        # the sessions' login shells read this HOME's (empty) profile, not the user's: a profile
        # that does real work (pyenv's rehash, say) would make 100 shells the thing measured
        home = os.path.join(root, "home")
        os.makedirs(home, exist_ok=True)
        self.env = dict(os.environ, HACK_HOME=self.dir, HOME=home)
        self.key = key
        self.hack = [os.path.join(bench.ROOT, "scripts", "hack")]
        self.run("keys", "authorize", key + ".pub")
        self.port = bench.free_port()
        self.run("daemon", "start", "--ssh-port", str(self.port), "--gateway-port", "-1",
                 "--tmux-socket", os.path.join(self.dir, "tmux.sock"), *extra)

    def run(self, *args, check=True):
        return subprocess.run(self.hack + list(args), env=self.env, check=check,
                              capture_output=True, text=True)

    def ssh(self, *args):
        return ["ssh", "-F", "/dev/null", "-i", self.key, "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
                "127.0.0.1"] + list(args)

    def new_shells(self, n):
        for i in range(n):
            subprocess.run(self.ssh("new", "--name", f"s{i}"), check=True,
                           stdout=subprocess.DEVNULL)

    def running(self):
        r = subprocess.run(self.ssh("ls", "--json"), capture_output=True, text=True)
        if r.returncode != 0:
            return -1
        return sum(1 for s in json.loads(r.stdout) if s["status"] == "running")

    def status(self):
        return json.loads(self.run("daemon", "status", "--json", check=False).stdout)

    def close(self):
        self.run("daemon", "stop", "--end-sessions", check=False)


def first_screen(argv, timeout=30):
    """Seconds until an `ssh -tt … attach` prints its first bytes (the screen's redraw)."""
    import pty
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    try:
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r and os.read(fd, 65536):
                return time.perf_counter() - t0
        raise SystemExit("bench: attach printed nothing: " + " ".join(argv))
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


class Watch:
    """Polls the node's SSH port every 10 ms for its banner (cheap next to a login) and keeps the
    longest time between two answers: the window in which nobody served."""

    def __init__(self, port):
        import threading
        self.port = port
        self.stop = False
        self.last_ok = None
        self.longest = 0.0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def answers(self):
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as c:
                c.settimeout(0.5)
                return c.recv(8).startswith(b"SSH-")
        except OSError:
            return False

    def run(self):
        while not self.stop:
            if self.answers():
                now = time.perf_counter()
                if self.last_ok is not None:
                    self.longest = max(self.longest, now - self.last_ok)
                self.last_ok = now
            time.sleep(0.01)

    def close(self):
        self.stop = True
        self.thread.join()
        return self.longest


def restart_gap(h, n):
    """(restart command s, all n running s, first attach's screen s, longest time unserved s),
    the first three from the command's start."""
    watch = Watch(h.port)
    time.sleep(0.1)
    t0 = time.perf_counter()
    h.run("daemon", "restart")
    t_cmd = time.perf_counter() - t0
    while h.running() < n:
        if time.perf_counter() - t0 > 120:
            raise SystemExit("bench: sessions did not come back after the restart")
        time.sleep(0.02)
    t_ls = time.perf_counter() - t0
    t_attach = t_ls
    if n:
        t_attach = t_ls + first_screen(h.ssh("-tt", "attach", f"s{n - 1}"))
    return t_cmd, t_ls, t_attach, watch.close()


def proc_stat(pid):
    """(RSS MiB, threads) of a process, from /proc."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def rows():
    root = tempfile.mkdtemp(prefix="hack-bench-restart-")
    key = os.path.join(root, "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    homes = []
    out = []
    try:
        empty = Home(root, "empty", key)
        homes.append(empty)
        full = Home(root, "full", key)
        homes.append(full)
        bench.log(f"restart: {SESSIONS} shell sessions...")
        full.new_shells(SESSIONS)
        gaps0, gaps = [], []
        for _ in range(ROUNDS):  # interleaved, so a busy moment lands on both
            gaps0.append(restart_gap(empty, 0))
            gaps.append(restart_gap(full, SESSIONS))
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        base = 1000 * med(gaps0, 1)
        out.append((f"`hack daemon restart` with {SESSIONS} shell sessions, until every one is"
                    f" running and an attach shows its screen, median of {ROUNDS} (ms)",
                    1000 * med(gaps, 2), None, "lower is better",
                    f"the command returned after {1000 * med(gaps, 0):.0f} ms; the same restart"
                    f" of a node without sessions: {base:.0f} ms, so the sessions add"
                    f" {1000 * med(gaps, 2) - base:.0f} ms"))
        out.append((f"the same restart: longest time the SSH port gave no banner, with"
                    f" {SESSIONS} sessions, median of {ROUNDS} (ms)", 1000 * med(gaps, 3), None,
                    "lower is better",
                    f"{1000 * med(gaps0, 3):.0f} ms without sessions; the new node starts its"
                    " JVM while the old one serves (docs/daemon.md)"))

        bench.log("restart: memory of the keeper and a --no-keeper node...")
        plain = Home(root, "plain", key, ("--no-keeper",))
        homes.append(plain)
        plain.new_shells(SESSIONS)
        time.sleep(2)
        st = full.status()
        keeper_rss, keeper_threads = proc_stat(st["keeper"]["pid"])
        node_rss, node_threads = proc_stat(st["pid"])
        plain_rss, plain_threads = proc_stat(plain.status()["pid"])
        out.append((f"RSS with {SESSIONS} idle shell sessions: node + keeper (MiB)",
                    node_rss + keeper_rss, None, "lower is better",
                    f"node {node_rss:.0f} + keeper {keeper_rss:.0f} MiB, against"
                    f" {plain_rss:.0f} MiB for a --no-keeper node holding them itself; threads:"
                    f" node {node_threads} + keeper {keeper_threads} vs {plain_threads}"))

        bench.log("restart: echo to a kept session vs a --no-keeper node's...")
        cat = "stty raw -echo; cat"
        for h in (full, plain):
            subprocess.run(h.ssh("new", "--name", "echo", "--", "sh", "-c", "'" + cat + "'"),
                           check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        (k50, k99), (p50, p99) = bench.echo(full.ssh("-tt", "attach", "echo"),
                                            plain.ssh("-tt", "attach", "echo"), "keeper")
        out.append((f"keystroke echo p50 to a session the keeper holds, {bench.KEYSTROKES} keys"
                    " (ms)", k50, None, "lower is better",
                    f"{p50:.3f} ms to a --no-keeper node's session, alternating in the same run"
                    f" ({k50 / p50:.2f}x)"))
        out.append(("keystroke echo p99, the same (ms)", k99, None, "lower is better",
                    f"{p99:.3f} ms with --no-keeper ({k99 / p99:.2f}x)"))
    finally:
        for h in homes:
            h.close()
        shutil.rmtree(root, ignore_errors=True)
    return out
