#!/usr/bin/env bash
# ingestd as systemd sees it, against the real broker: READY=1 once
# subscribed, STATUS= with live counts, WATCHDOG=1 pings at half the
# interval, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around SIGHUP,
# a broken configuration rejected on SIGHUP while the daemon keeps running,
# the pings stopping when the loop is wedged (test fault switch), and
# STOPPING=1 then exit 0 on SIGTERM. Also scrapes /metrics and checks the
# counters against what was produced.
source "$(dirname "$0")/lib.sh"
ensure_broker

IN="raw-$RUN_ID" OUT="enriched-$RUN_ID" DLQ="dlq-$RUN_ID" GROUP="group-$RUN_ID"
create_topic "$IN" 2
create_topic "$OUT" 2
create_topic "$DLQ" 1
write_conf() {
        cat >"$WORK/ingestd.conf" <<CONF
[ingestd]
instance = notify-test
log_level = $1
[topics]
input = $IN
output = $OUT
deadletter = $DLQ
[run]
status_interval_ms = 500
health_stall_ms = 2000
[http]
listen = 127.0.0.1:0
[kafka]
bootstrap.servers = $KAFKA_BOOTSTRAP
[kafka.consumer]
group.id = $GROUP
statistics.interval.ms = 1000
CONF
}
write_conf info

SOURCE_ROOT="$SOURCE_ROOT" WORK="$WORK" IN="$IN" OUT="$OUT" $PY - <<'PYEOF' || fail "notify checks"
import os, signal, subprocess, sys, time
sys.path.insert(0, os.path.join(os.environ["SOURCE_ROOT"], "tests", "integration"))
from notify_harness import *
from records import check, expect_eq, done

work, ingestd = os.environ["WORK"], os.environ["INGESTD"]
bs = os.environ["KAFKA_BOOTSTRAP"]
conf = f"{work}/ingestd.conf"
log = f"{work}/ingestd-notify.log"
n = Notifications(f"{work}/notify.sock")
p = start(ingestd, ["-c", conf], n.path, log, watchdog_usec=1_000_000,
          extra_env={"INGESTD_TEST_FAULTS": "wedge-on-sigusr2"})
