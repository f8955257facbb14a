#!/usr/bin/env bash
# e2e_throughput.sh [N] — end-to-end throughput through a real Kafka broker,
# compared with a plain kcat copy of the same topic.
#
# What is measured: the time from starting `ingestd run` until its output
# topic holds N records (default N=20000), the input topic being full before
# it starts: consume, pipeline, produce with acks (idempotent producer),
# offsets committed as the records are acknowledged. The reference is kcat
# copying the same input topic to another topic
#   kcat -C -t IN -e -o beginning -f '%k\t%s\n' | kcat -P -t COPY -K '\t'
# (the JSON bodies are one line each, so a tab and a newline frame them),
# timed the same way. The ratio ingestd/kcat says how much of the Kafka round
# trip's speed the enrichment keeps.
# How: a single-node Apache Kafka broker (scripts/kafka-broker.sh, in a
# temporary directory; or $KAFKA_BOOTSTRAP if set); an input topic with 6
# partitions filled with N distinct seed-sized JSON articles
# (bench/gen_articles.py, kcat -P -K '\t' -l, the id as the key); a short
# unreported warm-up of both (500 articles). Each of
# $BENCH_REPEATS rounds (default 3) runs ingestd with a fresh consumer group
# and output topic (6 partitions), then the kcat copy to a fresh topic (6
# partitions); completion is polled with `ktopic offsets` every 0.1 s
# ($BENCH_POLL_INTERVAL; each poll is a new client: ~10 ms of CPU for ktopic
# and ~25 ms for the broker here, which the measured process competes with).
# Printed per round and as the median: wall time from start to N records,
# articles/s and MB/s (input value bytes, MB = 10^6), the time to the first
# output record (start-up and group join) and the rate from then on, the CPU
# seconds of ingestd (or both kcats) and of the broker, ingestd's main
# (pipeline) thread time on a CPU and waiting for one (schedstat), and the
# peak RSS.
# Nothing is pinned: ingestd, kcat and the broker share the machine's cores.
# Figures only: it never fails on a time; it fails if records go missing or
# are dead-lettered. Everything it started (broker, ingestd, kcat) is
# stopped on exit, whatever the exit.
#
# Environment:
#   INGESTD             default build-bench/daemon/ingestd, then build/daemon/ingestd
#   KTOPIC              default build-bench/ktopic, then build/tests/tools/ktopic
#   KAFKA_BOOTSTRAP     use that broker instead of starting one (the topics
#                       made are deleted at the end)
#   KAFKA_DIST_CACHE    where scripts/kafka-broker.sh keeps the Kafka jars
#   BENCH_REPEATS       rounds (3)
#   BENCH_TIMEOUT       seconds to wait for N records (600)
#   BENCH_POLL_INTERVAL seconds between polls (0.1)
#   BENCH_INGESTD_OPTS  space-separated SECTION.KEY=VALUE settings for ingestd
#                       (-o), e.g. "kafka.producer.linger.ms=50"
#   KEEP_WORK=1         keep the temporary directory
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
N=${1:-20000}
REPEATS=${BENCH_REPEATS:-3}
TIMEOUT=${BENCH_TIMEOUT:-600}
POLL=${BENCH_POLL_INTERVAL:-0.1}
PARTITIONS=6
SEED="$ROOT/tests/fixtures/articles/seed-2021-02-14.txt"
CLK_TCK=$(getconf CLK_TCK)

[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N]" >&2; exit 2; }
first_executable() {
    local f
    for f; do [[ -x $f ]] && { echo "$f"; return 0; }; done
    return 1
}
INGESTD=${INGESTD:-$(first_executable "$ROOT/build-bench/daemon/ingestd" "$ROOT/build/daemon/ingestd" || true)}
KTOPIC=${KTOPIC:-$(first_executable "$ROOT/build-bench/ktopic" "$ROOT/build/tests/tools/ktopic" || true)}
[[ -x $INGESTD ]] || { echo "ingestd not found; build it or set INGESTD" >&2; exit 2; }
[[ -x $KTOPIC ]] || { echo "ktopic not found; build tests/tools/ktopic.c or set KTOPIC" >&2; exit 2; }
command -v kcat >/dev/null || { echo "kcat not found" >&2; exit 2; }

WORK=$(mktemp -d /tmp/ingestd-bench-e2e.XXXXXX)
RUN_ID="bench-$$-$RANDOM"
OWN_BROKER=""
INGESTD_PID=""
COPY_PGID=""
TOPICS=()

