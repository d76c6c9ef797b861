#!/usr/bin/env python3
"""The mesh rows of scripts/bench (issue 6): many nodes on loopback, each its own process and home.

- `ls --all --json` on a hub with 20 peers, 2 of them down (one refuses, one accepts and never
  speaks), against its --timeout;
- keystroke echo attached through one hop (hub -> peer) vs direct, and OpenSSH's equivalent (a
  ProxyCommand jump through sshd vs sshd direct);
- a hub holding 100 joined nodes (one JoinLoad process holds all 100 links): the hub's memory
  growth vs sshd holding 100 `ssh -N -R` clients, and how long all 100 take to come back after
  the hub restarts.

Run through scripts/bench (`--only=mesh`), which builds the jar and provides the sshd.
"""
import json, os, signal, socket, statistics, subprocess, threading, time

import bench

PEERS = 20
LIVE_PEERS = PEERS - 2
JOINS = 100
LS_TIMEOUT = 3
LS_RUNS = 3 if bench.QUICK else 7
HACK = os.path.join(bench.ROOT, "scripts", "hack")
JAR = os.path.join(bench.ROOT, "cli", "target", "hack.jar")
# small heaps: twenty-odd node JVMs share this machine
NODE_JAVA = "-Xmx160m -Xss512k"


