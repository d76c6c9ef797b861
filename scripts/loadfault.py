#!/usr/bin/env python3
"""Load and fault suite for a hack node (issue 11): a real node on loopback, driven by real
OpenSSH clients and WebSockets, under load and under faults. Not a test with a time limit: it
prints what it measured and what held, as one markdown table (or JSON with --json).

Phases (--only=NAME,... picks some):
  ls      200 concurrent `ssh node ls --json` loops for 60 s
  attach  50 `ssh -tt node attach` clients on 10 sessions flooding output
  ws      100 WebSocket streams on the gateway at once
  mux     thousands of commands through one OpenSSH ControlMaster (exit statuses)
  many    1,000 sessions: create, list, memory/fds/threads per session, stop and rm
  kill    kill -9 of the node under load, restart on the same HACK_HOME
  disk    HACK_HOME on a small tmpfs, filled while a session floods (root only)

Around each phase the node's RSS, open fds and threads are sampled before, during (peak) and
after; fds and threads must come back to where they were.

Everything lives in a temp dir (HACK_HOME, keys, tmux socket, ControlMaster sockets); nothing
touches ~/.hack or ~/.ssh, and everything listens on loopback only. Run it through
scripts/loadfault, which installs what is missing and builds the jar.
"""
import argparse, asyncio, fcntl, inspect, json, os, re, resource, selectors, shlex, shutil, signal
import statistics, struct, subprocess, sys, termios, threading, time, traceback
import urllib.error, urllib.request

PHASES = ("ls", "attach", "ws", "mux", "many", "kill", "disk")

parser = argparse.ArgumentParser(prog="scripts/loadfault",
                                 description=" ".join(__doc__.split("\n\n")[0].split()))
parser.add_argument("--quick", action="store_true", help="all counts and durations about 10x down")
parser.add_argument("--only", default="", help="comma-separated phases: " + ",".join(PHASES))
parser.add_argument("--json", action="store_true", help="print JSON instead of the markdown table")
parser.add_argument("--keep", action="store_true", help="keep the temp dir (node logs) at the end")
parser.add_argument("--settle", type=float, default=75.0,
                    help="seconds to wait for fds and threads to come back after a phase"
                         " (idle pool threads live 60 s; default 75)")
ARGS = parser.parse_args()
ONLY = [p for p in ARGS.only.split(",") if p]
if set(ONLY) - set(PHASES):
    parser.error("unknown phase %s; use %s" % (", ".join(sorted(set(ONLY) - set(PHASES))),
                                               ", ".join(PHASES)))
# bench.py reads its own flags when imported: hand it only the one it shares with us
sys.argv = [sys.argv[0]] + (["--quick"] if ARGS.quick else [])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Env: the temp dir, key and ssh argv; websockets_module; rss_kb)

Q = ARGS.quick


def scaled(full, quick):
    return quick if Q else full


LS_CLIENTS = scaled(200, 20)
LS_SECONDS = scaled(60, 6)
FLOOD_SESSIONS = scaled(10, 2)
FLOOD_CLIENTS = scaled(50, 10)
FLOOD_SECONDS = scaled(30, 3)
WS_STREAMS = scaled(100, 10)
WS_PER_SESSION = 4
WS_PER_TOKEN = 10  # the gateway allows 16 streams per token
WS_PER_ADDRESS = 10  # and 32 connections per remote address
MUX_COMMANDS = scaled(3000, 300)
MANY_SESSIONS = scaled(1000, 100)
LS_SAMPLES = scaled(10, 5)
KILL_ATTACHED = scaled(10, 3)
KILL_WORKERS = scaled(10, 3)
KILL_LOAD_SECONDS = scaled(5, 2)
DISK_MIB = 20
DISK_FULL_SECONDS = scaled(15, 12)  # the node gives a stuck program 10 s: watch past that
DISK_AFTER_SECONDS = scaled(15, 6)
SLACK = 2  # fds or threads over the baseline still counted as "back"
HACK = os.path.join(bench.ROOT, "scripts", "hack")
PAD = "x" * 88  # the full-disk flood: 99-character numbered lines


def log(msg):
    print("loadfault: " + msg, file=sys.stderr, flush=True)


def pct(values, p):
    """Nearest-rank percentile of a list (p in 0..100); None for an empty list."""
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def src_addr(i):
    """A loopback source address of its own for client i: 127.0.1.2, 127.0.1.3, ... The node caps
    connections per client address (64, of which 10 logging in: docs/ssh.md#limits) and the
    gateway too (32), as OpenSSH's MaxStartups does; many clients from one address would meet
    those caps, not the load this suite is after. Client i looks like machine i."""
    return "127.0.%d.%d" % (1 + i // 250, 2 + i % 250)


def remote(*words):
    """The words of a hack command line, quoted for the node's shell-like splitter."""
    return [shlex.quote(w) for w in words]


def first_line(b):
    s = b.decode("utf-8", "replace").strip() if isinstance(b, bytes) else (b or "").strip()
    return s.splitlines()[0][:160] if s else ""


def fmt_ms(x):
    return "—" if x is None else ("%.0f" % x if x >= 100 else "%.1f" % x)


# --- the node ------------------------------------------------------------------------------------

class Node:
    """`hack node serve` on free loopback ports in its own HACK_HOME; stderr goes to a file."""

    def __init__(self, suite, home, label):
        self.suite, self.home, self.label = suite, home, label
        self.tmux_sock = os.path.join(suite.dir, "tmux-" + label + ".sock")
        self.proc = None
        self.starts = 0

    def prepare(self):
        """Authorizes the suite's key, turns gateway writes on and makes an admin token."""
        env = dict(os.environ, HACK_HOME=self.home)
        subprocess.run([HACK, "keys", "authorize", self.suite.env.key + ".pub"], env=env,
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
        subprocess.run([HACK, "config", "set", "--global", "controlPlane.gateway.allowWrites",
                        "true"], env=env, check=True, stdout=subprocess.DEVNULL, timeout=120)
        out = subprocess.run([HACK, "gateway", "token-create", "--scope", "admin", "--json",
                              "--label", "loadfault"], env=env, check=True, capture_output=True,
                             text=True, timeout=120).stdout
        self.token = json.loads(out)["token"]

    def start(self, timeout=180):
        """Starts the node; returns seconds until it printed its ports."""
        self.starts += 1
        self.err_path = os.path.join(self.suite.dir, "node-%s-%d.err" % (self.label, self.starts))
        err = open(self.err_path, "wb")
        env = dict(os.environ, HACK_HOME=self.home)
        t0 = time.perf_counter()
        # its own session: Ctrl-C reaches this script, which stops the node in order
        self.proc = subprocess.Popen(
            [HACK, "node", "serve", "--name", "loadfault-" + self.label, "--ssh-port", "0",
             "--gateway-port", "0", "--tmux-socket", self.tmux_sock],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
            start_new_session=True, text=True)
        err.close()
        self.suite.procs.append(self.proc)
        lines = []

        def read():
            for line in self.proc.stdout:
                lines.append(line)
        threading.Thread(target=read, name="node-stdout-" + self.label, daemon=True).start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(x.startswith("gateway listening on") for x in lines):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("the node %s did not start (exit %s): %s" % (
                    self.label, self.proc.returncode, self.stderr_tail()))
            time.sleep(0.02)
        else:
            raise RuntimeError("the node %s did not start within %d s" % (self.label, timeout))
        took = time.perf_counter() - t0
        ssh_line = next(x for x in lines if x.startswith("ssh listening on"))
        self.port = int(ssh_line.strip().rsplit(":", 1)[1])
        gw = next(x for x in lines if x.startswith("gateway listening on"))
        self.gateway = gw.strip().rsplit(" ", 1)[1]
        self.pid = self.proc.pid  # scripts/hack execs java
        self.backlog = backlog(self.port)
        return took

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def stderr_tail(self, n=5):
        try:
            with open(self.err_path, "rb") as f:
                return " | ".join(first_line(x) for x in f.read().splitlines()[-n:])
        except OSError:
            return ""

    def kill_tmux(self):
        if shutil.which("tmux") and os.path.exists(self.tmux_sock):
            subprocess.run(["tmux", "-S", self.tmux_sock, "kill-server"], capture_output=True,
                           timeout=30)

    # -- talking to it --

    def ssh(self, *words, src=None, mux=None, tty=False, extra=()):
        argv = self.suite.env.ssh_base(self.port)
        host = argv.pop()
        if src:
            argv += ["-b", src]
        if mux:
            argv += ["-o", "ControlPath=" + mux]
        if tty:
            argv.append("-tt")
        return argv + list(extra) + [host] + remote(*words)

    def run(self, *words, timeout=120, **kw):
        """Runs one hack command over a fresh ssh; returns CompletedProcess (bytes)."""
        return subprocess.run(self.ssh(*words, **kw), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)

    def check(self, *words, **kw):
        r = self.run(*words, **kw)
        if r.returncode != 0:
            raise RuntimeError("ssh %s: exit %d: %s" % (" ".join(words), r.returncode,
                                                        first_line(r.stderr)))
        return r.stdout.decode("utf-8", "replace")

    def sessions(self, **kw):
        return {s["id"]: s for s in json.loads(self.check("ls", "--json", **kw))}

    def http(self, method, path, body=None, token=None, timeout=30):
        """(status, parsed JSON or raw bytes) of one gateway request."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.gateway + path, data=data, method=method, headers={
            "Authorization": "Bearer " + (token or self.token),
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw, status = r.read(), r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def wait_for(self, what, predicate, timeout=60, interval=0.25):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = predicate()
                if last:
                    return last
            except Exception as e:  # the node may be busy or restarting; ask again
                last = e
            time.sleep(interval)
        raise RuntimeError("timed out waiting for %s (last: %r)" % (what, last))


def proc_figures(pid):
    """(RSS KiB, open fds, threads) of one process, or None once it is gone."""
    try:
        rss = threads = 0
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        return rss, len(os.listdir("/proc/%d/fd" % pid)), threads
    except OSError:
        return None


def thread_names(pid):
    """How many threads of each name the process has (digits folded: pty-read-N)."""
    names = {}
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                    k = re.sub(r"\d+", "N", f.read().strip())
            except OSError:
                continue
            names[k] = names.get(k, 0) + 1
    except OSError:
        pass
    return names


def listen_overflows():
    """The kernel's count of connections dropped because a listen queue was full (all sockets on
    the machine: TcpExt ListenOverflows)."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:])).get("ListenOverflows", 0))
    return 0


def accept_queue(port):
    """How many connections wait to be accepted on the loopback listener of port now (rx_queue
    of a listening socket in /proc/net/tcp*), or None."""
    for path in ("/proc/net/tcp6", "/proc/net/tcp"):
        try:
            with open(path) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                return int(f[4].split(":")[1], 16)
    return None


def backlog(port):
    """The listen backlog of the listener on port, as `ss -ltn` shows it (Send-Q), or None."""
    try:
        out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True,
                             text=True, timeout=10).stdout.split()
        return int(out[2])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


