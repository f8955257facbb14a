"""Plays systemd's side of the sd_notify protocol for the tests: binds the
NOTIFY_SOCKET datagram socket, starts ingestd with WATCHDOG_USEC and
WATCHDOG_PID set as systemd sets them, and records every notification with
its arrival time."""
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request


class Notifications:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []          # (monotonic time, {key: value})
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = {}
            for line in data.decode().splitlines():
                k, _, v = line.partition("=")
                fields[k] = v
            with self.lock:
                self.messages.append((time.monotonic(), fields))

    def since(self, t0, key):
        with self.lock:
            return [(t, f) for t, f in self.messages if t >= t0 and key in f]

    def wait_for(self, key, value=None, after=0.0, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, f in self.since(after, key):
                if value is None or f[key] == value:
                    return t, f
            time.sleep(0.05)
        raise AssertionError(f"no {key}{'=' + value if value else ''} within {timeout} s")

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def start(ingestd, args, notify_path, log_path, watchdog_usec, extra_env=None):
    """Starts `ingestd run ARGS` the way systemd would for Type=notify."""
    env = dict(os.environ)
    env["NOTIFY_SOCKET"] = notify_path
    env["WATCHDOG_USEC"] = str(watchdog_usec)
    env.update(extra_env or {})
    log = open(log_path, "ab")
    # WATCHDOG_PID must be the daemon's own pid: set it in the child itself.
    return subprocess.Popen(
        ["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$0" run "$@"', ingestd, *args],
        env=env, stdout=log, stderr=log)


def http_get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_port(log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, errors="replace") as f:
            for line in f:
                if "http://127.0.0.1:" in line:
                    return int(line.split("http://127.0.0.1:")[1].split("/")[0])
        time.sleep(0.1)
    raise AssertionError("ingestd did not report its HTTP port")


def metric(text, name, labels=""):
    """The value of one sample in Prometheus text, or None."""
    want = name + ("{" + labels + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return None
