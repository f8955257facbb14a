#!/usr/bin/env bash
# Faults a real broker rarely shows, injected with librdkafka's mock cluster
# (tests/tools/mockfault): produce errors, request timeouts, a broker down
# and up — after each, every article still comes out and the daemon keeps
# running — and, in exactly-once mode, a fenced producer: the documented
# behaviour is a clear log line and exit status 1, so that systemd restarts
# the instance. (Exactly-once itself is proven against the real broker in
# test_scale_faults.sh; the mock cluster does not implement transactions
# faithfully.)
source "$(dirname "$0")/lib.sh"
MOCKFAULT=$(dirname "$KTOPIC")/mockfault
[[ -x "$MOCKFAULT" ]] || fail "mockfault not built"

SOURCE_ROOT="$SOURCE_ROOT" WORK="$WORK" MOCKFAULT="$MOCKFAULT" $PY - <<'PYEOF' || fail "fault injection"
import json, os, subprocess, sys, time
sys.path.insert(0, os.path.join(os.environ["SOURCE_ROOT"], "tests", "integration"))
from notify_harness import http_get, wait_port
from records import check, expect_eq, done

work, ingestd, mockfault = os.environ["WORK"], os.environ["INGESTD"], os.environ["MOCKFAULT"]

class Mock:
    def __init__(self):
        self.p = subprocess.Popen([mockfault, "in:3", "out:3", "dlq:1"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        self.bootstrap = self.p.stdout.readline().split()[1]
    def __call__(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline().strip()
        assert answer == "ok", f"mockfault {cmd}: {answer}"
    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)

def produce(bs, ids):
    data = "".join(f'{i}\t{json.dumps({"id": i, "body": f"Article {i} for the fault test."})}\n' for i in ids)
    subprocess.run(["kcat", "-P", "-b", bs, "-t", "in", "-K", "\t"], input=data.encode(), check=True)

def out_keys(bs):
    r = subprocess.run(["kcat", "-C", "-b", bs, "-t", "out", "-e", "-q", "-f", "%k\n"], capture_output=True, text=True)
    return [l for l in r.stdout.splitlines() if l]

def wait_ids(bs, want, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keys = out_keys(bs)
        if want <= set(keys):
            return keys
        time.sleep(0.5)
    missing = want - set(out_keys(bs))
    raise AssertionError(f"{len(missing)} ids missing after {timeout}s, e.g. {sorted(missing)[:3]}")

def start(bs, log, mode, extra=()):
    args = [ingestd, "run", "-o", f"kafka.bootstrap.servers={bs}", "-o", "topics.input=in", "-o", "topics.output=out",
            "-o", "topics.deadletter=dlq", "-o", "http.listen=127.0.0.1:0", "-o", f"ingestd.delivery={mode}",
            "-o", "kafka.consumer.statistics.interval.ms=1000", "-o", "ingestd.instance=fault", *extra]
    return subprocess.Popen(args, stdout=open(log, "ab"), stderr=subprocess.STDOUT)

# --- at-least-once: errors, timeouts, a broker down and up -----------------
mock = Mock()
bs = mock.bootstrap
log = f"{work}/ingestd-alo.log"
p = start(bs, log, "at-least-once", ["-o", "kafka.producer.request.timeout.ms=2000",
                                     "-o", "kafka.producer.retry.backoff.ms=200"])
try:
    port = wait_port(log)
    produce(bs, [f"a{i}" for i in range(100)])
    wait_ids(bs, {f"a{i}" for i in range(100)})
    print("  baseline: 100/100", file=sys.stderr)

    mock("errors 0 15 NOT_ENOUGH_REPLICAS")
    produce(bs, [f"b{i}" for i in range(100)])
    keys = wait_ids(bs, {f"b{i}" for i in range(100)})
    expect_eq(sum(k.startswith("b") for k in keys), 100, "after 15 produce errors: each record once (idempotent retries)")
    print("  15 produce errors: 100/100 delivered once", file=sys.stderr)

    mock("rtt 1 3000")
    produce(bs, [f"c{i}" for i in range(50)])
    time.sleep(5)
    mock("rtt 1 0")
    wait_ids(bs, {f"c{i}" for i in range(50)})
    print("  3 s answers against a 2 s request timeout: 50/50 delivered", file=sys.stderr)

    produce(bs, [f"d{i}" for i in range(50)])
    mock("down 1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and http_get(port, "/readyz")[0] != 503:
        time.sleep(0.5)
    expect_eq(http_get(port, "/readyz")[0], 503, "/readyz with the broker down")
    time.sleep(3)
    check(p.poll() is None, "still running with the broker down")
    mock("up 1")
    wait_ids(bs, {f"d{i}" for i in range(50)})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and http_get(port, "/readyz")[0] != 200:
        time.sleep(0.5)
    expect_eq(http_get(port, "/readyz")[0], 200, "/readyz once the broker is back")
    print("  broker down and up: 50/50 delivered, /readyz 503 then 200", file=sys.stderr)
    p.terminate()
    expect_eq(p.wait(timeout=60), 0, "exit status after SIGTERM")
finally:
    if p.poll() is None:
        p.kill()
    mock.close()

# --- exactly-once: a fenced producer ----------------------------------------
mock = Mock()
bs = mock.bootstrap
log = f"{work}/ingestd-eos.log"
p = start(bs, log, "exactly-once", ["-o", "delivery.commit_every_ms=200"])
try:
    wait_port(log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "exactly-once: transactions initialized" not in open(log).read():
        time.sleep(0.2)
    mock("errors 24 5 PRODUCER_FENCED")
    mock("errors 26 5 PRODUCER_FENCED")
    produce(bs, [f"e{i}" for i in range(20)])
    status = p.wait(timeout=60)
    expect_eq(status, 1, "exit status of a fenced producer")
    text = open(log).read()
    check("fatal" in text and ("fenced" in text.lower()), "a clear log line names the fatal, fenced state")
    print(f"  fenced producer: exit status {status}", file=sys.stderr)
finally:
    if p.poll() is None:
        p.kill()
    mock.close()
done()
PYEOF
log "PASS"