JETTY_POOL = "gateway-N"  # the gateway's QueuedThreadPool: bounded, shrinks one thread a minute


def unpooled(threads, names):
    """Threads not in Jetty's pool: the count that must come back to its baseline."""
    return threads - names.get(JETTY_POOL, 0)


def names_delta(a, b):
    """The thread names whose counts differ between two thread_names(), as '+3 ssh-command-N'."""
    d = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}
    return ", ".join("%+d %s" % (v, k) for k, v in sorted(d.items(), key=lambda x: -abs(x[1]))
                     if v)


class Meter:
    """Samples a node's RSS, fds and threads, and its SSH listener's accept queue, every 200 ms
    in a thread; keeps the peak of each."""

    def __init__(self, pid_of, port_of):
        self.pid_of = pid_of
        self.port_of = port_of
        self.peak = [0, 0, 0]
        self.queue = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="meter", daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopping.wait(0.2):
            self.sample()

    def sample(self):
        f = proc_figures(self.pid_of())
        if f:
            self.peak = [max(a, b) for a, b in zip(self.peak, f)]
        q = accept_queue(self.port_of())
        if q is not None:
            self.queue = max(self.queue, q)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.sample()
        return tuple(self.peak)


# --- clients on a terminal -----------------------------------------------------------------------

class TtyClient:
    """An ssh client whose stdin is a local pty of its own (so `ssh -tt` puts it in raw mode and
    takes keys from it, as from a terminal) and whose stdout is a pipe, read by a TtyPump: no
    terminal line discipline between the node's output and the reader."""

    def __init__(self, argv, cols=120, rows=40):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        out_r, out_w = os.pipe()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=out_w, stderr=slave,
                                     start_new_session=True)
        os.close(slave)
        os.close(out_w)
        os.set_blocking(out_r, False)
        try:
            fcntl.fcntl(out_r, 1031, 1 << 20)  # F_SETPIPE_SZ: fewer, larger reads
        except OSError:
            pass
        os.set_blocking(master, False)
        self.keys = master  # keys go in here; what ssh says on stderr comes out
        self.fd = out_r
        self.pump = None
        self.err = b""
        self.got = 0
        self.started = time.perf_counter()
        self.first_at = None  # perf_counter() of the first byte received
        self.last_at = None  # and of the last
        self.tail = b""
        self.closed = threading.Event()
        self.lock = threading.Lock()

    def send(self, data):
        try:
            os.write(self.keys, data)
        except OSError:
            pass

    def on_data(self, data):
        with self.lock:
            self.got += len(data)
            self.last_at = time.perf_counter()
            if self.first_at is None:
                self.first_at = self.last_at
            self.tail = (self.tail + data)[-4096:]

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.keys is not None:
            if self.pump:
                self.pump.drop(self.keys)
            os.close(self.keys)
            self.keys = None

    def said(self):
        """The last thing ssh printed on its stderr (e.g. why it gave up), or ''."""
        return first_line(self.err.strip().splitlines()[-1]) if self.err.strip() else ""