class Node:
    """`hack node serve` in its own home, the bench key authorized."""

    def __init__(self, env, name, port=0):
        self.env, self.name = env, name
        self.home = os.path.join(env.dir, "mesh-" + name)
        keys = os.path.join(self.home, "keys")
        os.makedirs(keys, mode=0o700, exist_ok=True)
        with open(os.path.join(keys, "authorized_keys"), "a") as f:
            f.write(open(env.key + ".pub").read())
        os.chmod(os.path.join(keys, "authorized_keys"), 0o600)
        self.port = port
        self.start()

    def start(self):
        tmux = os.path.join(self.env.dir, "tmux-" + self.name)
        run_env = dict(os.environ, HACK_HOME=self.home, HACK_JAVA_OPTS=NODE_JAVA)
        self.proc = subprocess.Popen(
            [HACK, "node", "serve", "--name", self.name, "--ssh-port", str(self.port),
             "--gateway-port", "-1", "--tmux-socket", tmux],
            env=run_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.env.procs.append(self.proc)

    def ready(self):
        line = self.proc.stdout.readline()
        while line.startswith("warmed up in ") or line.startswith("warm-up failed"):
            line = self.proc.stdout.readline()  # the node warms its JIT up first (NodeWarmup)
        if not line.startswith("ssh listening on"):
            raise SystemExit("node %s did not start: %r" % (self.name, line))
        self.port = int(line.strip().rsplit(":", 1)[1])
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return time.time()

    def ssh(self, *args, check=True):
        r = subprocess.run(self.env.ssh_base(self.port) + list(args), capture_output=True,
                           text=True)
        if check and r.returncode != 0:
            raise SystemExit("%s: %s failed: %s" % (self.name, " ".join(args), r.stderr))
        return r

    def whoami(self):
        return json.loads(self.ssh("peer", "whoami").stdout)

    def host_key(self):
        return self.whoami()["host_key"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(20)


def pair(hub, peer):
    """Each registers the other and lets its node in (what `hack node pair` does)."""
    for a, b in ((hub, peer), (peer, hub)):
        w = b.whoami()
        a.ssh("peer", "add", b.name, "ssh://127.0.0.1:%d" % b.port, "--id", w["id"],
              "--host-key", "'%s'" % w["host_key"], "--authorize")


def silent_port():
    """A port that accepts connections and never says a word: the slowest kind of down."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held = []
    threading.Thread(target=lambda: [held.append(s.accept()) for _ in iter(int, 1)],
                     daemon=True).start()
    return s.getsockname()[1]


def ls_all(env, hub, first):
    nodes = [Node(env, "peer%02d" % i) for i in range(1, LIVE_PEERS)]
    for n in nodes:
        n.ready()
    for n in nodes:
        pair(hub, n)
    nodes.insert(0, first)
    for n in nodes:
        n.ssh("new", "--name", "s-" + n.name, "--", "cat")
    # let the mesh settle: every peer learns the others through the hub (peer exchange) and
    # checks them, and twenty-one JVMs compile their hot code on this one machine; the listing
    # is measured once the machine is quiet again (1-minute load below 4), as the other rows are
    deadline = time.time() + (30 if bench.QUICK else 180)
    time.sleep(15)
    while time.time() < deadline and os.getloadavg()[0] >= 4:
        time.sleep(5)
    # two peers that are down: one port that refuses, one that accepts and stays silent
    fake_key = os.path.join(env.dir, "fake_host_key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", fake_key], check=True)
    fake = open(fake_key + ".pub").read().split()[:2]
    for name, port in (("refusing", bench.free_port()), ("silent", silent_port())):
        hub.ssh("peer", "add", name, "ssh://127.0.0.1:%d" % port, "--host-key",
                "'%s %s'" % tuple(fake))
    times, plain = [], []
    for i in range(LS_RUNS + 1):
        t0 = time.perf_counter()
        r = hub.ssh("ls", "--all", "--json", "--timeout", str(LS_TIMEOUT))
        t1 = time.perf_counter()
        hub.ssh("ls", "--json")  # the same connection cost, without the peers
        t2 = time.perf_counter()
        if i:  # the first run warms up the hub's SSH client
            times.append((t1 - t0) * 1000)
            plain.append((t2 - t1) * 1000)
        nodes_seen = {s["node"] for s in json.loads(r.stdout)}
    return (statistics.median(times), max(times), statistics.median(plain), len(nodes_seen),
            r.stderr.count("offline"), nodes, os.getloadavg()[0])


def echo_hop(env, hub, peer):
    cat = "stty raw -echo; cat"
    peer.ssh("new", "--name", "echo", "--", "sh", "-c", "'%s'" % cat)
    time.sleep(0.5)
    (hop50, hop99), (dir50, dir99) = bench.echo(
        env.ssh_base(hub.port) + ["-tt", "attach", "echo@" + peer.name],
        env.ssh_base(peer.port) + ["-tt", "attach", "echo"])
    base = env.sshd_base()
    jump = " ".join(base[:-1] + ["-W", "%h:%p", "127.0.0.1"])
    jumped = base[:-1] + ["-o", "ProxyCommand=" + jump, "127.0.0.1"]
    (j50, j99), (s50, s99) = bench.echo(jumped + ["-tt", cat], base + ["-tt", cat])
    return (hop50, hop99, dir50, dir99), (j50, j99, s50, s99)


def joins(env, target_port):
    hub = Node(env, "hub-joins", bench.free_port())
    hub.ready()
    time.sleep(2)
    rss0 = bench.rss_kb([hub.proc.pid])
    load_home = os.path.join(env.dir, "mesh-load")
    keys = os.path.join(load_home, "keys")
    os.makedirs(keys, mode=0o700, exist_ok=True)
    for suffix in ("", ".pub"):
        with open(env.key + suffix) as src, open(os.path.join(keys, "id_ed25519" + suffix),
                                                 "w") as dst:
            dst.write(src.read())
    os.chmod(os.path.join(keys, "id_ed25519"), 0o600)
    run_env = dict(os.environ, HACK_HOME=load_home)
    subprocess.run([HACK, "node", "add", "hub-joins", "ssh://127.0.0.1:%d" % hub.port],
                   env=run_env, check=True, stdout=subprocess.DEVNULL)
    load = subprocess.Popen(["java", "-Xss512k", "-cp", JAR, "dev.hack.node.mesh.JoinLoad",
                             load_home, "hub-joins", str(JOINS), str(target_port)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    env.procs.append(load)
    events = []

    def read():
        for line in load.stdout:
            t, n = line.split()
            events.append((int(t) / 1000.0, int(n)))
    threading.Thread(target=read, daemon=True).start()
    while not events:  # the first line comes when all are admitted and their links start
        if load.poll() is not None:
            raise SystemExit("mesh: JoinLoad ended early")
        time.sleep(0.05)

    def wait_all(since, limit=120):
        deadline = time.time() + limit
        while time.time() < deadline:
            done = [t for t, n in events if n == JOINS and t >= since]
            if done:
                return done[0]
            time.sleep(0.05)
        raise SystemExit("mesh: %d joined nodes did not all connect" % JOINS)
    t_start = events[0][0]
    t_all = wait_all(0)
    time.sleep(3)
    rss1 = bench.rss_kb([hub.proc.pid])
    # every simulated node's tunnel ends at one real node, whose host key is not theirs: the
    # hub's health checks through the tunnels are refused there; count the tunnels instead
    online = sum(1 for p in json.loads(hub.ssh("peer", "list", "--json").stdout)
                 if p["address"])
    hub.stop()
    t_down = time.time()
    hub.start()
    t_ready = hub.ready()
    t_back = wait_all(t_down)
    first = next((t for t, n in events if t >= t_ready and n > 0), t_back)
    load.stdin.close()
    load.wait(20)
    return {"rss_growth": (rss1 - rss0) / 1024, "rss": rss1 / 1024, "first": t_all - t_start,
            "online": online, "down_s": t_ready - t_down, "back_ms": (t_back - t_ready) * 1000,
            "first_back_ms": max(0, first - t_ready) * 1000}


def sshd_joins(env):
    """sshd holding JOINS `ssh -N -R` clients: the same load on OpenSSH."""
    before = bench.rss_kb(bench.descendants(env.sshd_pid, "sshd"))
    clients = []
    for _ in range(JOINS):
        time.sleep(0.02)  # a steady stream, as nodes coming back would be
        clients.append(subprocess.Popen(
            env.sshd_base()[:-1] + ["-N", "-R", "127.0.0.1:0:127.0.0.1:22", "-o",
                                    "ExitOnForwardFailure=yes", "127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(5)
    after = bench.rss_kb(bench.descendants(env.sshd_pid, "sshd"))
    alive = sum(1 for c in clients if c.poll() is None)
    for c in clients:
        c.kill()
    return (after - before) / 1024, alive


def rows(env):
    out = []
    bench.log("mesh: sshd holding %d reverse tunnels..." % JOINS)
    s_growth, s_alive = sshd_joins(env)
    bench.log("mesh: echo through a hop...")
    hub = Node(env, "hub")
    first = Node(env, "peer00")
    hub.ready()
    first.ready()
    pair(hub, first)
    (h50, h99, d50, d99), (j50, j99, s50, s99) = echo_hop(env, hub, first)
    out.append(("keystroke echo p50 attached through one hop (`attach ID@PEER` on a hub) vs"
                " OpenSSH through a ProxyCommand jump (ms)", h50, j50, "lower is better",
                "direct: hack %.3f, OpenSSH %.3f ms" % (d50, s50)))
    out.append(("keystroke echo p99 through one hop vs OpenSSH through a jump (ms)", h99, j99,
                "lower is better", "direct: hack %.3f, OpenSSH %.3f ms; hop/direct %.2fx"
                % (d99, s99, h99 / d99)))
    bench.log("mesh: %d more peers..." % (LIVE_PEERS - 1))
    med, worst, plain, seen, offline, peers, load = ls_all(env, hub, first)
    out.append(("`ls --all --json` on a hub with %d peers, 2 of them down (one refuses, one"
                " never answers), `--timeout %d`, median of %d (ms)" % (PEERS, LS_TIMEOUT, LS_RUNS),
                med, None, "lower is better",
                "target ≤ timeout + 10 %% = %d ms; slowest %.0f ms; a plain `ls` on the same hub"
                " in the same runs: %.0f ms; sessions from %d nodes, %d peers reported offline;"
                " 21 node JVMs on this machine, load %.1f" % (LS_TIMEOUT * 1100, worst, plain, seen,
                                                             offline, load)))
    for n in peers:
        n.stop()
    hub.stop()
    bench.log("mesh: a hub with %d joined nodes..." % JOINS)
    target = Node(env, "join-target")
    target.ready()
    j = joins(env, target.port)
    out.append(("hub memory growth holding %d joined nodes (reverse tunnels) vs sshd holding %d"
                " `ssh -N -R` clients (MiB)" % (JOINS, JOINS), j["rss_growth"], s_growth,
                "lower is better",
                "hub RSS %.0f MiB in all; %d of %d tunnels up on the hub; all connected %.1f s after"
                " start; sshd kept %d clients" % (j["rss"], j["online"], JOINS, j["first"],
                                                   s_alive)))
    out.append(("all %d joined nodes back after the hub restarts, from the hub listening again"
                " (ms)" % JOINS, j["back_ms"], None, "lower is better",
                "first one back after %.0f ms; the hub was down %.1f s; each link retries after"
                " 250 ms doubling to 15 s, jittered" % (j["first_back_ms"], j["down_s"])))
    target.stop()
    return out
