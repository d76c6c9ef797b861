#!/usr/bin/env python3
"""hack vs OpenSSH benchmark: a node and a throwaway sshd on loopback, measured side by side.

Everything lives in a temp dir (HACK_HOME, keys, sshd config); nothing touches ~/.hack or ~/.ssh.
"""
import json, os, pty, select, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
ONLY = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")]
OUT_BYTES = (32 if QUICK else 256) * 1024 * 1024
KEYSTROKES = 200 if QUICK else 500
CONNECTS = 10 if QUICK else 30
IDLE_SESSIONS = 100


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


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

    def ssh_base(self, port, user=None):
        login = ["-l", user] if user else []
        return ["ssh", "-F", "/dev/null", "-i", self.key, "-p", str(port)] + login + [
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
                "-o", "ControlMaster=no", "127.0.0.1"]

    def sshd_base(self):
        return self.ssh_base(self.sshd_port, self.sshd_user)

    def start_node(self):
        home = os.path.join(self.dir, "hack-home")
        env = dict(os.environ, HACK_HOME=home)
        hack = os.path.join(ROOT, "scripts", "hack")
        subprocess.run([hack, "keys", "authorize", self.key + ".pub"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        tmux_sock = os.path.join(self.dir, "tmux.sock")
        p = subprocess.Popen([hack, "node", "serve", "--ssh-port", "0", "--gateway-port", "-1",
                              "--tmux-socket", tmux_sock], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)
        line = p.stdout.readline()
        if not line.startswith("ssh listening on"):
            raise SystemExit("node did not start: " + line)
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


def throughput(env, node_port, sshd_port):
    # ssh -tt asks for a remote PTY even though its own output is a pipe we count
    prog = f'yes "hack throughput line 0123456789 abcdefghijklmnopqrstuvwxyz" | head -c {OUT_BYTES}'
    run_counted(env.ssh_base(node_port) + ["-tt", "new", "--attach", "--", "sh", "-c",
                                           "'yes | head -c 20000000'"])  # JIT warm-up
    t_ssh, got_ssh = run_counted(env.sshd_base() + ["-tt", prog])
    t_hack, got_hack = run_counted(env.ssh_base(node_port) + ["-tt", "new", "--attach", "--",
                                                              "sh", "-c", "'" + prog + "'"])
    return t_hack, t_ssh, got_hack, got_ssh


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


def echo(hack_argv, sshd_argv):
    """Both clients stay connected; keystrokes alternate in batches of 25, so a noisy moment on
    the machine lands on both sides alike."""
    hack, sshd = EchoClient(hack_argv), EchoClient(sshd_argv)
    try:
        for _ in range(3000):  # warm-up: the node's JIT compiles the keystroke path
            hack.keystroke(False)
            sshd.keystroke(False)
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
            with open(os.environ["HACK_BENCH_SAMPLES"] + "." + name, "w") as f:
                f.write("\n".join("%.3f" % x for x in c.samples))
    return hack.percentiles(), sshd.percentiles()


def connect(env, argv, run_env=None):
    times = []
    for _ in range(CONNECTS):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env=run_env)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


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
    try:
        node_port = env.start_node()
        sshd_port = env.start_sshd()
        rows = []
        want = lambda name: not ONLY or name in ONLY
        if want("throughput"):
            log("throughput...")
            t_hack, t_ssh, got_hack, got_ssh = throughput(env, node_port, sshd_port)
            mb = OUT_BYTES / (1 << 20)
            rows.append((f"output throughput, {mb:.0f} MiB through an attached terminal (MiB/s)",
                         mb / t_hack, mb / t_ssh, "higher is better",
                         f"client received {got_hack/(1<<20):.1f} vs {got_ssh/(1<<20):.1f} MiB"))
        if want("echo"):
            log("echo...")
            env_cat = "stty raw -echo; cat"
            subprocess.run(env.ssh_base(node_port) + ["new", "--name", "echo", "--", "sh", "-c",
                                                      "'" + env_cat + "'"],
                           check=True, stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            (h50, h99), (s50, s99) = echo(env.ssh_base(node_port) + ["-tt", "attach", "echo"],
                                          env.sshd_base() + ["-tt", env_cat])
            rows.append((f"keystroke echo p50, {KEYSTROKES} keys to raw cat (ms)", h50, s50,
                         "lower is better", ""))
            rows.append(("keystroke echo p99 (ms)", h99, s99, "lower is better", ""))
        if want("connect"):
            log("connect...")
            c_hack = connect(env, env.ssh_base(node_port) + ["ls"])
            c_ssh = connect(env, env.sshd_base() + ["true"])
            rows.append((f"connect + auth + `ls` vs `ssh host true`, median of {CONNECTS} (ms)",
                         c_hack, c_ssh, "lower is better", ""))
        if want("cli"):
            log("cli...")
            env_home = dict(os.environ, HACK_HOME=os.path.join(env.dir, "hack-home"))
            hack = os.path.join(ROOT, "scripts", "hack")
            jar = os.path.join(ROOT, "cli", "target", "hack.jar")
            subprocess.run([hack, "session", "list", "--json"], env=env_home,
                           stdout=subprocess.DEVNULL, check=True)  # CDS archive, host key
            c_plain = connect(env, ["java", "-jar", jar, "session", "list", "--json"], env_home)
            c_cds = connect(env, [hack, "session", "list", "--json"], env_home)
            c_ssh = connect(env, env.ssh_base(node_port) + ["ls", "--json"])
            rows.append((f"`hack session list --json` (plain `java -jar`) vs `ssh node ls --json`,"
                         f" median of {CONNECTS} (ms)", c_plain, c_ssh, "lower is better",
                         "before: no class-data sharing, C2"))
            rows.append((f"`scripts/hack session list --json` (CDS archive, C1) vs"
                         f" `ssh node ls --json` (ms)", c_cds, c_ssh, "lower is better", "after"))
        if want("memory"):
            log("memory...")
            n_rss, s_rss = memory(env, node_port, sshd_port)
            rows.append((f"memory with {IDLE_SESSIONS} idle sessions, RSS (MiB)", n_rss / 1024,
                         s_rss / 1024, "lower is better",
                         "hack: the node JVM; OpenSSH: all sshd processes"))
        print("| measure | hack | OpenSSH | hack/OpenSSH | note |")
        print("|---|---:|---:|---:|---|")
        for name, h, s, better, note in rows:
            print(f"| {name} | {h:.3f} | {s:.3f} | {h/s:.2f}x | {better}{'; ' + note if note else ''} |")
    finally:
        env.close()


if __name__ == "__main__":
    main()