cleanup() {
    set +e
    if [[ -n $INGESTD_PID ]]; then
        kill -KILL "$INGESTD_PID" 2>/dev/null
        wait "$INGESTD_PID" 2>/dev/null
    fi
    if [[ -n $COPY_PGID ]]; then
        kill -KILL -- "-$COPY_PGID" 2>/dev/null
        wait "$COPY_PGID" 2>/dev/null
    fi
    if [[ -n $OWN_BROKER ]]; then
        "$ROOT/scripts/kafka-broker.sh" stop "$OWN_BROKER" >/dev/null 2>&1
    elif ((${#TOPICS[@]})) && [[ -n ${BS:-} ]]; then
        "$KTOPIC" -b "$BS" delete "${TOPICS[@]}" >/dev/null 2>&1
    fi
    if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "e2e_throughput: $*" >&2; exit 1; }

# cpu_seconds PID: user + system CPU time of a running process so far.
cpu_seconds() {
    local stat
    stat=$(<"/proc/$1/stat") || return 1
    # Fields after the command name: state is field 3, utime 14, stime 15.
    awk -v tck="$CLK_TCK" '{ printf "%.2f\n", ($12 + $13) / tck }' <<<"${stat##*) }"
}

# peak_rss_mib PID: VmHWM of a running process, MiB.
peak_rss_mib() { awk '/^VmHWM:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }

records() { "$KTOPIC" -b "$BS" offsets "$1" 2>/dev/null || echo 0; }

create_topics() { # NAME PARTITIONS [NAME PARTITIONS]...
    local i
    "$KTOPIC" -b "$BS" create "$@" >/dev/null
    for ((i = 1; i <= $#; i += 2)); do TOPICS+=("${!i}"); done
}

# wait_records TOPIC PID: polls until TOPIC holds N records; sets T_FIRST
# and C_FIRST (time and count at the first poll that saw records) and
# T_DONE. Fails if PID exits before (when it is not expected to, i.e. for
# ingestd) or after $TIMEOUT seconds.
wait_records() {
    local topic=$1 pid=${2:-} c deadline=$((SECONDS + TIMEOUT))
    T_FIRST="" C_FIRST=0
    while :; do
        c=$(records "$topic")
        if [[ -z $T_FIRST ]] && ((c > 0)); then T_FIRST=$EPOCHREALTIME C_FIRST=$c; fi
        if ((c >= N)); then T_DONE=$EPOCHREALTIME; return 0; fi
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then die "process $pid exited with $c of $N records on $topic"; fi
        ((SECONDS < deadline)) || die "$topic has $c of $N records after ${TIMEOUT}s"
        sleep "$POLL"
    done
}

# --- broker and input ---------------------------------------------------------
if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
    BS=$KAFKA_BOOTSTRAP
    BROKER_PID=""
    KAFKA_VERSION_RUN="(external broker)"
else
    OWN_BROKER="$WORK/broker"
    BS=$("$ROOT/scripts/kafka-broker.sh" start "$OWN_BROKER" | tail -n1)
    BROKER_PID=$(<"$OWN_BROKER/broker.pid")
    KAFKA_VERSION_RUN="Apache Kafka $(<"$OWN_BROKER/kafka.version")"
fi

echo "== end-to-end throughput: $N articles, $PARTITIONS partitions, $REPEATS rounds"
echo "ingestd:  $("$INGESTD" --version)"
echo "broker:   $KAFKA_VERSION_RUN at $BS"
[[ -z ${BENCH_INGESTD_OPTS:-} ]] || echo "options:  $BENCH_INGESTD_OPTS"
echo "polling:  ktopic offsets every ${POLL}s"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the runs)"

# The metrics endpoint on a free port, so that it cannot clash with another
# instance on this host (binaries older than the [http] section have none).
INGESTD_OPTS=(-o "kafka.bootstrap.servers=$BS")
if "$INGESTD" default-config | grep -q '^\[http\]'; then INGESTD_OPTS+=(-o "http.listen=127.0.0.1:0"); fi
# Extra settings to try, e.g. BENCH_INGESTD_OPTS="kafka.producer.linger.ms=50".
for opt in ${BENCH_INGESTD_OPTS:-}; do INGESTD_OPTS+=(-o "$opt"); done

IN="in-$RUN_ID"
create_topics "$IN" "$PARTITIONS"
"$PY" "$ROOT/bench/gen_articles.py" "$SEED" "$N" tsv >"$WORK/articles.tsv"
BYTES=$(cut -f2- "$WORK/articles.tsv" | wc -c)
BYTES=$((BYTES - N)) # value bytes, without the newlines
t0=$EPOCHREALTIME
kcat -P -b "$BS" -t "$IN" -K '\t' -l "$WORK/articles.tsv"
wait_records "$IN"
echo "input:    $IN, $N records, $BYTES value bytes ($((BYTES / N)) per article);" \
    "filled by kcat -P in $("$PY" -c "print(f'{$T_DONE - $t0:.2f}')") s"

# --- warm-up (not reported) ----------------------------------------------------
# A fresh broker creates __consumer_offsets on the first group and loads its
# coordinators, and its JIT is cold: a short ingestd and kcat pass over a
# small topic, so that round 1 measures the same thing as the others.
WARM=$((N < 500 ? N : 500))
head -n "$WARM" "$WORK/articles.tsv" >"$WORK/warm.tsv"
create_topics "warm-in-$RUN_ID" "$PARTITIONS" "warm-out-$RUN_ID" "$PARTITIONS" "warm-dlq-$RUN_ID" 1 \
    "warm-copy-$RUN_ID" "$PARTITIONS"
kcat -P -b "$BS" -t "warm-in-$RUN_ID" -K '\t' -l "$WORK/warm.tsv"
"$INGESTD" run "${INGESTD_OPTS[@]}" -o "topics.input=warm-in-$RUN_ID" \
    -o "topics.output=warm-out-$RUN_ID" -o "topics.deadletter=warm-dlq-$RUN_ID" \
    -o "kafka.consumer.group.id=warm-$RUN_ID" -o ingestd.instance=bench-warm >"$WORK/ingestd.warm.log" 2>&1 &
INGESTD_PID=$!
(N=$WARM; wait_records "warm-out-$RUN_ID" "$INGESTD_PID")
kill -TERM "$INGESTD_PID"
wait "$INGESTD_PID" || die "warm-up ingestd exited with status $? (log: $WORK/ingestd.warm.log)"
INGESTD_PID=""
kcat -C -b "$BS" -t "warm-in-$RUN_ID" -e -o beginning -q -f '%k\t%s\n' |
    kcat -P -b "$BS" -t "warm-copy-$RUN_ID" -K '\t'
echo "warm-up:  $WARM articles through ingestd and the kcat copy (not reported)"

# --- rounds -------------------------------------------------------------------
: >"$WORK/results"
for ((r = 1; r <= REPEATS; r++)); do
    # (a) ingestd, fresh group and output topic.
    OUT="out-$RUN_ID-$r" DLQ="dlq-$RUN_ID-$r"
    create_topics "$OUT" "$PARTITIONS" "$DLQ" 1
    broker0=$([[ -n $BROKER_PID ]] && cpu_seconds "$BROKER_PID" || echo nan)
    t0=$EPOCHREALTIME
    "$INGESTD" run "${INGESTD_OPTS[@]}" -o "topics.input=$IN" -o "topics.output=$OUT" \
        -o "topics.deadletter=$DLQ" -o "kafka.consumer.group.id=group-$RUN_ID-$r" \
        -o "ingestd.instance=bench-$r" >"$WORK/ingestd.$r.log" 2>&1 &
    INGESTD_PID=$!
    wait_records "$OUT" "$INGESTD_PID"
    cpu=$(cpu_seconds "$INGESTD_PID") rss=$(peak_rss_mib "$INGESTD_PID")
    read -r main_run_ns main_wait_ns _ <"/proc/$INGESTD_PID/task/$INGESTD_PID/schedstat"
    broker1=$([[ -n $BROKER_PID ]] && cpu_seconds "$BROKER_PID" || echo nan)
    echo "ingestd $r $t0 $T_FIRST $C_FIRST $T_DONE $cpu $rss $broker0 $broker1 $main_run_ns $main_wait_ns" \
        >>"$WORK/results"
    kill -TERM "$INGESTD_PID"
    status=0
    wait "$INGESTD_PID" || status=$?
    INGESTD_PID=""
    ((status == 0)) || die "ingestd exited with status $status on SIGTERM (log: $WORK/ingestd.$r.log)"
    dead=$(records "$DLQ")
    ((dead == 0)) || die "$dead articles dead-lettered in round $r"

    # (b) kcat copy of the same topic; its own process group so that the
    # cleanup can stop both kcats.
    COPY="copy-$RUN_ID-$r"
    create_topics "$COPY" "$PARTITIONS"
    broker0=$([[ -n $BROKER_PID ]] && cpu_seconds "$BROKER_PID" || echo nan)
    t0=$EPOCHREALTIME
    setsid /usr/bin/time -f '%U %S %M' -o "$WORK/kcat-time.$r" bash -c '
        kcat -C -b "$1" -t "$2" -e -o beginning -q -f "%k\t%s\n" | kcat -P -b "$1" -t "$3" -K "\t"' \
        _ "$BS" "$IN" "$COPY" 2>"$WORK/kcat.$r.log" &
    COPY_PGID=$!
    wait_records "$COPY"
    broker1=$([[ -n $BROKER_PID ]] && cpu_seconds "$BROKER_PID" || echo nan)
    wait "$COPY_PGID" || die "kcat copy failed: $(tail -n 5 "$WORK/kcat.$r.log")"
    COPY_PGID=""
    read -r user system rss_kb <"$WORK/kcat-time.$r"
    echo "kcat $r $t0 $T_FIRST $C_FIRST $T_DONE $(awk "BEGIN { print $user + $system }")" \
        "$(awk "BEGIN { printf \"%.1f\", $rss_kb / 1024 }")" "$broker0 $broker1 nan nan" >>"$WORK/results"
    # Sanity: the copy holds N records (more would mean the count was wrong;
    # a failed query reads as 0, so ask again before believing it).
    for _ in 1 2 3; do
        copied=$(records "$COPY")
        ((copied == N)) && break
        sleep 1
    done
    ((copied == N)) || die "the kcat copy holds $copied records, not $N"
done

# --- figures ------------------------------------------------------------------
"$PY" - "$N" "$BYTES" "$WORK/results" <<'PYEOF'
import math, statistics, sys

n, nbytes = int(sys.argv[1]), int(sys.argv[2])
rows = {}
for line in open(sys.argv[3]):
    what, rnd, *v = line.split()
    t0, tf, cf, td, cpu, rss, b0, b1, main_run, main_wait = map(float, v)
    rows.setdefault(what, []).append({
        "round": rnd, "wall": td - t0, "rate": n / (td - t0), "mbs": nbytes / (td - t0) / 1e6,
        "first": tf - t0, "steady": (n - cf) / (td - tf) if cf < n else math.nan,
        "cpu": cpu, "main": main_run / 1e9, "runq": main_wait / 1e9, "rss": rss, "broker": b1 - b0})

cols = [("wall", "wall s", "{:.2f}"), ("rate", "articles/s", "{:.0f}"), ("mbs", "MB/s", "{:.2f}"),
        ("first", "1st rec s", "{:.2f}"), ("steady", "after 1st/s", "{:.0f}"),
        ("cpu", "CPU s", "{:.2f}"), ("main", "main CPU s", "{:.2f}"), ("runq", "main runq s", "{:.2f}"),
        ("rss", "RSS MiB", "{:.1f}"), ("broker", "broker CPU s", "{:.2f}")]
def fmt(c, v):
    return "-" if isinstance(v, float) and math.isnan(v) else c[2].format(v)
print()
print(f"{'':>8} {'round':>6} " + " ".join(f"{c[1]:>12}" for c in cols))
med = {}
for what in ("ingestd", "kcat"):
    for r in rows[what]:
        print(f"{what:>8} {r['round']:>6} " + " ".join(f"{fmt(c, r[c[0]]):>12}" for c in cols))
    med[what] = {c[0]: statistics.median(r[c[0]] for r in rows[what]) for c in cols}
    print(f"{what:>8} {'median':>6} " + " ".join(f"{fmt(c, med[what][c[0]]):>12}" for c in cols))
print("""
wall s: from the start of the process to N records on its output topic (polled with ktopic);
1st rec s: start to the first poll that saw output (start-up, group join, first batch);
after 1st/s: articles/s from that poll to N; CPU s: user + system of ingestd, or of both kcats;
main CPU s / main runq s: ingestd's main thread (the pipeline) on a CPU / runnable but waiting
for one (/proc/PID/task/PID/schedstat); wall − both = the main thread idle, waiting on Kafka;
RSS: peak resident set (VmHWM; for kcat the larger of the two); broker CPU s: the broker JVM
during the same interval ('-' with an external broker).""")
i, k = med["ingestd"], med["kcat"]
print(f"\nratio ingestd/kcat (medians): throughput {i['rate'] / k['rate']:.2f} end to end, "
      f"{i['steady'] / k['steady']:.2f} after the first record; "
      f"CPU per article {i['cpu'] / k['cpu']:.2f}×")
print(f"ingestd CPU per article: {i['cpu'] / n * 1e6:.0f} µs, of which the main thread {i['main'] / n * 1e6:.0f} µs "
      f"(kcat copy: {k['cpu'] / n * 1e6:.0f} µs)")
PYEOF