class TtyPump:
    """One thread reading every TtyClient's output as fast as it can (epoll: no 1,024-fd limit)."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self.loop, name="tty-pump", daemon=True)
        self.thread.start()

    def add(self, client):
        with self.lock:
            client.pump = self
            self.sel.register(client.fd, selectors.EVENT_READ, (client, "out"))
            self.sel.register(client.keys, selectors.EVENT_READ, (client, "err"))

    def drop(self, fd):
        with self.lock:
            if fd in self.sel.get_map():
                self.sel.unregister(fd)

    def loop(self):
        while not self.stopping:
            with self.lock:
                if not self.sel.get_map():
                    events = None
                else:
                    events = self.sel.select(0.05)
            if events is None:
                time.sleep(0.05)
                continue
            for key, _ in events:
                c, what = key.data
                try:
                    data = os.read(key.fd, 1 << 18)
                except BlockingIOError:
                    continue
                except OSError:  # EIO on the pty once ssh has exited
                    data = b""
                if what == "err":
                    if data:
                        c.err = (c.err + data)[-2048:]
                    else:
                        self.drop(key.fd)  # the fd stays open for kill() to close
                elif data:
                    c.on_data(data)
                else:
                    self.drop(key.fd)
                    os.close(key.fd)
                    c.closed.set()

    def stop(self):
        self.stopping = True
        self.thread.join(5)


# --- the suite -----------------------------------------------------------------------------------

class Suite:
    def __init__(self):
        self.env = bench.Env()  # temp dir and the client key (hack-bench-*)
        self.dir = self.env.dir
        self.procs = self.env.procs
        self.clients = []  # TtyClients and Popens to end on the way out
        self.masters = []  # ControlMaster sockets
        self.nodes = []
        self.mounts = []
        self.rows = []  # (phase, what was tried, figures, held)
        self.figures = {}  # phase -> dict, for --json
        self.pump = TtyPump()
        self.node = None

    # results
    def row(self, phase, tried, figures, held):
        self.rows.append((phase, tried, figures, held))
        log("%s: %s: %s [%s]" % (phase, tried, figures, held))

    def fig(self, phase, **kw):
        self.figures.setdefault(phase, {}).update(kw)

    def tty(self, argv):
        c = TtyClient(argv)
        self.clients.append(c)
        self.pump.add(c)
        return c

    def new_node(self, home, label):
        n = Node(self, home, label)
        self.nodes.append(n)
        return n

    def master(self, node, name):
        """An OpenSSH ControlMaster to the node (`ssh -o ControlMaster=yes -fN`); its socket."""
        path = os.path.join(self.dir, name + ".cm")
        argv = node.ssh(extra=["-o", "ControlMaster=yes", "-o", "ControlPath=" + path,
                               "-o", "ControlPersist=no", "-fN"])
        subprocess.run(argv, check=True, timeout=60, stdin=subprocess.DEVNULL)
        self.masters.append((node, path))
        return path

    def close_master(self, node, path):
        argv = node.ssh(extra=["-o", "ControlPath=" + path, "-O", "exit"])
        subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)

    def close(self):
        for c in self.clients:
            try:
                c.kill()
            except Exception:
                pass
        self.pump.stop()
        for node, path in self.masters:
            if os.path.exists(path):
                try:
                    self.close_master(node, path)
                except Exception:
                    pass
        for n in self.nodes:
            try:
                n.stop()
            except Exception:
                pass
            try:
                n.kill_tmux()
            except Exception:
                pass
        for m in reversed(self.mounts):
            if subprocess.run(["umount", m], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", m], capture_output=True)
        if ARGS.keep:
            self.procs.clear()
            log("kept " + self.dir)
            return
        self.env.close()

    # resources around a phase
    def phase(self, name, tried, fn, prepare=None, teardown=None):
        """Runs one phase between samples of the node's resources. prepare (optional) may switch
        self.node to a node of the phase's own, or return False to skip the phase; teardown
        runs after the figures are taken."""
        if ONLY and name not in ONLY:
            return
        log("--- %s: %s" % (name, tried))
        try:
            if prepare and prepare() is False:
                return
            self.measured(name, tried, fn)
        finally:
            if teardown:
                teardown()

    def measured(self, name, tried, fn):
        node = self.node
        pid0 = node.pid
        before = proc_figures(node.pid)
        names0 = thread_names(node.pid)
        cpu0 = bench.cpu_seconds(node.pid)
        overflows0 = listen_overflows()
        meter = Meter(lambda: self.node.pid, lambda: self.node.port)
        t0 = time.perf_counter()
        try:
            fn()
        except Exception as e:
            traceback.print_exc()
            self.row(name, tried, "stopped by an error: %s" % first_line(str(e)), "no")
            if not self.node.alive():  # so that the next phases have a node
                log("the node is down after %s; starting it again" % name)
                self.node.start()
        finally:
            peak = meter.stop()
            self.tidy(name)
        took = time.perf_counter() - t0
        overflows = listen_overflows() - overflows0
        mib = lambda kb: kb / 1024
        if self.node.pid == pid0:
            cpu = "node CPU %.1f s; " % (bench.cpu_seconds(node.pid) - cpu0)
            after, waited, names1 = self.settle(before, names0)
            kept = unpooled(after[2], names1) - unpooled(before[2], names0)
            back = after[1] <= before[1] + SLACK and kept <= SLACK
            held = "yes" if back else "no (leak?)"
            note = ("back within %.0f s" % waited) if back else (
                "not back after %.0f s" % waited)
            if after[2] != before[2]:
                note += " (threads: %s)" % names_delta(names0, names1)
            pool = names1.get(JETTY_POOL, 0) - names0.get(JETTY_POOL, 0)
            if pool > 0:
                note += ("; the gateway's %d extra pool threads are Jetty's (at most 32, one idle"
                         " thread let go per minute), not counted as a leak" % pool)
        else:  # the phase restarted the node: compare with the new process, settled
            cpu = ""
            time.sleep(3)
            after = proc_figures(self.node.pid)
            waited = 3
            held, note = "—", "after: the new node process, 3 s after the phase"
        self.row(name, "node resources before / peak / after",
                 "RSS %.0f / %.0f / %.0f MiB; fds %d / %d / %d (%+d); threads %d / %d / %d (%+d);"
                 " %s; %sphase took %.0f s" % (
                     mib(before[0]), mib(peak[0]), mib(after[0]), before[1], peak[1], after[1],
                     after[1] - before[1], before[2], peak[2], after[2], after[2] - before[2],
                     note, cpu, took) + (
                         "; SSH accept queue peaked at %d (backlog %s)" % (
                             meter.queue, self.node.backlog) if meter.queue else "") + (
                         "; %d connections dropped by full listen queues on this machine"
                         " (kernel ListenOverflows, all programs)" % overflows
                         if overflows else ""), held)
        self.fig(name, resources={"before": before, "peak": peak, "after": after,
                                  "accept_queue_peak": meter.queue, "backlog": self.node.backlog,
                                  "settle_s": waited, "seconds": took,
                                  "listen_overflows": overflows})

    def tidy(self, name):
        """After a phase: ends its clients and removes whatever sessions it left (a phase that
        stopped half-way), so the next phase starts from an empty node."""
        for c in self.clients:
            try:
                c.kill()
            except Exception:  # already gone
                pass
        self.clients.clear()
        try:
            left = self.node.sessions(timeout=600)
        except Exception as e:
            log("%s: could not list what is left: %s" % (name, e))
            return
        for sid in left:
            for cmd in ("stop", "rm"):
                try:
                    self.node.run(cmd, sid, timeout=600)
                except subprocess.TimeoutExpired:
                    log("%s: %s %s took over 600 s" % (name, cmd, sid))
        if left:
            log("%s: removed %d sessions left behind: %s" % (
                name, len(left), ", ".join(sorted(left)[:10])))

    def settle(self, before, names0):
        """Waits until fds and threads (Jetty's pool aside) are back within SLACK of before, or
        --settle runs out; returns the last figures, the seconds waited and the thread names."""
        t0 = time.time()
        time.sleep(1)
        while True:
            now = proc_figures(self.node.pid)
            names = thread_names(self.node.pid)
            if now is None:  # the node is gone: nothing more to wait for
                return (0, 0, 0), time.time() - t0, names
            if (now[1] <= before[1] + SLACK and unpooled(now[2], names)
                    <= unpooled(before[2], names0) + SLACK) or time.time() - t0 > ARGS.settle:
                return now, time.time() - t0, names
            time.sleep(1)


# --- phase 1: many concurrent ls ----------------------------------------------------------------

def phase_ls(s):
    n = s.node
    for i in range(10):  # something to list: ten sessions, about 2.5 KB of JSON
        n.check("new", "--name", "lsbg%d" % i, "--", "sleep", "100000")
    stop_at = time.time() + LS_SECONDS
    lat, fails = [], {}
    lock = threading.Lock()

    def fail(why):
        with lock:
            fails[why] = fails.get(why, 0) + 1

    def worker(i):
        argv = n.ssh("ls", "--json", src=src_addr(i))
        while time.time() < stop_at:
            t0 = time.perf_counter()
            try:
                r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=120)
            except subprocess.TimeoutExpired:
                fail("no answer within 120 s")
                continue
            ms = (time.perf_counter() - t0) * 1000
            if r.returncode != 0:
                fail("exit %d: %s" % (r.returncode, first_line(r.stderr) or "(no stderr)"))
                continue
            try:
                listed = json.loads(r.stdout)
                if not isinstance(listed, list) or len(listed) < 10:
                    raise ValueError(len(listed))
            except ValueError:
                fail("exit 0 but unparsable or short JSON")
                continue
            with lock:
                lat.append(ms)

    threads = [threading.Thread(target=worker, args=(i,), name="ls-%d" % i, daemon=True)
               for i in range(LS_CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    nfail = sum(fails.values())
    s.fig("ls", ok=len(lat), failed=fails, p50_ms=pct(lat, 50), p99_ms=pct(lat, 99),
          max_ms=max(lat) if lat else None, seconds=took, clients=LS_CLIENTS)
    s.row("ls", "%d concurrent OpenSSH clients, each its own loopback address, each running"
                " `ls --json` in a loop for %d s" % (LS_CLIENTS, LS_SECONDS),
          "%d answered, %d failed%s; %.1f/s; latency p50 %s ms, p99 %s ms, max %s ms" % (
              len(lat), nfail, (" (" + "; ".join("%d× %s" % (v, k) for k, v in fails.items())
                                + ")") if fails else "", len(lat) / took, fmt_ms(pct(lat, 50)),
              fmt_ms(pct(lat, 99)), fmt_ms(max(lat) if lat else None)),
          "yes" if nfail == 0 and lat else "no")

    # the same clients all from one address, once each, at the same moment
    results = []

    def once(i):
        try:
            r = subprocess.run(n.ssh("ls", "--json"), stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=120)
            results.append((r.returncode, first_line(r.stderr)))
        except subprocess.TimeoutExpired:
            results.append((None, "timeout"))
    threads = [threading.Thread(target=once, args=(i,), daemon=True) for i in range(LS_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(1 for rc, _ in results if rc == 0)
    refused = sum(1 for rc, _ in results if rc == 255)
    other = len(results) - ok - refused
    answers = n.run("ls", "--json").returncode == 0
    s.fig("ls", one_address={"ok": ok, "refused_255": refused, "other": other})
    s.row("ls", "the same %d clients from one address (127.0.0.1), once each, at the same"
                " moment" % LS_CLIENTS,
          "%d answered, %d refused by the per-address caps (ssh exit 255), %d other;"
          " `ls` answers afterwards: %s" % (ok, refused, other, "yes" if answers else "NO"),
          "yes" if answers and other == 0 else "no")
    for i in range(10):
        n.check("stop", "lsbg%d" % i)
        n.check("rm", "lsbg%d" % i)


# --- phase 2: attached clients on flooding sessions ---------------------------------------------

def node_says(n, text):
    """How many lines of the node's stderr (this start) contain text."""
    try:
        with open(n.err_path, "rb") as f:
            return sum(1 for line in f if text.encode() in line)
    except OSError:
        return 0


def why_dropped(clients):
    """What the clients that have exited said last, counted: {'exit 255: ...': 3}."""
    why = {}
    for c in clients:
        if c.proc.poll() is not None:
            k = "exit %d: %s" % (c.proc.returncode, re.sub(r"\d+", "N", c.said() or "nothing"))
            why[k] = why.get(k, 0) + 1
    return why


def timed(n, *words, timeout=600, **kw):
    """(milliseconds, CompletedProcess or None on timeout) of one command over a fresh ssh."""
    t0 = time.perf_counter()
    try:
        r = n.run(*words, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        r = None
    return (time.perf_counter() - t0) * 1000, r


def phase_attach(s):
    n = s.node
    ids = ["flood%d" % j for j in range(FLOOD_SESSIONS)]
    for j, sid in enumerate(ids):
        n.check("new", "--name", sid, "--", "yes", "flood %d 0123456789 abcdefghijklmnopqrstuvwxyz"
                % j)
    clients = []
    keepalive0 = node_says(n, "keepalives in a row; disconnecting")
    t0 = time.perf_counter()
    for i in range(FLOOD_CLIENTS):
        clients.append(s.tty(n.ssh("attach", ids[i % FLOOD_SESSIONS], src=src_addr(i), tty=True)))
    deadline = time.time() + 600
    while time.time() < deadline and not all(c.got > 0 or c.proc.poll() is not None
                                             for c in clients):
        time.sleep(0.1)
    attach_s = time.perf_counter() - t0
    attached = sum(1 for c in clients if c.got > 0 and c.proc.poll() is None)
    log0 = {sid: os.path.getsize(os.path.join(n.home, "daemon", "sessions", sid, "output.log"))
            for sid in ids}
    got0 = [c.got for c in clients]
    t1 = time.perf_counter()
    # what a newcomer sees meanwhile: plain `ls` over a fresh connection, one after another
    ls_ms, ls_bad = [], 0
    while time.perf_counter() - t1 < FLOOD_SECONDS:
        ms, r = timed(n, "ls", "--json", src=src_addr(FLOOD_CLIENTS + 1))
        if r is not None and r.returncode == 0:
            ls_ms.append(ms)
        else:
            ls_bad += 1
    secs = time.perf_counter() - t1
    got = [c.got - g for c, g in zip(clients, got0)]
    logged = sum(os.path.getsize(os.path.join(n.home, "daemon", "sessions", sid, "output.log"))
                 - log0[sid] for sid in ids)
    exited_early = sum(1 for c in clients if c.proc.poll() is not None)
    dropped = why_dropped(clients)
    keepalive = node_says(n, "keepalives in a row; disconnecting") - keepalive0
    live_got = [g for c, g in zip(clients, got) if c.proc.poll() is None] or [0]
    first = [c.first_at - c.started for c in clients if c.first_at]
    mb = lambda b: b / (1 << 20)
    s.fig("attach", bytes_per_client=got, logged_bytes=logged, seconds=secs, attach_s=attach_s,
          first_output_s=first, ls_ms=ls_ms, ls_failed=ls_bad, dropped=dropped,
          keepalive_disconnects=keepalive)
    s.row("attach", "%d `ssh -tt attach` clients (%d per session) on %d sessions running `yes`,"
                    " read as fast as they can for %d s" % (
                        FLOOD_CLIENTS, FLOOD_CLIENTS // FLOOD_SESSIONS, FLOOD_SESSIONS,
                        FLOOD_SECONDS),
          "%d of %d got output (first byte after median %.1f s, max %.1f s); over the next"
          " %.0f s the %d still attached each received min %.1f / median %.1f / max %.1f MiB"
          " (%.1f MiB/s in all), while the node logged %.1f MiB/s; %d clients dropped%s%s" % (
              len(first), FLOOD_CLIENTS, statistics.median(first) if first else 0,
              max(first) if first else 0, secs, FLOOD_CLIENTS - exited_early, mb(min(live_got)),
              mb(statistics.median(live_got)), mb(max(live_got)), mb(sum(got)) / secs,
              mb(logged) / secs,
              exited_early, (" (" + "; ".join("%d× %s" % (v, k) for k, v in dropped.items())
                             + ")") if dropped else "",
              ("; the node logged %d keepalive disconnects (no answer to 3 in a row)"
               % keepalive) if keepalive else ""),
          "yes" if exited_early == 0 and attached == FLOOD_CLIENTS and min(got) > 0 else "no")
    s.row("attach", "meanwhile, `ls --json` over a fresh connection, one after another",
          "%d answered in %s ms (%s)%s" % (
              len(ls_ms), "/".join(fmt_ms(x) for x in ls_ms[:6]) or "—",
              "all" if len(ls_ms) <= 6 else "first 6; median %s" % fmt_ms(
                  statistics.median(ls_ms)),
              ("; %d failed or took over 600 s" % ls_bad) if ls_bad else ""),
          "yes" if ls_ms and not ls_bad else "no")

    # each client still answers: the detach key (Ctrl-\) under the flood
    live = [c for c in clients if c.proc.poll() is None]  # the dropped ones are counted above
    t2 = time.perf_counter()
    for c in live:
        c.send(b"\x1c")
    codes = [c.wait(max(1, 300 - (time.perf_counter() - t2))) for c in live]
    detach_s = time.perf_counter() - t2
    detached = sum(1 for rc in codes if rc == 0)
    said = sum(1 for c in live if b"[detached from" in c.tail)
    for c in clients:
        c.kill()
    # every client is gone now: each session's ATTACHED count must come back to 0
    deadline = time.time() + 120
    while True:
        listed = n.sessions(timeout=600)
        stale = {i: listed[i]["attached"] for i in ids if listed[i]["attached"]}
        if not stale or time.time() > deadline:
            break
        time.sleep(1)
    running = sum(1 for i in ids if listed[i]["status"] == "running")
    # and a new client attaches to each again and gets its screen
    re_ok = 0
    for i, sid in enumerate(ids):
        c = s.tty(n.ssh("attach", sid, src=src_addr(i), tty=True))
        try:
            deadline = time.time() + 120
            while c.got < 1000 and time.time() < deadline and c.proc.poll() is None:
                time.sleep(0.05)
            c.send(b"\x1c")
            if c.wait(120) == 0 and c.got >= 1000:
                re_ok += 1
        finally:
            c.kill()
    s.fig("attach", detached=detached, detach_s=detach_s, reattached=re_ok,
          stale_attached=stale)
    s.row("attach", "then Ctrl-\\ to every client still attached while the flood goes on;"
                    " `ls`; a fresh attach to each session",
          "%d of %d detached with exit 0 within %.1f s (%d printed `[detached from`);"
          " `ls` shows %d of %d sessions running, %s; %d of %d fresh attaches got"
          " output and detached" % (
              detached, len(live), detach_s, said, running, len(ids),
              ("still %d attached 120 s after every client had gone (%s)" % (
                  sum(stale.values()), ", ".join("%s: %d" % kv for kv in sorted(stale.items()))))
              if stale else "0 attached", re_ok, len(ids)),
          "yes" if detached == len(live) and running == len(ids) and re_ok == len(ids)
          and not stale else "no")
    t3 = time.perf_counter()
    for sid in ids:
        n.check("stop", sid, timeout=600)
        n.check("rm", sid, timeout=600)
    s.fig("attach", stop_rm_s=time.perf_counter() - t3)


# --- phase 3: WebSocket streams ------------------------------------------------------------------

def phase_ws(s):
    n = s.node
    websockets = bench.websockets_module()
    nsess = max(1, WS_STREAMS // WS_PER_SESSION)
    ids = ["ws%d" % j for j in range(nsess)]
    for sid in ids:
        st, body = n.http("POST", "/v1/sessions", {"id": sid, "command": ["sh"], "cols": 120,
                                                   "rows": 40})
        if st != 200:
            raise RuntimeError("POST /v1/sessions answered %s: %s" % (st, body))
    tokens = []
    for k in range((WS_STREAMS + WS_PER_TOKEN - 1) // WS_PER_TOKEN):
        st, body = n.http("POST", "/v1/tokens", {"scope": "write", "label": "loadfault-ws%d" % k})
        if st != 200:
            raise RuntimeError("POST /v1/tokens answered %s: %s" % (st, body))
        tokens.append(body["token"])
    ws_base = n.gateway.replace("http://", "ws://", 1)
    params = inspect.signature(websockets.connect).parameters
    hdr_kw = "additional_headers" if "additional_headers" in params else "extra_headers"
    opened, fails, peak_active = [], {}, [None]

    async def one(i, ready_barrier, hold_done):
        sid = ids[i % nsess]
        lead = i < nsess  # the first stream of each session runs the output for the others
        kw = {hdr_kw: {"Authorization": "Bearer " + tokens[i // WS_PER_TOKEN]},
              "max_size": None, "ping_interval": None, "compression": None,
              "open_timeout": 60, "local_addr": ("127.0.%d.%d" % (
                  1 + (i // WS_PER_ADDRESS) // 250, 2 + (i // WS_PER_ADDRESS) % 250), 0)}
        t0 = time.perf_counter()
        got = 0
        buf = ""
        stage = "connecting"

        async def until(marker, timeout):
            nonlocal got, buf
            deadline = time.perf_counter() + timeout
            while marker not in buf:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError("no %r within %d s" % (marker, timeout))
                m = json.loads(await asyncio.wait_for(ws.recv(), left))
                if m["type"] == "output":
                    got += len(m["data"])
                    buf = (buf + m["data"])[-65536:]
                elif m["type"] in ("exit", "error"):
                    raise RuntimeError("the stream said " + json.dumps(m)[:120])
        try:
            async with websockets.connect(ws_base + "/v1/sessions/%s/stream" % sid, **kw) as ws:
                stage = "waiting for ready"
                await ws.send(json.dumps({"type": "hello", "cols": 120, "rows": 40}))
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if m["type"] == "ready":
                        break
                stage = "waiting for the answer to its command"
                await ws.send(json.dumps({"type": "input",
                                          "data": "echo ws-%d-$((6*7))\n" % i}))
                await until("ws-%d-42" % i, 60)
                opened.append((time.perf_counter() - t0) * 1000)
                ready_barrier.release()
                await hold_done.wait()
                if lead:
                    await ws.send(json.dumps({"type": "input", "data":
                                              "seq 1 20000; echo done-$((6*7))-%s\n" % sid}))
                stage = "reading the output"
                await until("done-42-%s" % sid, 120)
                return got
        except Exception as e:
            why = "%s while %s: %s" % (type(e).__name__, stage, first_line(str(e)) or "-")
            why = re.sub(r"\d+", "N", why)[:120]
            log("ws: stream %d on %s: %s; it had %d bytes of output, ending %r" % (
                i, sid, why, got, buf[-80:]))
            fails[why] = fails.get(why, 0) + 1
            ready_barrier.release()
            return None

    async def main():
        ready = asyncio.Semaphore(0)
        hold = asyncio.Event()
        tasks = [asyncio.create_task(one(i, ready, hold)) for i in range(WS_STREAMS)]
        for _ in range(WS_STREAMS):
            await ready.acquire()
        st, m = await asyncio.to_thread(n.http, "GET", "/v1/metrics")
        peak_active[0] = m.get("streams_active") if isinstance(m, dict) else None
        hold.set()
        return await asyncio.gather(*tasks)

    t0 = time.perf_counter()
    got = asyncio.run(main())
    took = time.perf_counter() - t0
    done = [g for g in got if g is not None]
    nfail = sum(fails.values())
    active_after = n.wait_for("streams_active back to 0", lambda: (lambda m: m if m.get(
        "streams_active") == 0 else None)(n.http("GET", "/v1/metrics")[1]), timeout=30)
    s.fig("ws", opened=len(opened), failed=fails, open_p50_ms=pct(opened, 50),
          open_p99_ms=pct(opened, 99), active_at_once=peak_active[0], seconds=took,
          bytes=done)
    s.row("ws", "%d WebSocket streams at once on %d `sh` sessions (shell protocol,"
                " /v1/sessions/ID/stream; tokens: %d, source addresses: %d): each types a"
                " command and waits for its answer, then all read `seq 1 20000`" % (
                    WS_STREAMS, nsess, len(tokens), (WS_STREAMS + WS_PER_ADDRESS - 1)
                    // WS_PER_ADDRESS),
          "%d of %d open and answered (open to answer p50 %s ms, p99 %s ms); %s open at once"
          " per /v1/metrics; %d read to the end (median %.0f KiB each); %d failed%s;"
          " streams_active back to %s" % (
              len(opened), WS_STREAMS, fmt_ms(pct(opened, 50)), fmt_ms(pct(opened, 99)),
              peak_active[0], len(done), statistics.median(done) / 1024 if done else 0, nfail,
              (" (" + "; ".join("%d× %s" % (v, k) for k, v in fails.items()) + ")")
              if fails else "", active_after.get("streams_active")),
          "yes" if nfail == 0 and peak_active[0] == WS_STREAMS else "no")
    for sid in ids:
        n.http("POST", "/v1/sessions/%s/stop" % sid)
        n.check("rm", sid)


# --- phase 4 and 5: commands through one ControlMaster ------------------------------------------

def mux_run(s, node, master, items, name):
    """Runs each (index, words...) item as `ssh -o ControlPath=MASTER node WORDS` under
    `xargs -P4`; returns {index: (exit, stdout bytes, first stderr line)} and the seconds. The
    words must be plain (no blanks or quotes): they pass through xargs as they are."""
    for _, *words in items:
        if not all(re.fullmatch(r"[A-Za-z0-9_.:-]+", w) for w in words):
            raise ValueError("not a plain word in %r" % (words,))
    d = os.path.join(s.dir, "mux-" + name)
    os.makedirs(d, exist_ok=True)
    argv = node.ssh(mux=master)
    helper = os.path.join(d, "one.sh")
    with open(helper, "w") as f:
        # one command through the master; shell builtins only, so the helper costs little
        f.write("""#!/bin/sh
i=$1; shift
err="%(d)s/err.$i"
out=$(%(ssh)s "$@" 2>"$err" </dev/null); rc=$?
first=""
[ -s "$err" ] && IFS= read -r first <"$err"
printf '%%s %%s %%s %%s\\n' "$i" "$rc" "${#out}" "$first" >>"%(d)s/results"
[ "$rc" = 0 ] && printf '%%s\\n' "$out" >"%(d)s/out.$i"
exit 0
""" % {"d": d, "ssh": " ".join(shlex.quote(a) for a in argv)})
    lines = "".join(" ".join([str(i)] + w) + "\n" for i, *w in items)
    t0 = time.perf_counter()
    subprocess.run(["xargs", "-P4", "-L1", "sh", helper], input=lines.encode(), check=True,
                   timeout=3600)
    took = time.perf_counter() - t0
    res = {}
    with open(os.path.join(d, "results")) as f:
        for line in f:
            i, rc, outlen, first = (line.rstrip("\n").split(" ", 3) + [""])[:4]
            out = b""
            if rc == "0":
                with open(os.path.join(d, "out." + i), "rb") as o:
                    out = o.read()
            res[int(i)] = (int(rc), out, first)
    shutil.rmtree(d, ignore_errors=True)
    return res, took


def tally(res, expect):
    """Counts a mux_run's results: ok, lost exit statuses (255 with nothing on stderr), other
    failures by kind."""
    ok, lost, other = 0, 0, {}
    for i, (rc, out, err) in res.items():
        if rc == 0 and expect(i, out):
            ok += 1
        elif rc == 255 and not err:
            lost += 1
        else:
            k = "exit %d: %s" % (rc, re.sub(r"\d+", "N", err or "(output %r)" % out[:40]))
            other[k] = other.get(k, 0) + 1
    return ok, lost, other


def phase_mux(s):
    n = s.node
    master = s.master(n, "mux")
    fds0 = proc_figures(n.pid)[1]
    items = [(i, "new", "--name", "mx%d" % i, "--", "true") if i % 2 == 0 else (i, "ls")
             for i in range(MUX_COMMANDS)]
    res, took = mux_run(s, n, master, items, "mux")
    ok, lost, other = tally(res, lambda i, out: out.strip() == b"mx%d" % i if i % 2 == 0
                            else out.startswith((b"SESSION", b"no sessions")))
    missing = MUX_COMMANDS - len(res)
    s.fig("mux", commands=MUX_COMMANDS, ok=ok, lost_exit_status=lost, other=other,
          seconds=took)
    s.row("mux", "%d commands through one OpenSSH ControlMaster with `xargs -P4`: `new --name"
                 " mxN -- true` and `ls`, taking turns" % MUX_COMMANDS,
          "%d of %d exited 0 with the right output; %d lost exit statuses (255, empty stderr);"
          " %d other failures%s; %.0f commands/s" % (
              ok, MUX_COMMANDS, lost, sum(other.values()) + missing,
              (" (" + "; ".join("%d× %s" % (v, k) for k, v in other.items()) + ")")
              if other else "", MUX_COMMANDS / took),
          "yes" if ok == MUX_COMMANDS else "no")
    rms = [(i, "rm", "mx%d" % i) for i in range(0, MUX_COMMANDS, 2)]
    ended = sum(1 for x in n.sessions(timeout=600).values() if x["status"] == "exited")
    fds1 = proc_figures(n.pid)[1]
    s.fig("mux", ended_sessions=ended, fds_with_ended=fds1, fds_before=fds0)
    s.row("mux", "open fds while those %d ended sessions are kept (until `rm` or retention)"
          % ended, "%d → %d fds: %.2f per ended session" % (
              fds0, fds1, (fds1 - fds0) / max(1, ended)), "—")
    res, took = mux_run(s, n, master, rms, "mux-rm")
    ok, lost, other = tally(res, lambda i, out: True)
    s.fig("mux", rm_ok=ok, rm_lost=lost, rm_other=other, rm_seconds=took)
    s.row("mux", "then `rm` of those %d sessions the same way" % len(rms),
          "%d of %d exited 0; %d lost exit statuses; %d other failures%s; %.0f commands/s" % (
              ok, len(rms), lost, sum(other.values()),
              (" (" + "; ".join("%d× %s" % (v, k) for k, v in other.items()) + ")")
              if other else "", len(rms) / took),
          "yes" if ok == len(rms) else "no")
    s.close_master(n, master)


def ls_times(n, count, **kw):
    times = []
    size = None
    for _ in range(count):
        t0 = time.perf_counter()
        out = n.check("ls", "--json", **kw)
        times.append((time.perf_counter() - t0) * 1000)
        size = len(json.loads(out))
    return times, size


def phase_many(s):
    n = s.node
    master = s.master(n, "many")
    idle_times, _ = ls_times(n, LS_SAMPLES)
    idle_mux, _ = ls_times(n, LS_SAMPLES, mux=master)
    before = proc_figures(n.pid)
    items = [(i, "new", "--name", "many%d" % i, "--", "cat") for i in range(MANY_SESSIONS)]
    res, create_s = mux_run(s, n, master, items, "many-new")
    created, lost, other = tally(res, lambda i, out: out.strip() == b"many%d" % i)
    time.sleep(2)
    at = proc_figures(n.pid)
    times, listed = ls_times(n, LS_SAMPLES)
    mux_times, _ = ls_times(n, LS_SAMPLES, mux=master)
    sessions = n.sessions()
    pids = [x["pid"] for k, x in sessions.items() if k.startswith("many") and x["pid"]]
    running = sum(1 for k, x in sessions.items() if k.startswith("many")
                  and x["status"] == "running")
    per = lambda k: (at[k] - before[k]) / max(1, created)
    s.fig("many", created=created, create_s=create_s, lost=lost, other=other, listed=listed,
          ls_ms=times, ls_mux_ms=mux_times, idle_ls_ms=idle_times, idle_ls_mux_ms=idle_mux,
          rss_kib_per_session=per(0), fds_per_session=per(1), threads_per_session=per(2))
    s.row("many", "%d `cat` sessions created with `new` through a ControlMaster (`xargs -P4`)"
          % MANY_SESSIONS,
          "%d created in %.1f s (%.0f/s), %d running; %d lost exit statuses, %d other"
          " failures%s" % (created, create_s, created / create_s, running, lost,
                           sum(other.values()),
                           (" (" + "; ".join("%d× %s" % (v, k) for k, v in other.items()) + ")")
                           if other else ""),
          "yes" if created == MANY_SESSIONS and running == MANY_SESSIONS else "no")
    s.row("many", "`ls --json` with %d sessions (median of %d; fresh connection / through the"
                  " master)" % (listed, LS_SAMPLES),
          "%s / %s ms (with none: %s / %s ms); %.0f KB of JSON" % (
              fmt_ms(statistics.median(times)), fmt_ms(statistics.median(mux_times)),
              fmt_ms(statistics.median(idle_times)), fmt_ms(statistics.median(idle_mux)),
              len(n.check("ls", "--json", mux=master)) / 1000),
          "yes" if listed >= MANY_SESSIONS else "no")
    s.row("many", "node cost per session",
          "%.0f KiB RSS, %.1f fds, %.1f threads (RSS %.0f → %.0f MiB, fds %d → %d, threads"
          " %d → %d)" % (per(0), per(1), per(2), before[0] / 1024, at[0] / 1024, before[1],
                         at[1], before[2], at[2]), "—")
    stops = [(i, "stop", "many%d" % i) for i in range(MANY_SESSIONS)]
    res, stop_s = mux_run(s, n, master, stops, "many-stop")
    stopped, slost, sother = tally(res, lambda i, out: True)
    rms = [(i, "rm", "many%d" % i) for i in range(MANY_SESSIONS)]
    res, rm_s = mux_run(s, n, master, rms, "many-rm")
    removed, rlost, rother = tally(res, lambda i, out: True)
    left = sum(1 for p in pids if os.path.exists("/proc/%d" % p))
    remaining = sum(1 for k in n.sessions() if k.startswith("many"))
    s.fig("many", stop_s=stop_s, rm_s=rm_s, stopped=stopped, removed=removed,
          processes_left=left, sessions_left=remaining)
    bad = sother.copy()
    for k, v in rother.items():
        bad[k] = bad.get(k, 0) + v
    s.row("many", "`stop` then `rm` of all %d the same way" % MANY_SESSIONS,
          "stop: %d ok in %.1f s; rm: %d ok in %.1f s; %d lost exit statuses, %d other"
          " failures%s; %d programs still running, %d sessions still listed" % (
              stopped, stop_s, removed, rm_s, slost + rlost, sum(bad.values()),
              (" (" + "; ".join("%d× %s" % (v, k) for k, v in bad.items()) + ")") if bad else "",
              left, remaining),
          "yes" if stopped == removed == MANY_SESSIONS and left == 0 and remaining == 0
          else "no")
    s.close_master(n, master)


# --- phase 6: kill -9 under load -----------------------------------------------------------------

FLOOD_SH = "i=1; while :; do seq $i $((i+9999)); i=$((i+10000)); sleep 0.05; done"


def counted_prefix(data):
    """How many lines of `seq 1 ...` (each ending CR LF, as the PTY writes them) data holds
    exactly, the bytes they take, and what follows them (a cut last line is fine)."""
    lines = data.split(b"\r\n")
    k = 0
    for k, line in enumerate(lines[:-1]):
        if line != b"%d" % (k + 1):
            break
    else:
        k = len(lines) - 1
    good = sum(len(x) + 2 for x in lines[:k])
    return k, good, data[good:]


def phase_kill(s):
    n = s.node
    tmux = shutil.which("tmux") is not None
    n.check("new", "--name", "kexact", "--", "seq", "1", "100000")
    expected = b"".join(b"%d\r\n" % i for i in range(1, 100001))
    n.wait_for("kexact exited", lambda: n.sessions()["kexact"]["status"] == "exited")
    before_kill = n.run("logs", "kexact").stdout
    floods = ["kflood%d" % j for j in range(3)]
    for sid in floods:
        n.check("new", "--name", sid, "--", "sh", "-c", FLOOD_SH)
    n.check("new", "--name", "kshell", "--type", "shell")
    n.check("new", "--name", "ksleep", "--", "sleep", "100000")
    if tmux:
        n.check("new", "--name", "ktmux", "--type", "tmux", "--", "sh", "-c",
                "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done")
    clients = [s.tty(n.ssh("attach", floods[i % 3], src=src_addr(i), tty=True))
               for i in range(KILL_ATTACHED)]
    n.wait_for("clients attached", lambda: sum(
        n.sessions()[f]["attached"] for f in floods) == KILL_ATTACHED, timeout=60)
    running = n.sessions()
    pids = {k: v["pid"] for k, v in running.items() if k in floods + ["kshell", "ksleep"]}
    stop_workers = threading.Event()
    work = {"ok": 0, "failed": 0}

    def worker(i):
        argv = n.ssh("ls", "--json", src=src_addr(100 + i))
        while not stop_workers.is_set():
            try:
                r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=120)
                ok = r.returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            work["ok" if ok else "failed"] += 1
            if not ok:
                time.sleep(0.1)  # the node is gone: no need to spin
    workers = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(KILL_WORKERS)]
    for w in workers:
        w.start()
    time.sleep(KILL_LOAD_SECONDS)
    got_before = [c.got for c in clients]
    ok_before = work["ok"]
    t_kill = time.perf_counter()
    os.kill(n.pid, signal.SIGKILL)
    n.proc.wait(30)
    codes = [c.wait(30) for c in clients]
    clients_gone = time.perf_counter() - t_kill
    time.sleep(1)
    stop_workers.set()
    for w in workers:
        w.join(130)
    # the PTY programs: their terminal's master side is gone with the node, so they get SIGHUP
    time.sleep(2)
    orphans = [k for k, p in pids.items() if p and os.path.exists("/proc/%d" % p)]
    s.fig("kill", attached_exit_codes=codes, clients_gone_s=clients_gone,
          received_before_kill=got_before, commands_ok=ok_before, orphans=orphans)
    s.row("kill", "kill -9 of the node with %d clients attached to 3 sessions printing about"
                  " 1.4 MB/s each and %d clients looping `ls --json`" % (KILL_ATTACHED,
                                                                         KILL_WORKERS),
          "all attached ssh clients ended within %.1f s (%s); %d `ls` answered before the"
          " kill; PTY programs still running afterwards: %s" % (
              clients_gone, "; ".join("%d× %s" % (v, k) for k, v in why_dropped(clients).items()),
              ok_before, ", ".join(orphans) or "none"),
          "yes" if all(c is not None for c in codes) and not orphans else "no")
    for c in clients:
        c.kill()

    # restart on the same home
    start_s = n.start()
    t0 = time.perf_counter()
    after = n.wait_for("ls after the restart", lambda: n.sessions(), timeout=120)
    ls_s = time.perf_counter() - t0
    status = {k: after[k]["status"] for k in after}
    want = {**{f: "lost" for f in floods}, "kshell": "lost", "ksleep": "lost",
            "kexact": "exited"}
    if tmux:
        want["ktmux"] = "running"
    wrong = {k: status.get(k) for k, v in want.items() if status.get(k) != v}
    s.row("kill", "restart on the same HACK_HOME",
          "listening %.1f s after `node serve`, `ls` answered %.2f s later; shell/process"
          " sessions `lost`, the finished one `exited`%s; %s" % (
              start_s, ls_s, ", tmux `running`" if tmux else " (tmux not installed: skipped)",
              "as documented" if not wrong else "unexpected: " + json.dumps(wrong)),
          "yes" if not wrong else "no")
    exact = n.run("logs", "kexact").stdout
    on_disk = open(os.path.join(n.home, "daemon", "sessions", "kexact", "output.log"), "rb").read()
    exact_ok = exact == expected and before_kill == expected and on_disk == expected
    fl = []
    for sid in floods:
        data = n.run("logs", sid, timeout=300).stdout
        k, good, rest = counted_prefix(data)
        fl.append((sid, len(data), k, rest))
    # after the counted lines: at most a cut line (a prefix of the next number)
    clean = all(len(rest) <= 8 and rest.rstrip(b"\r").isdigit() or rest == b""
                for _, _, _, rest in fl)
    s.fig("kill", exact_ok=exact_ok, floods=[(a, b, c, d.decode("latin-1")) for a, b, c, d in fl],
          start_s=start_s, ls_s=ls_s, status=status)
    s.row("kill", "logs after the restart: `seq 1 100000` (finished before the kill) byte for"
                  " byte; the flooding sessions' logs",
          "seq log %s (%d bytes, `logs` and the file); flood logs: %s" % (
              "exact" if exact_ok else "DIFFERS", len(expected), "; ".join(
                  "%s %d lines exact%s" % (sid, k, (", then %r" % rest[:40]) if rest else "")
                  for sid, size, k, rest in fl)),
          "yes" if exact_ok and clean else "no")
    if tmux:
        a = n.run("logs", "ktmux").stdout
        time.sleep(1.5)
        b = n.run("logs", "ktmux").stdout
        ticks = [int(x) for x in re.findall(rb"tick (\d+)", b)]
        gaps = [y for x, y in zip(ticks, ticks[1:]) if y != x + 1]
        s.fig("kill", tmux_ticks=len(ticks), tmux_gaps=len(gaps))
        s.row("kill", "the tmux session through the kill",
              "still `running`; its log grew from %d to %d bytes in 1.5 s; ticks 1..%d with %d"
              " gaps (tmux kept writing while the node was down)" % (
                  len(a), len(b), ticks[-1] if ticks else 0, len(gaps)),
              "yes" if len(b) > len(a) and not gaps and status.get("ktmux") == "running"
              else "no")
    r = n.run("restart", "ksleep")
    restarted = r.returncode == 0 and n.wait_for(
        "ksleep running", lambda: n.sessions()["ksleep"]["status"] == "running", timeout=30)
    s.row("kill", "`restart` of a lost session, then `stop` + `rm` of all",
          "restart: %s" % ("running again" if restarted else "exit %d: %s" % (
              r.returncode, first_line(r.stderr))), "yes" if restarted else "no")
    for sid in floods + ["kshell", "ksleep", "kexact"] + (["ktmux"] if tmux else []):
        n.check("stop", sid)
        n.check("rm", sid)


# --- phase 7: a full disk ------------------------------------------------------------------------

DISK_SH = ('i=0; while :; do seq -f "%%010.0f %s" $i $((i+1999)); i=$((i+2000)); sleep 0.2; done'
           % PAD)


def disk_prefix(data):
    """Lines of the full-disk flood in data: (exact lines from the start, bytes they take, and
    what the rest looks like: gaps and junk)."""
    lines = data.split(b"\r\n")
    exact = 0
    for k, line in enumerate(lines[:-1]):
        if line != b"%010d %s" % (k, PAD.encode()):
            break
        exact = k + 1
    good = sum(len(x) + 2 for x in lines[:exact])
    # past the exact prefix: whole lines that parse, and the rest
    nums, junk = [], 0
    for line in lines[exact:-1]:
        m = re.fullmatch(rb"(\d{10}) " + PAD.encode(), line)
        if m:
            nums.append(int(m.group(1)))
        else:
            junk += 1
    gaps = sum(1 for x, y in zip(nums, nums[1:]) if y != x + 1)
    return exact, good, nums, junk, gaps


class DiskPhase:
    """Phase 7 runs a node of its own, with HACK_HOME on a small tmpfs."""

    def __init__(self, s):
        self.s = s
        self.main = None
        self.node = None

    def prepare(self):
        s = self.s
        if os.geteuid() != 0:
            s.row("disk", "HACK_HOME on a full %d MiB tmpfs" % DISK_MIB,
                  "skipped: mounting a tmpfs needs root", "skipped")
            return False
        self.mnt = os.path.join(s.dir, "disk")
        os.makedirs(self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % DISK_MIB, "tmpfs", self.mnt],
                       check=True)
        s.mounts.append(self.mnt)
        self.node = s.new_node(os.path.join(self.mnt, "home"), "disk")
        self.node.prepare()
        self.node.start()
        self.main, s.node = s.node, self.node  # the meter follows this node for the phase
        warm_up(s)
        return True

    def run(self):
        disk_observe(self.s, self.node, self.mnt)

    def teardown(self):
        if self.main is not None:
            self.s.node = self.main
        if self.node is not None:
            self.node.stop()
            self.node.kill_tmux()


def fill(path):
    """Writes zeros to path until the disk is full (unbuffered, so nothing is left to flush)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            block = b"\0" * size
            try:
                while True:
                    os.write(fd, block)
            except OSError:
                pass
    finally:
        os.close(fd)


def disk_observe(s, n, mnt):
    n.check("new", "--name", "dflood", "--", "sh", "-c", DISK_SH)
    logf = os.path.join(n.home, "daemon", "sessions", "dflood", "output.log")
    client = s.tty(n.ssh("attach", "dflood", tty=True))
    n.wait_for("the client attached", lambda: n.sessions()["dflood"]["attached"] == 1)
    pid = n.sessions()["dflood"]["pid"]
    obs = []

    def look(when):
        """What a user sees now: ls, status, the attached client, the log, a gateway read."""
        o = {"when": when, "t": time.perf_counter(), "client": client.got,
             "log": os.path.getsize(logf), "node": n.alive(),
             "alive": os.path.exists("/proc/%d" % pid)}
        r_ls = n.run("ls", "--json", timeout=60)
        try:
            o["status"] = {x["id"]: x for x in json.loads(r_ls.stdout)}["dflood"]["status"]
            o["exit_code"] = {x["id"]: x for x in json.loads(r_ls.stdout)}["dflood"]["exit_code"]
        except (ValueError, KeyError):
            o["status"] = "? (exit %d: %s)" % (r_ls.returncode, first_line(r_ls.stderr))
        r_st = n.run("status", timeout=60)
        o.update(ls_rc=r_ls.returncode, status_rc=r_st.returncode,
                 status_err=first_line(r_st.stderr))
        try:
            o["gateway"] = n.http("GET", "/v1/status")[0]
        except Exception as e:
            o["gateway"] = "error: " + first_line(str(e))
        obs.append(o)
        return o

    def state(o):
        return o["status"] + ("(%s)" % o["exit_code"] if o.get("exit_code") is not None else "")

    start = look("start")
    time.sleep(3)
    before = look("before")
    size_before_fill = os.path.getsize(logf)
    t_fill = time.perf_counter()
    fill(os.path.join(mnt, "filler"))
    t_full = time.perf_counter()
    full = look("disk full")
    r_new = n.run("new", "--name", "dnew", "--", "true", timeout=60)
    r_new_tmux = (n.run("new", "--name", "dnewt", "--type", "tmux", "--", "true", timeout=60)
                  if shutil.which("tmux") else None)
    while time.perf_counter() - t_full < DISK_FULL_SECONDS:
        time.sleep(1)
        look("full")
    during = obs[-1]
    os.unlink(os.path.join(mnt, "filler"))
    t_free = time.perf_counter()
    while time.perf_counter() - t_free < DISK_AFTER_SECONDS:
        time.sleep(1)
        look("freed")
    freed = obs[-1]
    r_new2 = n.run("new", "--name", "dnew2", "--", "true", timeout=60)
    client_last = client.last_at
    n.run("stop", "dflood", timeout=60)  # the log is complete when read
    client.send(b"\x1c")
    client_rc = client.wait(10)
    client_said = re.findall(rb"\[[^\[\]]*(?:exited|detached|lost)[^\[\]]*\]", client.tail)
    client.kill()
    data = open(logf, "rb").read()
    exact, good, nums, junk, gaps = disk_prefix(data)
    err_lines = open(n.err_path, "rb").read().splitlines()
    problems = [x.decode("utf-8", "replace") for x in err_lines
                if b" WARN " in x or b" ERROR " in x or b"Exception" in x]
    dflood_lines = [x.decode("utf-8", "replace") for x in err_lines if b"dflood" in x]
    changed = next((o for o in obs if o["t"] > t_fill and o["status"] != "running"), None)

    def rate(key, a, b):
        return (b[key] - a[key]) / max(1e-9, b["t"] - a["t"]) / 1e6

    s.fig("disk", fill_s=t_full - t_fill, observations=obs, size_before_fill=size_before_fill,
          exact_lines=exact, exact_bytes=good, resumed_lines=len(nums), junk_lines=junk,
          gaps=gaps, new_rc=r_new.returncode, new_err=first_line(r_new.stderr),
          new_after_rc=r_new2.returncode, node_warnings=problems[:20],
          node_said_about_session=dflood_lines[-5:], client_rc=client_rc)
    s.row("disk", "a %d MiB tmpfs as HACK_HOME; one session printing about 1 MB/s with a client"
                  " attached; the disk filled with a file (%.1f s), left full %d s, then freed"
                  " for %d s" % (DISK_MIB, t_full - t_fill, DISK_FULL_SECONDS,
                                 DISK_AFTER_SECONDS),
          "node alive throughout: %s; the session: %s; its program alive at the end: %s" % (
              "yes" if all(o["node"] for o in obs) else "NO",
              ("`running` until %.0f s after the disk filled, then `%s`" % (
                  changed["t"] - t_full, state(changed))) if changed else
              "`running` throughout", "yes" if freed["alive"] else "no"),
          "observed")
    s.row("disk", "the attached client",
          "received %.2f MB/s before the fill, %d bytes in all while full (%d s), %d bytes in"
          " all after freeing (%d s); last byte %s; it ended with exit %s%s" % (
              rate("client", start, before), during["client"] - full["client"],
              DISK_FULL_SECONDS, freed["client"] - during["client"], DISK_AFTER_SECONDS,
              ("%.1f s after the disk filled" % (client_last - t_full)) if client_last else "never",
              client_rc, (" after `%s`" % client_said[-1].decode("utf-8", "replace"))
              if client_said else ""), "observed")
    s.row("disk", "the log's growth",
          "%.2f MB/s before the fill, %.2f MB/s while full, %.2f MB/s after freeing" % (
              rate("log", start, before), rate("log", full, during), rate("log", during, freed)),
          "observed")
    s.row("disk", "`ls`, `status` and the gateway while full",
          "`ls --json` exit %d; `status` exit %d%s; `GET /v1/status` %s" % (
              during["ls_rc"], during["status_rc"],
              (" (" + during["status_err"] + ")") if during["status_err"] else "",
              during["gateway"]), "observed")
    say = lambda r: ("exit %d" % r.returncode) + ((" `%s`" % first_line(r.stderr))
                                                  if r.stderr.strip() else "")
    s.row("disk", "`new` while full, and after freeing",
          "while full: %s%s; after: %s" % (
              say(r_new), ("; `new --type tmux`: " + say(r_new_tmux)) if r_new_tmux else "",
              say(r_new2)), "observed")
    intact = good >= size_before_fill
    s.row("disk", "the log: every byte written before the disk filled, and what came after",
          "the first %d lines (%d bytes) are exact, %s the %d bytes logged when the fill began;"
          " after them %d whole lines%s, %d damaged lines" % (
              exact, good, "covering" if intact else "NOT covering", size_before_fill,
              len(nums), (" (numbers %d..%d, %d gaps)" % (nums[0], nums[-1], gaps))
              if nums else "", junk),
          "yes" if intact else "no")
    s.row("disk", "what the node said on stderr",
          "%d WARN/ERROR lines%s; about the session: %s" % (
              len(problems), (", first: " + problems[0][:160]) if problems else "",
              " / ".join(x[:160] for x in dflood_lines[1:3]) or "nothing"),
          "observed")
    for sid in ("dflood", "dnew", "dnew2", "dnewt"):
        n.run("stop", sid)
        n.run("rm", sid)


# --- main ----------------------------------------------------------------------------------------

def warm_up(s):
    """Makes the pools and classes a first request creates, so they are not counted as growth."""
    n = s.node
    n.check("new", "--name", "warm", "--", "sh", "-c", "echo warm; sleep 100000")
    c = s.tty(n.ssh("attach", "warm", tty=True))
    n.wait_for("warm attach", lambda: c.got > 0, timeout=60)
    c.send(b"\x1c")
    c.wait(30)
    for _ in range(5):
        n.check("ls", "--json")
    n.http("GET", "/v1/status")
    n.check("stop", "warm")
    n.check("rm", "warm")


def node_log_row(s):
    for n in s.nodes:
        if n.label == "disk":
            continue
        lines = []
        for k in range(1, n.starts + 1):
            try:
                with open(os.path.join(s.dir, "node-%s-%d.err" % (n.label, k)), "rb") as f:
                    lines += f.read().splitlines()
            except OSError:
                pass
        bad = [x.decode("utf-8", "replace") for x in lines
               if b" WARN " in x or b" ERROR " in x or b"Exception" in x]
        kinds = {}
        for x in bad:
            k = re.sub(r"\d+", "N", re.sub(r"^\S+ ", "", x))[:120]
            kinds[k] = kinds.get(k, 0) + 1
        s.fig("node-log", warnings=len(bad), kinds=kinds)
        s.row("all", "the node's own log (stderr) over the run",
              "%d WARN/ERROR/exception lines%s" % (len(bad), (": " + "; ".join(
                  "%d× %s" % (v, k) for k, v in sorted(kinds.items(), key=lambda x: -x[1])[:5]))
                  if bad else ""), "—")


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:  # 200 clients and 1,000 sessions need more than the usual 1,024
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = 4 * MANY_SESSIONS + 2 * LS_CLIENTS + 1000
    if hard < need:
        log("warning: open files are capped at %d (ulimit -Hn); %d may be needed" % (hard, need))

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # even when started in the background (SIG_IGN)
    s = Suite()
    code = 1
    try:
        home = os.path.join(s.dir, "hack-home")
        s.node = s.new_node(home, "main")
        s.node.prepare()
        took = s.node.start()
        log("node up in %.1f s (ssh port %d, %s, pid %d); temp dir %s" % (
            took, s.node.port, s.node.gateway, s.node.pid, s.dir))
        warm_up(s)
        s.phase("ls", "concurrent `ls --json`", lambda: phase_ls(s))
        s.phase("attach", "attached clients on flooding sessions", lambda: phase_attach(s))
        s.phase("ws", "WebSocket streams", lambda: phase_ws(s))
        s.phase("mux", "one ControlMaster", lambda: phase_mux(s))
        s.phase("many", "a thousand sessions", lambda: phase_many(s))
        s.phase("kill", "kill -9 under load", lambda: phase_kill(s))
        disk = DiskPhase(s)
        s.phase("disk", "a full disk", disk.run, disk.prepare, disk.teardown)
        code = 0
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        s.row("all", "the suite", "interrupted (Ctrl-C or SIGTERM)", "no")
        code = 130
    except Exception as e:
        traceback.print_exc()
        s.row("all", "the suite", "stopped: %s" % first_line(str(e)), "no")
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        node_log_row(s)
        report(s)
        if code == 0 and any(r[3].startswith("no") for r in s.rows):
            code = 1
    finally:
        s.close()
    sys.exit(code)


def report(s):
    load = open("/proc/loadavg").read().split()[:3]
    head = {"quick": Q, "cores": os.cpu_count(), "loadavg": load,
            "commit": subprocess.run(["git", "-C", bench.ROOT, "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip()}
    if ARGS.json:
        json.dump({"run": head, "rows": [dict(zip(("phase", "tried", "figures", "held"), r))
                                         for r in s.rows], "figures": s.figures},
                  sys.stdout, indent=1, default=str)
        print()
        return
    print("<!-- scripts/loadfault%s at %s, %d cores, load average %s at the end -->" % (
        " --quick" if Q else "", head["commit"], head["cores"], " ".join(load)))
    print("| phase | what was tried | what happened | held |")
    print("|---|---|---|---|")
    for phase, tried, figures, held in s.rows:
        cell = lambda x: str(x).replace("|", "\\|").replace("\n", " ")
        print("| %s | %s | %s | %s |" % (phase, cell(tried), cell(figures), held))


if __name__ == "__main__":
    main()