try:
    t_ready, _ = n.wait_for("READY", "1")
    print("  READY=1 received", file=sys.stderr)
    port = wait_port(log)

    # Input: three good articles and one bad.
    lines = "".join(f'a{i}\t{{"id":"a{i}","body":"Article {i} says hello to the world."}}\n' for i in range(3))
    lines += 'bad\t{"id": broken\n'
    subprocess.run(["kcat", "-P", "-b", bs, "-t", os.environ["IN"], "-K", "\t"], input=lines.encode(), check=True)
    deadline = time.monotonic() + 60
    status, body = 0, ""
    while time.monotonic() < deadline:
        status, body = http_get(port, "/metrics")
        if metric(body, "ingestd_articles_consumed_total") == 4 and \
           f'ingestd_consumer_lag{{topic="{os.environ["IN"]}"' in body:
            break
        time.sleep(0.2)
    expect_eq(status, 200, "/metrics status")
    expect_eq(metric(body, "ingestd_articles_consumed_total"), 4.0, "consumed_total")
    expect_eq(metric(body, "ingestd_articles_published_total"), 3.0, "published_total")
    expect_eq(metric(body, "ingestd_dead_lettered_total", 'reason="malformed_json",stage="parse"'), 1.0, "dead_lettered_total{malformed_json}")
    check(metric(body, "ingestd_stage_duration_seconds_count", 'stage="parse"') == 4.0, "parse histogram count")
    check(metric(body, "ingestd_end_to_end_latency_seconds_count") == 3.0, "end-to-end histogram count")
    lags = [l for l in body.splitlines() if l.startswith(f'ingestd_consumer_lag{{topic="{os.environ["IN"]}"')]
    check(lags and all(l.endswith(" 0") for l in lags), f"consumer lag reported, and 0 once all is consumed: {lags}")
    check(metric(body, "ingestd_build_info", 'version="0.1.0",librdkafka="2.0.2"') == 1.0, "build_info")
    check((metric(body, "process_resident_memory_bytes") or 0) > 1e6, "process memory")
    # Every metric the shipped Grafana dashboard queries is exported.
    import json as _json, re as _re
    dash = _json.load(open(os.path.join(os.environ["SOURCE_ROOT"], "contrib", "grafana", "ingestd-dashboard.json")))
    names = {_re.sub(r"_(bucket|sum|count)$", "", m) for p_ in dash["panels"] for t in p_["targets"]
             for m in _re.findall(r"\b(?:ingestd|process)_[a-z_]+", t["expr"])}
    missing = [nm for nm in sorted(names) if f"# TYPE {nm} " not in body]
    check(not missing, f"dashboard metrics missing from /metrics: {missing}")
    st, rz = http_get(port, "/readyz")
    expect_eq(st, 200, f"/readyz ({rz.strip()})")
    expect_eq(http_get(port, "/healthz")[0], 200, "/healthz")

    t0 = time.monotonic()
    _, f = n.wait_for("STATUS", after=t0, timeout=5)
    while "consumed=4" not in f["STATUS"]:
        _, f = n.wait_for("STATUS", after=time.monotonic(), timeout=5)
    check("published=3" in f["STATUS"] and "dead_lettered=1" in f["STATUS"] and "lag=" in f["STATUS"],
          f"STATUS has the counts: {f['STATUS']}")

    t0 = time.monotonic()
    time.sleep(3)
    pings = n.since(t0, "WATCHDOG")
    check(4 <= len(pings) <= 8, f"{len(pings)} WATCHDOG=1 in 3 s with WatchdogSec=1s")

    # Reload with a changed log level: applied live.
    with open(conf) as fh:
        text = fh.read()
    with open(conf, "w") as fh:
        fh.write(text.replace("log_level = info", "log_level = debug"))
    t0 = time.monotonic()
    p.send_signal(signal.SIGHUP)
    t_rel, f = n.wait_for("RELOADING", "1", after=t0)
    check(f.get("MONOTONIC_USEC", "").isdigit(), "RELOADING=1 comes with MONOTONIC_USEC")
    n.wait_for("READY", "1", after=t_rel)
    time.sleep(0.5)
    check("changed key(s) applied" in open(log).read(), "the reload applied the new log level")

    # A broken configuration: rejected, the daemon keeps running.
    with open(conf, "a") as fh:
        fh.write("\n[parse]\nno_such_key = 1\n")
    t0 = time.monotonic()
    p.send_signal(signal.SIGHUP)
    t_rel, _ = n.wait_for("RELOADING", "1", after=t0)
    n.wait_for("READY", "1", after=t_rel)
    time.sleep(0.5)
    logtext = open(log).read()
    check("reload rejected" in logtext and "no_such_key: unknown key" in logtext, "broken config rejected with the key named")
    check(p.poll() is None, "still running after a rejected reload")
    subprocess.run(["kcat", "-P", "-b", bs, "-t", os.environ["IN"], "-K", "\t"],
                   input=b'a9\t{"id":"a9","body":"After the reload."}\n', check=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and metric(http_get(port, "/metrics")[1], "ingestd_articles_published_total") != 4:
        time.sleep(0.2)
    expect_eq(metric(http_get(port, "/metrics")[1], "ingestd_articles_published_total"), 4.0, "works after a rejected reload")

    # Wedge the loop: the pings stop and /healthz fails.
    p.send_signal(signal.SIGUSR2)
    time.sleep(1.0)          # a ping may be in flight
    t0 = time.monotonic()
    time.sleep(3)
    expect_eq(len(n.since(t0, "WATCHDOG")), 0, "WATCHDOG=1 after the loop wedged")
    st, body = http_get(port, "/healthz")
    expect_eq(st, 503, f"/healthz of a wedged loop ({body.strip()})")
    p.kill()
    p.wait()

    # A fresh start, then SIGTERM: STOPPING=1 and exit 0.
    with open(conf, "w") as fh:
        fh.write(text)
    t0 = time.monotonic()
    p = start(ingestd, ["-c", conf], n.path, log, watchdog_usec=1_000_000)
    n.wait_for("READY", "1", after=t0)
    time.sleep(1)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    n.wait_for("STOPPING", "1", after=t0, timeout=10)
    expect_eq(p.wait(timeout=60), 0, "exit status after SIGTERM")
finally:
    if p.poll() is None:
        p.kill()
    n.close()
done()
PYEOF
log "PASS"
