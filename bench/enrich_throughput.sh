#!/usr/bin/env bash
# enrich_throughput.sh [N] — throughput of the pipeline alone (no Kafka).
#
# What is measured: `ingestd enrich` (parse → normalize → counts → emit, the
# same pipeline as the daemon) over N distinct articles of the seed's size
# (tests/fixtures/articles/seed-2021-02-14.txt, ~2.7 KB; default N=10000),
# in two input forms, each a separate run:
#   jsonl  one JSON object per line {"id", "published", "body"}
#   text   the seed's plain-text form (" date 2021-02-14 ..."), articles split
#          by a separator line (enrich.text_separator)
# How: the input file is generated once (bench/gen_articles.py) and read from
# the page cache; ingestd runs pinned to one core (taskset -c $BENCH_CPU),
# $BENCH_REPEATS times (default 3) per form, writing its records to a file.
# Wall time is taken around the process (bash $EPOCHREALTIME); peak RSS from
# GNU time -v ("Maximum resident set size"), with the process's CPU time
# (user + system). Printed per run: articles/s and MB/s of input (MB = 10^6
# bytes), CPU seconds and peak RSS, then the median; then the mean, median and
# p99 of each stage's time from the records' ingest.stage_micros (all runs of
# the form). The emit stage is not in stage_micros (the record is written
# before its own time is known): "other" is wall time per article minus the
# timed stages, i.e. emit plus reading, splitting and writing.
# Figures only: the script never fails on a time; it does fail if a record is
# missing or an article is rejected, since the figures would then be wrong.
#
# Environment: INGESTD (default: build-bench/daemon/ingestd, then
# build/daemon/ingestd), BENCH_CPU (0), BENCH_REPEATS (3), KEEP_WORK=1 keeps
# the temporary directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
N=${1:-10000}
CPU=${BENCH_CPU:-0}
REPEATS=${BENCH_REPEATS:-3}
SEED="$ROOT/tests/fixtures/articles/seed-2021-02-14.txt"
SEPARATOR='%%ingestd-bench%%'

[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N]" >&2; exit 2; }
if [[ -z ${INGESTD:-} ]]; then
    for INGESTD in "$ROOT/build-bench/daemon/ingestd" "$ROOT/build/daemon/ingestd"; do
        [[ -x $INGESTD ]] && break
    done
fi
[[ -x $INGESTD ]] || { echo "ingestd not found; build it or set INGESTD" >&2; exit 2; }

# GNU time for the peak RSS (Debian package "time").
if [[ ! -x /usr/bin/time ]]; then
    echo "installing GNU time (Debian package 'time')" >&2
    SUDO=; [[ $(id -u) -eq 0 ]] || SUDO=sudo
    $SUDO apt-get install -y -q time >/dev/null
fi

WORK=$(mktemp -d /tmp/ingestd-bench-enrich.XXXXXX)
cleanup() {
    if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# time_field FILE NAME: a value from GNU time -v's report.
time_field() { sed -n "s/^\s*$2: //p" "$1"; }

echo "== ingestd enrich throughput: $N articles, pinned to CPU $CPU, $REPEATS runs per form"
echo "ingestd:  $("$INGESTD" --version)"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the runs)"

for form in jsonl text; do
    input="$WORK/articles.$form"
    extra=()
    if [[ $form == text ]]; then
        "$PY" "$ROOT/bench/gen_articles.py" "$SEED" "$N" text "$SEPARATOR" >"$input"
        extra=(-o "enrich.text_separator=$SEPARATOR")
    else
        "$PY" "$ROOT/bench/gen_articles.py" "$SEED" "$N" jsonl >"$input"
    fi
    bytes=$(stat -c %s "$input")
    echo
    echo "-- $form: $bytes bytes of input ($((bytes / N)) per article)"
    : >"$WORK/runs.$form"
    for ((r = 1; r <= REPEATS; r++)); do
        out="$WORK/out.$form.$r"
        t0=$EPOCHREALTIME
        /usr/bin/time -v -o "$WORK/time.$form.$r" taskset -c "$CPU" \
            "$INGESTD" enrich "${extra[@]}" "$input" >"$out" 2>"$WORK/err.$form.$r"
        t1=$EPOCHREALTIME
        records=$(wc -l <"$out")
        if ((records != N)) || [[ -s $WORK/err.$form.$r ]]; then
            echo "$form run $r: $records records for $N articles:" >&2
            head -n 5 "$WORK/err.$form.$r" >&2
            exit 1
        fi
        tv=$WORK/time.$form.$r
        echo "$t0 $t1 $(time_field "$tv" 'Maximum resident set size (kbytes)')" \
            "$(time_field "$tv" 'User time (seconds)') $(time_field "$tv" 'System time (seconds)')" >>"$WORK/runs.$form"
    done
    "$PY" - "$form" "$N" "$bytes" "$WORK/runs.$form" "$WORK"/out."$form".* <<'PYEOF'
import json, statistics, sys

form, n, nbytes, runs_file, outs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
runs = [tuple(map(float, l.split())) for l in open(runs_file)]
rates, mbs, walls, cpus = [], [], [], []
print(f"{'run':>6} {'wall s':>8} {'articles/s':>11} {'MB/s':>7} {'CPU s':>6} {'peak RSS MiB':>13}")
for i, (t0, t1, rss_kb, user, system) in enumerate(runs, 1):
    wall = t1 - t0
    walls.append(wall)
    cpus.append(user + system)
    rates.append(n / wall)
    mbs.append(nbytes / wall / 1e6)
    print(f"{i:>6} {wall:>8.3f} {n / wall:>11.0f} {nbytes / wall / 1e6:>7.2f} {user + system:>6.2f} {rss_kb / 1024:>13.1f}")
print(f"{'median':>6} {statistics.median(walls):>8.3f} {statistics.median(rates):>11.0f} "
      f"{statistics.median(mbs):>7.2f} {statistics.median(cpus):>6.2f} {max(r[2] for r in runs) / 1024:>13.1f} (max)")
print(f"CPU s: user + system of the process (GNU time, 10 ms resolution); wall > CPU means the core was shared or waiting")

stages = {}
for path in outs:
    for line in open(path, encoding="utf-8"):
        for name, us in json.loads(line)["ingest"]["stage_micros"].items():
            stages.setdefault(name, []).append(us)
per_article_us = statistics.fmean(walls) / n * 1e6
print(f"\nper-stage time, µs per article (ingest.stage_micros, {len(outs)} runs × {n} records):")
print(f"{'stage':>10} {'mean':>8} {'median':>7} {'p99':>6} {'share':>6}")
timed = 0.0
for name, v in stages.items():
    v.sort()
    mean = statistics.fmean(v)
    timed += mean
    print(f"{name:>10} {mean:>8.1f} {statistics.median(v):>7.0f} {v[min(len(v) - 1, int(len(v) * 0.99))]:>6} "
          f"{mean / per_article_us:>6.1%}")
print(f"{'other':>10} {per_article_us - timed:>8.1f} {'':>7} {'':>6} {(per_article_us - timed) / per_article_us:>6.1%}"
      "   (emit, reading, splitting, writing: wall/article − timed stages)")
print(f"{'total':>10} {per_article_us:>8.1f}   (mean wall time / article)")
PYEOF
done
