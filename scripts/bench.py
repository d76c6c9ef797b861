#!/usr/bin/env python3
"""hack vs OpenSSH benchmark: a node and a throwaway sshd on loopback, measured side by side.

Everything lives in a temp dir (HACK_HOME, keys, sshd config); nothing touches ~/.hack or ~/.ssh.
"""
import asyncio, inspect, json, os, pty, re, resource, select, shutil, signal, socket, statistics
import subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
MEASURES = ("throughput", "ws", "echo", "cold", "ciphers", "connect", "cli", "memory", "http",
            "mesh", "restart", "scale")
BUSY = "--busy" in sys.argv  # the echo rows again with one core held by a spin loop
ONLY = [n for a in sys.argv if a.startswith("--only=") for n in a.split("=", 1)[1].split(",")]
if set(ONLY) - set(MEASURES):
    print("bench: unknown measure %s; use --only= with %s" % (
        ", ".join(sorted(set(ONLY) - set(MEASURES))), ", ".join(MEASURES)), file=sys.stderr)
    sys.exit(2)
OUT_BYTES = (32 if QUICK else 256) * 1024 * 1024
KEYSTROKES = 200 if QUICK else 500
CONNECTS = 10 if QUICK else 30
IDLE_SESSIONS = 100
WS_ROUNDS = 1 if QUICK else 3  # each WS/attach/sshd output run; the median round is reported
WRK_SECONDS = 3 if QUICK else 10
WRK_CONNECTIONS = 16
LINE = "hack throughput line 0123456789 abcdefghijklmnopqrstuvwxyz"
# the ciphers rows: the same ssh client options against both servers (no -c: the client's default)
CIPHER_CHOICES = (
    ("no -c (the client's default)", ()),
    ("aes128-gcm", ("-c", "aes128-gcm@openssh.com")),
    ("chacha20-poly1305", ("-c", "chacha20-poly1305@openssh.com")),
    ("aes128-ctr + hmac-sha2-256-etm",
     ("-c", "aes128-ctr", "-m", "hmac-sha2-256-etm@openssh.com")),
)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def load():
    """The machine's 1-minute load average now (the bench shares it with whatever else runs)."""
    return os.getloadavg()[0]


# hack's attached clients get a few hundred bytes more than the program printed: the end of the
# session ("[session ID exited with code 0]" and the terminal reset before it), and for `attach`
# the first screen; more than this is not the same work
EXTRA_ALLOWED = 4096


