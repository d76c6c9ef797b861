"""Many sessions on one node (`scripts/bench --only=scale`, issue 14's goal 4).

For 100 and then 1,000 idle `cat` sessions on a node started with `hack daemon start` (the keeper
on, as by default), in a fresh HACK_HOME each: the node's and the keeper's RSS, threads and open
descriptors, per session beyond an empty node; their CPU while idle for 10 s; the latency of
`ls --json` and of an attach's first screen; then the time to stop and remove every session
(`stop ID...` and `rm ID...`, 500 ids per command, over one multiplexed SSH connection) and to stop the node with all of them
running (SIGTERM until its exit; the keeper keeps them).

Sessions are made over one multiplexed connection (ssh ControlMaster), so the figures are the
node's, not 1,000 SSH handshakes. Everything lives in a temp dir and is ended at the end.
"""
import json, os, shutil, statistics, subprocess, tempfile, time

import bench
import bench_restart

COUNTS = (100, 1000)


def proc(pid):
    """(RSS KiB, threads, fds, CPU ticks) of a process."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return rss, threads, fds, ticks


class Mux:
    """One SSH connection that every command rides on (ControlMaster)."""

    def __init__(self, h, root):
        self.h = h
        self.path = os.path.join(root, "mux-%d" % h.port)
        self.opts = ["-o", "ControlMaster=auto", "-o", "ControlPath=" + self.path,
                     "-o", "ControlPersist=600"]

    def argv(self, *cmd):
        base = self.h.ssh()
        # h.ssh() ends with the host; the options go before it
        return base[:-1] + self.opts + [base[-1]] + list(cmd)

    def run(self, *cmd):
        return subprocess.run(self.argv(*cmd), capture_output=True, text=True)

    def close(self):
        subprocess.run(self.h.ssh()[:-1] + self.opts + ["-O", "exit", self.h.ssh()[-1]],
                       capture_output=True)


def timed(fn, n=5):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def each(mux, verb, ids, per=500):
    """`stop`/`rm` of many ids, as `hack session stop ID...` sends them: 500 per command."""
    for k in range(0, len(ids), per):
        r = mux.run(verb, *ids[k:k + per])
        if r.returncode != 0:
            raise SystemExit(f"bench: {verb} failed: {r.stderr.strip()[:300]}")


def measure(root, key, n):
    h = bench_restart.Home(root, f"scale{n}", key)
    mux = Mux(h, root)
    try:
        st = h.status()
        node, keeper = st["pid"], None
        mux.run("ls")
        time.sleep(2)
        base = proc(node)
        t0 = time.perf_counter()
        for i in range(n):
            r = mux.run("new", "--name", f"c{i}", "--", "cat")
            if r.returncode != 0:
                raise SystemExit(f"bench: new c{i} failed: {r.stderr.strip()}")
        made = time.perf_counter() - t0
        time.sleep(10)
        keeper = h.status()["keeper"]["pid"]
        k0, n0 = proc(keeper), proc(node)
        time.sleep(10)
        k1, n1 = proc(keeper), proc(node)
        hz = os.sysconf("SC_CLK_TCK")
        idle_cpu = ((n1[3] - n0[3]) / hz / 10 * 100, (k1[3] - k0[3]) / hz / 10 * 100)
        ls = timed(lambda: mux.run("ls", "--json"))
        attach = timed(lambda: bench_restart.first_screen(
            mux.argv("-tt", "attach", f"c{n // 2}")) * 1000)
        ids = [f"c{i}" for i in range(n)]
        t0 = time.perf_counter()
        each(mux, "stop", ids)
        stop = time.perf_counter() - t0
        left = [s["id"] for s in json.loads(mux.run("ls", "--json").stdout)
                if s["status"] == "running"]
        if left:
            raise SystemExit(f"bench: still running after stop: {left[:5]}...")
        t0 = time.perf_counter()
        each(mux, "rm", ids)
        rm = time.perf_counter() - t0
        if json.loads(mux.run("ls", "--json").stdout):
            raise SystemExit("bench: sessions still listed after rm")
        # again with every session running, for the node's own stop
        for i in range(n):
            mux.run("new", "--name", f"d{i}", "--", "cat")
        mux.close()
        t0 = time.perf_counter()
        h.run("daemon", "stop")
        sigterm = time.perf_counter() - t0
        return {"n": n, "base": base, "node": n1, "keeper": k1, "idle_cpu": idle_cpu, "ls": ls,
                "attach": attach, "made": made, "stop": stop, "rm": rm, "sigterm": sigterm}
    finally:
        mux.close()
        h.close()


def rows():
    root = tempfile.mkdtemp(prefix="hack-bench-scale-")
    key = os.path.join(root, "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    out = []
    try:
        for n in COUNTS:
            bench.log(f"scale: {n} sessions...")
            m = measure(root, key, n)
            (brss, bthr, bfds, _), (rss, thr, fds, _) = m["base"], m["node"]
            krss, kthr, kfds, _ = m["keeper"]
            out.append((f"{n} idle sessions: node RSS per session beyond an empty node (KiB)",
                        (rss - brss) / n, None, "lower is better (goal: at most 100)",
                        f"node {rss / 1024:.0f} MiB (empty: {brss / 1024:.0f}); keeper"
                        f" {krss / 1024:.0f} MiB, {krss / n:.0f} KiB per session"))
            out.append((f"{n} idle sessions: node threads, all told", thr, None,
                        "lower is better (goal: none per session)",
                        f"empty node: {bthr}; the keeper: {kthr}"))
            out.append((f"{n} idle sessions: open descriptors per session, node", (fds - bfds) / n,
                        None, "lower is better", f"node {fds} (empty: {bfds}); keeper {kfds}"))
            out.append((f"{n} idle sessions: CPU while idle, node (% of a core)", m["idle_cpu"][0],
                        None, "lower is better", f"keeper {m['idle_cpu'][1]:.2f} %"))
            out.append((f"{n} idle sessions: `ls --json`, median of 5 (ms)", m["ls"], None,
                        "lower is better", "over a multiplexed connection: the command alone"))
            out.append((f"{n} idle sessions: attach until the first screen, median of 5 (ms)",
                        m["attach"], None, "lower is better", "multiplexed, as above"))
            out.append((f"{n} sessions: `stop` all, then `rm` all, 500 ids per command (s)",
                        m["stop"] + m["rm"], None, "lower is better",
                        f"stop {m['stop']:.1f} s, rm {m['rm']:.1f} s; making them took"
                        f" {m['made']:.1f} s"))
            out.append((f"{n} running sessions: `hack daemon stop` until the node has exited (s)",
                        m["sigterm"], None, "lower is better",
                        "the keeper keeps them running"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out