def work_note(got_hack, got_ssh, expected):
    """The bytes each side delivered, and a flag when they did not do the same work: a side that
    delivered less than the program printed (hack skipped a slow client ahead to a fresh screen),
    or more than a screen and the end line over it."""
    def off(got):
        return got < expected or got > expected + EXTRA_ALLOWED
    note = (f"delivered {got_hack:,} vs {got_ssh:,} bytes ({got_hack/(1<<20):.1f} vs"
            f" {got_ssh/(1<<20):.1f} MiB) of {expected:,} printed")
    odd = [name for name, got in (("hack", got_hack), ("OpenSSH", got_ssh)) if off(got)]
    if odd:
        note = ("**DIFFERENT WORK** (" + " and ".join(odd) + " did not deliver what the program"
                " printed; the MiB/s are not comparable): " + note)
    return note


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hack-bench-")
        self.key = os.path.join(self.dir, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key], check=True)
        self.procs = []

    def ssh_base(self, port, user=None, opts=()):
        login = ["-l", user] if user else []
        return ["ssh", "-F", "/dev/null", "-i", self.key, "-p", str(port)] + login + [
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
                "-o", "ControlMaster=no"] + list(opts) + ["127.0.0.1"]

    def sshd_base(self, opts=()):
        return self.ssh_base(self.sshd_port, self.sshd_user, opts)

    def start_node(self):
        """Starts a node with SSH and the gateway on free ports; returns the SSH port. The gateway
        has writes on and a write token (self.gateway, self.token)."""
        home = os.path.join(self.dir, "hack-home")
        env = dict(os.environ, HACK_HOME=home)
        hack = os.path.join(ROOT, "scripts", "hack")
        subprocess.run([hack, "keys", "authorize", self.key + ".pub"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([hack, "config", "set", "--global", "controlPlane.gateway.allowWrites",
                        "true"], env=env, check=True, stdout=subprocess.DEVNULL)
        created = subprocess.run([hack, "gateway", "token-create", "--scope", "write", "--json"],
                                 env=env, check=True, capture_output=True, text=True).stdout
        self.token = json.loads(created)["token"]
        tmux_sock = os.path.join(self.dir, "tmux.sock")
        p = subprocess.Popen([hack, "node", "serve", "--ssh-port", "0", "--gateway-port", "0",
                              "--tmux-socket", tmux_sock], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)
        line = p.stdout.readline()
        while line.startswith("warmed up in ") or line.startswith("warm-up failed"):
            line = p.stdout.readline()  # the node warms its JIT up first (NodeWarmup)
        if not line.startswith("ssh listening on"):
            raise SystemExit("node did not start: " + line)
        gw = p.stdout.readline()
        if not gw.startswith("gateway listening on "):
            raise SystemExit("node started without its gateway: " + gw)
        self.gateway = gw.strip().rsplit(" ", 1)[1]  # http://HOST:PORT
        # keep reading, so a node that prints more never blocks on a full pipe
        threading.Thread(target=lambda: p.stdout.read(), daemon=True).start()
        self.node_pid = p.pid
        self.node_java_pid = p.pid  # scripts/hack execs java
        return int(line.strip().rsplit(":", 1)[1])

    def start_sshd(self):
        # sshd runs commands through the login shell, and bash reads ~/.bashrc when started by
        # sshd; as root that can cost 100+ ms (pyenv and the like) that is not OpenSSH's doing.
        # A throwaway user with /bin/sh keeps the comparison about the SSH servers.
        self.sshd_user = None
        if os.geteuid() == 0:
            self.sshd_user = "hackbench"
            home = os.path.join(self.dir, "bench-home")
            os.makedirs(home)
            if subprocess.run(["id", "-u", self.sshd_user], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "-M", "-p", "*", "-d", home, "-s", "/bin/sh",
                                self.sshd_user], check=True)
                self.created_user = True
            else:
                subprocess.run(["usermod", "-d", home, self.sshd_user], check=True)
            os.chmod(self.dir, 0o755)
            os.chmod(self.key, 0o600)
        port = free_port()
        hk = os.path.join(self.dir, "ssh_host_ed25519_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk], check=True)
        ak = os.path.join(self.dir, "authorized_keys")
        shutil.copy(self.key + ".pub", ak)
        os.chmod(ak, 0o644)
        cfg = os.path.join(self.dir, "sshd_config")
        with open(cfg, "w") as f:
            f.write(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {hk}
AuthorizedKeysFile {ak}
PidFile {self.dir}/sshd.pid
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
MaxStartups 200:30:300
""")
        os.makedirs("/run/sshd", exist_ok=True)
        p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", cfg],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        self.sshd_pid = p.pid
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                self.sshd_port = port
                return port
            except OSError:
                time.sleep(0.05)
        raise SystemExit("sshd did not start")

    def close(self):
        # the node's keeper outlives it with every session it holds: end them
        subprocess.run([os.path.join(ROOT, "scripts", "hack"), "daemon", "stop", "--end-sessions"],
                       env=dict(os.environ, HACK_HOME=os.path.join(self.dir, "hack-home")),
                       capture_output=True)
        if getattr(self, "created_user", False):
            subprocess.run(["userdel", self.sshd_user], capture_output=True)
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_tty(argv, timeout=600):
    """Runs argv on a local pty (a real terminal for ssh -tt), draining output; returns bytes read."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    total = 0
    deadline = time.time() + timeout
    while True:
        r, _, _ = select.select([fd], [], [], 1.0)
        if r:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                break
            if not data:
                break
            total += len(data)
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
    os.waitpid(pid, 0)
    os.close(fd)
    return total


def run_counted(argv):
    """Runs argv with stdin from /dev/null and counts what it prints; returns (seconds, bytes)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    total = 0
    while True:
        data = p.stdout.read1(1 << 20)
        if not data:
            break
        total += len(data)
    p.wait()
    return time.perf_counter() - t0, total


def throughput(env, node_port, sshd_port, opts=(), stats=None):
    """The sshd run, then the node's; returns each side's wall time and the bytes its client
    received. stats, if given, gets the node JVM's CPU seconds for its run ("node_cpu") and the
    load average before and after ("load")."""
    # ssh -tt asks for a remote PTY even though its own output is a pipe we count
    prog = f'yes "{LINE}" | head -c {OUT_BYTES}'
    node = env.ssh_base(node_port, opts=opts)
    run_counted(node + ["-tt", "new", "--attach", "--", "sh", "-c",
                        "'yes | head -c 20000000'"])  # JIT warm-up
    load0 = load()
    t_ssh, got_ssh = run_counted(env.sshd_base(opts) + ["-tt", prog])
    cpu0 = cpu_seconds(env.node_java_pid)
    t_hack, got_hack = run_counted(node + ["-tt", "new", "--attach", "--", "sh", "-c",
                                           "'" + prog + "'"])
    if stats is not None:
        stats["node_cpu"] = cpu_seconds(env.node_java_pid) - cpu0
        stats["load"] = (load0, load())
    return t_hack, t_ssh, got_hack, got_ssh


def throughput_row(name, t_hack, t_ssh, got_hack, got_ssh, extra=""):
    """A throughput row: what each side's client received per second of its wall time."""
    mib = 1 << 20
    return (name, got_hack / mib / t_hack, got_ssh / mib / t_ssh, "higher is better",
            work_note(got_hack, got_ssh, expected_bytes(OUT_BYTES)) + extra)


def negotiated(argv):
    """The cipher (and MAC, unless implicit) that `ssh -v` reports for argv, server to client."""
    err = subprocess.run(argv[:1] + ["-v"] + argv[1:], capture_output=True, text=True).stderr
    m = re.search(r"kex: server->client cipher: (\S+) MAC: (\S+)", err)
    if not m:
        return "?"
    return m.group(1) + ("" if m.group(2) == "<implicit>" else " " + m.group(2))


def cipher_cost():
    """scripts/CipherCost.java on the node's jar: each offered cipher alone, in this JVM; returns
    rows (no OpenSSH figure)."""
    out = subprocess.run(["java", "-cp", os.path.join(ROOT, "cli", "target", "hack.jar"),
                          os.path.join(ROOT, "scripts", "CipherCost.java")],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        name, small_us, bulk = line.split("\t")
        rows.append((f"the cipher alone: {name}, sealing 32 KiB packets (MiB/s)", float(bulk),
                     None, "higher is better", f"{float(small_us):.2f} µs per 32-byte packet"))
    return rows


def ciphers(env, node_port, sshd_port):
    """Each cipher's cost alone, then echo and throughput once per entry of CIPHER_CHOICES, the
    same client options against the node and sshd; returns rows."""
    log("ciphers: each cipher alone...")
    rows = cipher_cost()
    cat = "stty raw -echo; cat"
    subprocess.run(env.ssh_base(node_port) + ["new", "--name", "echo-c", "--", "sh", "-c",
                                              "'" + cat + "'"],
                   check=True, stdout=subprocess.DEVNULL)
    mb = OUT_BYTES / (1 << 20)
    for name, opts in CIPHER_CHOICES:
        log("ciphers: " + name + "...")
        node, sshd = env.ssh_base(node_port, opts=opts), env.sshd_base(opts)
        picked = f"node: {negotiated(node + ['ls'])}; sshd: {negotiated(sshd + ['true'])}"
        (h50, h99), (s50, s99) = echo(node + ["-tt", "attach", "echo-c"], sshd + ["-tt", cat],
                                      re.sub(r"[^a-z0-9]+", "-", name.split(" (")[0]),
                                      env.node_java_pid)
        stats = {}
        t_hack, t_ssh, got_hack, got_ssh = throughput(env, node_port, sshd_port, opts, stats)
        rows.append((f"{name}: keystroke echo p50, {KEYSTROKES} keys (ms)", h50, s50,
                     "lower is better", picked))
        rows.append((f"{name}: keystroke echo p99 (ms)", h99, s99, "lower is better", ""))
        rows.append(throughput_row(
            f"{name}: output delivered, {mb:.0f} MiB printed to an attached terminal (MiB/s)",
            t_hack, t_ssh, got_hack, got_ssh,
            f"; node CPU {stats['node_cpu']:.2f} s"
            f" ({1000 * stats['node_cpu'] / max(got_hack / (1 << 20), 1):.1f} ms per MiB"
            " received)"))
    return rows


def websockets_module():
    try:
        import websockets
    except ImportError:
        # Debian's python3-websockets, when python3 is not Debian's own (pyenv and the like)
        sys.path.append("/usr/lib/python3/dist-packages")
        import websockets
    return websockets


def cpu_seconds(pid):
    """User + system CPU time of one process so far (not its children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gated_program(n):
    """Prints n bytes once it has read a line, so that a client can attach before it starts."""
    return f'stty -echo; read x; yes "{LINE}" | head -c {n}'


def expected_bytes(n):
    """What a terminal delivers for gated_program(n): the PTY turns each LF into CR LF."""
    return n + n // (len(LINE) + 1)


async def ws_stream(url, token, sid, deflate):
    """Streams session sid over the gateway's shell protocol until its exit message; returns
    (seconds, output bytes, exit message, close code, frames)."""
    websockets = websockets_module()
    params = inspect.signature(websockets.connect).parameters
    headers = {"Authorization": "Bearer " + token}
    kw = {"additional_headers" if "additional_headers" in params else "extra_headers": headers,
          "max_size": None, "ping_interval": None}
    if not deflate:
        kw["compression"] = None  # the client offers permessage-deflate unless told not to
    ws_url = url.replace("http://", "ws://", 1) + f"/v1/sessions/{sid}/stream"
    t0 = time.perf_counter()
    total = frames = 0
    exit_msg = None
    handshake = True
    try:
        async with websockets.connect(ws_url, **kw) as ws:
            await ws.send(json.dumps({"type": "hello", "cols": 200, "rows": 50}))
            async for m in ws:
                msg = json.loads(m)
                if msg["type"] == "ready":
                    await ws.send(json.dumps({"type": "input", "data": "\n"}))  # opens the gate
                elif msg["type"] == "output":
                    total += len(msg["data"].encode("utf-8"))
                    frames += 1
                elif msg["type"] == "exit":
                    exit_msg = msg
                    seconds = time.perf_counter() - t0
                elif msg["type"] == "error":
                    raise SystemExit("ws: the gateway answered " + m)
            close_code = ws.close_code
    except websockets.exceptions.ConnectionClosedError as e:
        # The server's close frame arrived, but the connection ended before the client could
        # answer it (seen under load: the server's FIN overtakes the client's reply).
        rcvd = getattr(e, "rcvd", None)
        close_code = rcvd.code if rcvd is not None else getattr(e, "code", None)
        handshake = False
    if exit_msg is None:
        raise SystemExit(f"ws: the stream of {sid} closed ({close_code}) without an exit message")
    return seconds, total, exit_msg, close_code, frames, handshake


def gateway_post(env, path, body):
    req = urllib.request.Request(env.gateway + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + env.token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def ws_run(env, sid, n, deflate):
    """One session created with POST /v1/sessions and streamed over the WebSocket."""
    gateway_post(env, "/v1/sessions", {"id": sid, "command": ["sh", "-c", gated_program(n)],
                                       "cols": 200, "rows": 50})
    node0, cpu0 = cpu_seconds(env.node_java_pid), time.process_time()
    seconds, got, exit_msg, close_code, frames, handshake = asyncio.run(
        ws_stream(env.gateway, env.token, sid, deflate))
    if exit_msg.get("exitCode") != 0 or close_code != 1000:
        log(f"ws: {sid} ended with {exit_msg}, close code {close_code}")
    return {"s": seconds, "got": got, "node_cpu": cpu_seconds(env.node_java_pid) - node0,
            "client_cpu": time.process_time() - cpu0, "frames": frames,
            "close_code": close_code, "close_handshake": handshake}


def unattached_run(env, sid, n):
    """The same output with nobody attached: the node alone reads its PTY (and keeps the log and
    the screen). Timed from POST /v1/sessions until the session has exited, polled every 20 ms."""
    prog = f'yes "{LINE}" | head -c {n}'
    node0 = cpu_seconds(env.node_java_pid)
    t0 = time.perf_counter()
    gateway_post(env, "/v1/sessions", {"id": sid, "command": ["sh", "-c", prog],
                                       "cols": 200, "rows": 50})
    req = urllib.request.Request(env.gateway + "/v1/sessions/" + sid,
                                 headers={"Authorization": "Bearer " + env.token})
    while True:
        with urllib.request.urlopen(req, timeout=30) as r:
            if json.loads(r.read())["session"]["status"] != "running":
                break
        time.sleep(0.02)
    return {"s": time.perf_counter() - t0, "node_cpu": cpu_seconds(env.node_java_pid) - node0}


def ssh_gated_run(env, argv):
    """Runs an ssh client whose remote program waits for a line; sends it and counts the output
    until EOF. stdin stays open until then (EOF on it could end the attach early)."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    node0 = cpu_seconds(env.node_java_pid)
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(b"\n")
    p.stdin.flush()
    got = 0
    while True:
        data = p.stdout.read1(1 << 20)
        if not data:
            break
        got += len(data)
    seconds = time.perf_counter() - t0
    p.stdin.close()
    p.wait()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"s": seconds, "got": got, "node_cpu": cpu_seconds(env.node_java_pid) - node0,
            "client_cpu": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)}


def attach_run(env, node_port, sid, n):
    """One session created with SSH `new` and read with `ssh -tt NODE attach ID`."""
    subprocess.run(env.ssh_base(node_port) + ["new", "--name", sid, "--", "sh", "-c",
                                              "'" + gated_program(n) + "'"],
                   check=True, stdout=subprocess.DEVNULL)
    return ssh_gated_run(env, env.ssh_base(node_port) + ["-tt", "attach", sid])


def ws_throughput(env, node_port):
    """The same output (the throughput row's payload, gated) read over the gateway's WebSocket
    (with and without permessage-deflate), over hack's SSH attach and from OpenSSH's sshd, and
    with nobody attached. Rounds alternate between the five; returns each one's median round."""
    warm = 20_000_000
    runs = {"ws": [], "wsd": [], "attach": [], "sshd": [], "alone": [], "warm-up": []}
    runs["warm-up"].append(ws_run(env, "ws-warm", warm, False))  # JIT warm-up of each path
    runs["warm-up"].append(ws_run(env, "wsd-warm", warm, True))
    runs["warm-up"].append(attach_run(env, node_port, "att-warm", warm))
    for i in range(WS_ROUNDS):
        runs["alone"].append(unattached_run(env, f"alone{i}", OUT_BYTES))
        runs["ws"].append(ws_run(env, f"ws{i}", OUT_BYTES, False))
        runs["wsd"].append(ws_run(env, f"wsd{i}", OUT_BYTES, True))
        runs["attach"].append(attach_run(env, node_port, f"att{i}", OUT_BYTES))
        runs["sshd"].append(ssh_gated_run(env, env.sshd_base() + ["-tt", gated_program(OUT_BYTES)]))
    if os.environ.get("HACK_BENCH_SAMPLES"):
        with open(os.environ["HACK_BENCH_SAMPLES"] + ".ws.json", "w") as f:
            json.dump(runs, f, indent=1)
    streams = [r for r in runs["warm-up"] + runs["ws"] + runs["wsd"] if "close_handshake" in r]
    median = {k: sorted(v, key=lambda r: r["s"])[len(v) // 2] for k, v in runs.items()}
    median["cut"] = (sum(not r["close_handshake"] for r in streams), len(streams))
    return median


def wrk(url, token, seconds):
    """wrk at WRK_CONNECTIONS connections; returns req/s, p50 and p99 in ms, and the counts of
    non-2xx/3xx answers and socket errors."""
    argv = ["wrk", "-t2", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if token:
        argv += ["-H", "Authorization: Bearer " + token]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def pct(p):
        m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * unit[m.group(2)]

    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(int(x) for x in sock.groups()) if sock else 0, "out": out}


def http_status(env):
    """GET /v1/status with a read-capable token, then without one (401, and one audit line each)."""
    url = env.gateway + "/v1/status"
    for _ in range(2):  # JIT warm-up: the first seconds of a cold node are several times slower
        wrk(url, env.token, max(2, WRK_SECONDS // 2))
    authed = wrk(url, env.token, WRK_SECONDS)
    audit = os.path.join(env.dir, "hack-home", "daemon", "gateway", "audit.jsonl")
    size0 = os.path.getsize(audit) if os.path.exists(audit) else 0
    anon = wrk(url, None, WRK_SECONDS)
    anon["audit_bytes"] = (os.path.getsize(audit) if os.path.exists(audit) else 0) - size0
    if os.environ.get("HACK_BENCH_SAMPLES"):
        with open(os.environ["HACK_BENCH_SAMPLES"] + ".wrk", "w") as f:
            f.write(authed["out"] + "\n" + anon["out"])
    return authed, anon


class EchoClient:
    """An ssh client on a local pty, talking to a raw-mode cat at the other end."""

    def __init__(self, argv):
        import tty
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        tty.setraw(self.fd)
        self.samples = []
        self.i = 0
        os.write(self.fd, b"R")
        buf = b""
        deadline = time.time() + 20
        while b"R" not in buf:
            r, _, _ = select.select([self.fd], [], [], 0.5)
            if r:
                buf += os.read(self.fd, 4096)
            if time.time() > deadline:
                raise SystemExit("echo: no answer from %s: %r" % (argv[-1], buf[-200:]))

    def keystroke(self, record):
        c = bytes([97 + self.i % 26])
        self.i += 1
        t0 = time.perf_counter()
        os.write(self.fd, c)
        while True:
            r, _, _ = select.select([self.fd], [], [], 5)
            if not r:
                raise SystemExit("echo timed out")
            if c in os.read(self.fd, 64):
                break
        if record:
            self.samples.append((time.perf_counter() - t0) * 1000)

    def close(self):
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def percentiles(self):
        s = sorted(self.samples)
        return s[len(s) // 2], s[max(0, int(len(s) * 0.99) - 1)]


def jit_cpu(pid):
    """CPU seconds the JVM `pid`'s C2 compiler threads have used (0 when it cannot be read)."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                if open(f"/proc/{pid}/task/{t}/comm").read().startswith("C2 Compiler"):
                    stat = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()
                    total += int(stat[11]) + int(stat[12])
            except OSError:
                pass
    except OSError:
        return 0
    return total / os.sysconf("SC_CLK_TCK")


WARM_KEYS = 3000  # at least; then on until the JIT is quiet (jit_pid), at most WARM_MAX
WARM_MAX = 30000
WARMED = {}  # samples name -> warm-up keys typed before the recorded ones


def warm_up(clients, jit_pid):
    """Unrecorded keys to each client: WARM_KEYS, then batches of 500 while the JVM `jit_pid`'s
    C2 compiler used 20 ms or more in the last batch (WARM_MAX keys at most). How many each got."""
    typed = 0
    while True:
        before = jit_cpu(jit_pid) if jit_pid else 0
        for _ in range(WARM_KEYS if typed == 0 else 500):
            for c in clients:
                c.keystroke(False)
            typed += 1
        if not jit_pid or typed >= WARM_MAX or jit_cpu(jit_pid) - before < 0.02:
            return typed


def echo(hack_argv, sshd_argv, samples="echo", jit_pid=None):
    """Both clients stay connected; keystrokes alternate in batches of 25, so a noisy moment on
    the machine lands on both sides alike. Warm: WARM_KEYS unrecorded keys each, then, given the
    node JVM's pid, batches of 500 until its C2 compiler used under 20 ms in one: after 3,000 keys
    it was still compiling, 0.3-0.5 s of a core while the keys were recorded, which was most of
    the node's p99 (docs/performance.md, "Warm")."""
    hack, sshd = EchoClient(hack_argv), EchoClient(sshd_argv)
    try:
        WARMED[samples] = warm_up((hack, sshd), jit_pid)
        for _ in range(KEYSTROKES // 25):
            for _ in range(25):
                hack.keystroke(True)
            for _ in range(25):
                sshd.keystroke(True)
    finally:
        hack.close()
        sshd.close()
    if os.environ.get("HACK_BENCH_SAMPLES"):
        for name, c in (("hack", hack), ("sshd", sshd)):
            suffix = "" if samples == "echo" else "." + samples
            with open(os.environ["HACK_BENCH_SAMPLES"] + suffix + "." + name, "w") as f:
                f.write("\n".join("%.3f" % x for x in c.samples))
    return hack.percentiles(), sshd.percentiles()


class Spinner:
    """Holds one core with a busy loop (a shell's `while :`), for both sides of a --busy row."""

    def __init__(self):
        self.p = subprocess.Popen(["sh", "-c", "while :; do :; done"])

    def close(self):
        self.p.kill()
        self.p.wait()


COLD_KEYS = 400


def cold_echo(env, daemon, wait_warm):
    """The first COLD_KEYS keystrokes to a node started just now, against as many on a new
    connection to sshd, alternating in batches of 25; then unrecorded keys until the node's JIT is
    quiet (warm_up) and COLD_KEYS
    recorded ones on the same node, warm. `daemon`: started with `hack daemon start` (which maps
    its classes from the archive it makes first) instead of `hack node serve`. `wait_warm`: type
    only once the node has said "warmed up" (its JIT warm-up, NodeWarmup, runs in the background
    once it serves); else at once.
    Returns ((cold p50, p99), (sshd p50, p99), (warm p50, p99), seconds from serving to warm)."""
    name = ("daemon" if daemon else "serve") + ("-warm" if wait_warm else "")
    home = os.path.join(env.dir, "cold-home-" + name)
    run_env = dict(os.environ, HACK_HOME=home)
    hack = os.path.join(ROOT, "scripts", "hack")
    subprocess.run([hack, "keys", "authorize", env.key + ".pub"], env=run_env, check=True,
                   stdout=subprocess.DEVNULL)
    tmux_sock = os.path.join(env.dir, "cold-tmux-" + name + ".sock")
    serve = ["--ssh-port", "0", "--gateway-port", "-1", "--tmux-socket", tmux_sock]
    p = None
    said = []  # the node's output lines
    if daemon:
        subprocess.run([hack, "daemon", "start"] + serve, env=run_env, check=True,
                       stdout=subprocess.DEVNULL)
        t_ready = time.time()
        st = json.loads(subprocess.run([hack, "daemon", "status", "--json"], env=run_env,
                                       capture_output=True, text=True).stdout)
        port = st["ssh"]["port"]
        node_pid = st["pid"]
        log_file = os.path.join(home, "daemon", "node.log")
        warm_said = lambda: "warmed up in" in open(log_file).read().split("node starting")[-1]
    else:
        p = subprocess.Popen([hack, "node", "serve"] + serve, env=run_env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        while line.startswith("warmed up in ") or line.startswith("warm-up failed"):
            line = p.stdout.readline()  # the node warms its JIT up first (NodeWarmup)
        if not line.startswith("ssh listening on"):
            raise SystemExit("node did not start: " + line)
        t_ready = time.time()
        node_pid = p.pid  # scripts/hack execs java
        threading.Thread(target=lambda: said.extend(p.stdout), daemon=True).start()
        port = int(line.strip().rsplit(":", 1)[1])
        warm_said = lambda: any(x.startswith("warmed up in") for x in said)
    t_warm = None
    if wait_warm:
        while not warm_said():
            if time.time() - t_ready > 60:
                raise SystemExit("bench: the node did not say it had warmed up")
            time.sleep(0.05)
        t_warm = time.time() - t_ready
    try:
        cat = "stty raw -echo; cat"
        subprocess.run(env.ssh_base(port) + ["new", "--name", "echo", "--", "sh", "-c",
                                             "'" + cat + "'"], check=True,
                       stdout=subprocess.DEVNULL)
        hack_c = EchoClient(env.ssh_base(port) + ["-tt", "attach", "echo"])
        sshd_c = EchoClient(env.sshd_base() + ["-tt", cat])
        try:
            for _ in range(COLD_KEYS // 25):
                for _ in range(25):
                    hack_c.keystroke(True)
                for _ in range(25):
                    sshd_c.keystroke(True)
            cold, sshd = hack_c.percentiles(), sshd_c.percentiles()
            hack_c.samples = []
            WARMED["cold-" + name] = warm_up((hack_c,), node_pid)
            for _ in range(COLD_KEYS):
                hack_c.keystroke(True)
            warm = hack_c.percentiles()
        finally:
            hack_c.close()
            sshd_c.close()
    finally:
        if daemon:
            subprocess.run([hack, "daemon", "stop", "--end-sessions"], env=run_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            p.terminate()
            p.wait()
            subprocess.run([hack, "daemon", "stop", "--end-sessions"], env=run_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cold, sshd, warm, t_warm


def connect(env, argv, run_env=None):
    times = []
    for _ in range(CONNECTS):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env=run_env)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def connect_each(variants):
    """connect() for several commands, taking turns run by run, so that a busy moment of the
    machine falls on all of them alike; returns the medians in order."""
    times = [[] for _ in variants]
    for _ in range(CONNECTS):
        for i, (argv, run_env) in enumerate(variants):
            t0 = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                           env=run_env)
            times[i].append((time.perf_counter() - t0) * 1000)
    return [statistics.median(t) for t in times]


def rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def descendants(pid, name):
    out = subprocess.run(["ps", "-eo", "pid,ppid,comm"], capture_output=True, text=True).stdout
    kids = {}
    comm = {}
    for line in out.splitlines()[1:]:
        p, pp, c = line.split(None, 2)
        kids.setdefault(int(pp), []).append(int(p))
        comm[int(p)] = c
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(kids.get(p, []))
    return [p for p in seen if comm.get(p, "").startswith(name)]


def memory(env, node_port, sshd_port):
    base = env.ssh_base(node_port)
    for i in range(IDLE_SESSIONS):
        subprocess.run(base + ["new", "--name", f"idle{i}", "--", "cat"], check=True,
                       stdout=subprocess.DEVNULL)
    time.sleep(2)
    node_rss = rss_kb([env.node_java_pid])
    clients = []
    for i in range(IDLE_SESSIONS):
        clients.append(subprocess.Popen(env.sshd_base() + ["-tt", "cat"],
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
    time.sleep(3)
    sshd_rss = rss_kb(descendants(env.sshd_pid, "sshd"))
    for c in clients:
        c.kill()
    return node_rss, sshd_rss


def main():
    env = Env()
    load_start = os.getloadavg()
    try:
        node_port = env.start_node()
        sshd_port = env.start_sshd()
        rows = []
        want = lambda name: not ONLY or name in ONLY
        if want("throughput"):
            log(f"throughput... (load average {load():.2f})")
            stats = {}
            t_hack, t_ssh, got_hack, got_ssh = throughput(env, node_port, sshd_port, (), stats)
            mb = OUT_BYTES / (1 << 20)
            rows.append(throughput_row(
                f"output delivered, {mb:.0f} MiB printed to an attached terminal (MiB/s)",
                t_hack, t_ssh, got_hack, got_ssh,
                f"; {t_hack:.2f} vs {t_ssh:.2f} s; load average {stats['load'][0]:.2f} before,"
                f" {stats['load'][1]:.2f} after"))
        if want("ws"):
            log("ws...")
            r = ws_throughput(env, node_port)
            mb = OUT_BYTES / (1 << 20)
            exp = expected_bytes(OUT_BYTES) / (1 << 20)
            sshd = r["sshd"]

            def note(x, first=False):
                n = (f"received {x['got']/(1<<20):.1f} of {exp:.1f} MiB; node CPU"
                     f" {x['node_cpu']:.2f} s, client CPU {x['client_cpu']:.2f} s")
                if x["got"] < expected_bytes(OUT_BYTES):
                    n = "**DIFFERENT WORK** (skipped ahead; the MiB/s are not comparable): " + n
                if first:
                    n += (f", {x['frames']} frames; OpenSSH: received {sshd['got']/(1<<20):.1f}"
                          f" MiB, client CPU {sshd['client_cpu']:.2f} s")
                return n
            rounds = f", median of {WS_ROUNDS}" if WS_ROUNDS > 1 else ""
            rows.append((f"output of one session, {mb:.0f} MiB, over the gateway WebSocket"
                         f" (shell protocol, no compression){rounds} (MiB/s)",
                         mb / r["ws"]["s"], mb / sshd["s"], "higher is better",
                         note(r["ws"], True)))
            cut, streams = r["cut"]
            cut_note = (f"; {cut} of {streams} WebSocket streams (warm-up included) got the close"
                        f" frame but lost the connection before answering it" if cut else "")
            rows.append(("the same over the WebSocket with permessage-deflate (MiB/s)",
                         mb / r["wsd"]["s"], mb / sshd["s"], "higher is better",
                         note(r["wsd"]) + cut_note))
            rows.append(("the same over hack's SSH `attach` (MiB/s)",
                         mb / r["attach"]["s"], mb / sshd["s"], "higher is better",
                         note(r["attach"])))
            rows.append(("the same output with nobody attached, until the session exits"
                         " (MiB/s)", mb / r["alone"]["s"], mb / sshd["s"], "higher is better",
                         f"the ceiling for any client; node CPU {r['alone']['node_cpu']:.2f} s"))
        if want("echo"):
            log("echo...")
            env_cat = "stty raw -echo; cat"
            subprocess.run(env.ssh_base(node_port) + ["new", "--name", "echo", "--", "sh", "-c",
                                                      "'" + env_cat + "'"],
                           check=True, stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            (h50, h99), (s50, s99) = echo(env.ssh_base(node_port) + ["-tt", "attach", "echo"],
                                          env.sshd_base() + ["-tt", env_cat],
                                          jit_pid=env.node_java_pid)
            rows.append((f"keystroke echo p50, {KEYSTROKES} keys to raw cat (ms)", h50, s50,
                         "lower is better", f"after {WARMED['echo']} warm-up keys (until the"
                         " node's JIT compiler was quiet)"))
            rows.append(("keystroke echo p99 (ms)", h99, s99, "lower is better", ""))
            if BUSY:
                log("echo, one core busy...")
                spin = Spinner()
                try:
                    (b50, b99), (t50, t99) = echo(
                        env.ssh_base(node_port) + ["-tt", "attach", "echo"],
                        env.sshd_base() + ["-tt", env_cat], "busy", env.node_java_pid)
                finally:
                    spin.close()
                rows.append((f"keystroke echo p50 with one core held by a spin loop (--busy),"
                             f" {KEYSTROKES} keys (ms)", b50, t50, "lower is better", ""))
                rows.append(("keystroke echo p99, one core busy (ms)", b99, t99,
                             "lower is better", ""))
        if want("cold"):
            for daemon, wait_warm in ((False, False), (False, True), (True, True)):
                how = ("`hack daemon start` (class-data archive)" if daemon
                       else "`hack node serve`")
                when = "once it said it had warmed up" if wait_warm else "at once"
                log(f"cold echo after {how}, {when}...")
                (c50, c99), (s50, s99), (w50, w99), t_warm = cold_echo(env, daemon, wait_warm)
                name = ("daemon" if daemon else "serve") + ("-warm" if wait_warm else "")
                waited = (f"; it said so {t_warm:.1f} s after it served" if wait_warm else
                          "; its warm-up runs meanwhile")
                rows.append((f"keystroke echo p50, the first {COLD_KEYS} keys to a node just"
                             f" started with {how}, typed {when}, vs a new sshd connection's"
                             f" first (ms)", c50, s50, "lower is better",
                             f"the same node warm (after {WARMED['cold-' + name]} more keys,"
                             f" until its JIT was quiet): p50 {w50:.3f} ms"
                             + waited))
                rows.append((f"keystroke echo p99, the same first {COLD_KEYS} keys (ms)", c99, s99,
                             "lower is better",
                             f"warm p99 of the same node {w99:.3f} ms: cold/warm"
                             f" {c99 / w99:.2f}x (issue 14's goal: at most 2x)"))
        if want("ciphers"):
            log("ciphers...")
            rows.extend(ciphers(env, node_port, sshd_port))
        if want("connect"):
            log("connect...")
            c_hack = connect(env, env.ssh_base(node_port) + ["ls"])
            c_ssh = connect(env, env.sshd_base() + ["true"])
            rows.append((f"connect + auth + `ls` vs `ssh host true`, median of {CONNECTS} (ms)",
                         c_hack, c_ssh, "lower is better", ""))
        if want("cli"):
            log("cli...")
            env_home = dict(os.environ, HACK_HOME=os.path.join(env.dir, "hack-home"))
            env_off = dict(env_home, HACK_NO_DAEMON="1")  # no fast path: all in the CLI's JVM
            hack = os.path.join(ROOT, "scripts", "hack")
            jar = os.path.join(ROOT, "cli", "target", "hack.jar")
            ls = ["session", "list", "--json"]
            for e in (env_off, env_home):  # CDS archive, host key, the node's warm connection
                subprocess.run([hack] + ls, env=e, stdout=subprocess.DEVNULL, check=True)
            took = subprocess.run([hack] + ls, env=dict(env_home, HACK_FASTPATH_DEBUG="1"),
                                  capture_output=True, text=True).stderr
            if "served by the node" not in took:
                raise SystemExit("bench: the fast path was not taken: " + took.strip())
            c_plain, c_cds, c_fast, c_ssh = connect_each([
                (["java", "-jar", jar] + ls, env_off),
                ([hack] + ls, env_off),
                ([hack] + ls, env_home),
                (env.ssh_base(node_port) + ["ls", "--json"], None)])
            rows.append((f"`hack session list --json` (plain `java -jar`, in-process) vs"
                         f" `ssh node ls --json`, median of {CONNECTS} (ms)", c_plain, c_ssh,
                         "lower is better", "no class-data sharing, C2"))
            rows.append(("`scripts/hack session list --json` with `HACK_NO_DAEMON=1` (CDS archive,"
                         " C1, in-process) vs `ssh node ls --json` (ms)", c_cds, c_ssh,
                         "lower is better", "before: the CLI's JVM connects over SSH itself"))
            rows.append(("`scripts/hack session list --json`, fast path (the local node answers"
                         " over `HACK_HOME/run/cli.sock`) vs `ssh node ls --json` (ms)", c_fast,
                         c_ssh, "lower is better", "after"))
        if want("memory"):
            log("memory...")
            n_rss, s_rss = memory(env, node_port, sshd_port)
            rows.append((f"memory with {IDLE_SESSIONS} idle sessions, RSS (MiB)", n_rss / 1024,
                         s_rss / 1024, "lower is better",
                         "hack: the node JVM; OpenSSH: all sshd processes"))
        if want("http"):
            log("http...")
            a, u = http_status(env)
            c = f"wrk -t2 -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s"

            def errs(x):
                return (f"{x['non2xx']} non-2xx answers, {x['socket_errors']} socket errors")
            rows.append((f"gateway `GET /v1/status` with a token, {c} (requests/s)", a["rps"],
                         None, "higher is better", errs(a)))
            rows.append(("gateway `GET /v1/status` latency p50 (ms)", a["p50"], None,
                         "lower is better", ""))
            rows.append(("gateway `GET /v1/status` latency p99 (ms)", a["p99"], None,
                         "lower is better", ""))
            rows.append((f"gateway `GET /v1/status` without a token: 401 and one audit line"
                         f" each, {c} (requests/s)", u["rps"], None, "higher is better",
                         f"p50 {u['p50']:.3f} ms, p99 {u['p99']:.3f} ms; {errs(u)} (all"
                         f" expected); audit log grew {u['audit_bytes']/(1<<20):.1f} MiB"))
        if want("mesh"):
            log("mesh...")
            import bench_mesh  # many node processes: scripts/bench_mesh.py
            rows.extend(bench_mesh.rows(env))
        if want("restart"):
            log("restart...")
            import bench_restart  # the keeper: scripts/bench_restart.py
            rows.extend(bench_restart.rows())
        if want("scale") and ONLY:  # minutes of work: only when asked for by name
            log("scale...")
            import bench_scale  # 100 and 1,000 sessions: scripts/bench_scale.py
            rows.extend(bench_scale.rows())
        log(f"done (load average {load():.2f})")
        print("| measure | hack | OpenSSH | hack/OpenSSH | note |")
        print("|---|---:|---:|---:|---|")
        for name, h, s, better, note in rows:
            if s is None:  # no OpenSSH equivalent: an absolute figure
                print(f"| {name} | {h:.3f} | — | — | {better}{'; ' + note if note else ''} |")
            else:
                print(f"| {name} | {h:.3f} | {s:.3f} | {h/s:.2f}x | {better}{'; ' + note if note else ''} |")
        print()
        print("load average (1, 5, 15 min): %s at the start, %s at the end; %d CPUs" % (
            " ".join(f"{x:.2f}" for x in load_start),
            " ".join(f"{x:.2f}" for x in os.getloadavg()), os.cpu_count()))
    finally:
        env.close()


if __name__ == "__main__":
    main()
