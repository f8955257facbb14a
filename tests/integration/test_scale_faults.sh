#!/usr/bin/env bash
# Scale and faults against the real broker, in one delivery mode
# (argument: at-least-once or exactly-once). A 6-partition input topic, 3
# instances in one group, 20,000 articles with known ids streaming in —
# among them exact duplicates and bad inputs — and during the run: kill -9
# of one instance, a fourth instance joining, and a broker restart. Then
# the output is read with a read_committed consumer (kcat):
#   exactly-once: every accepted id exactly once;
#   at-least-once: every accepted id at least once, the repeats reported;
#   both: dead letters exactly for the bad inputs.
# Prints the throughput and the time the group took to recover from the kill.
source "$(dirname "$0")/lib.sh"
MODE=${1:-at-least-once}
N=${SCALE_ARTICLES:-20000}
BAD=100
unset KAFKA_BOOTSTRAP
ensure_broker     # its own broker: this test restarts it

IN="raw-$RUN_ID" OUT="enriched-$RUN_ID" DLQ="dlq-$RUN_ID" GROUP="group-$RUN_ID"
create_topic "$IN" 6
create_topic "$OUT" 6
create_topic "$DLQ" 2
ARGS=(-o "ingestd.delivery=$MODE" -o "topics.input=$IN" -o "topics.output=$OUT" -o "topics.deadletter=$DLQ"
      -o "kafka.consumer.group.id=$GROUP" -o kafka.consumer.session.timeout.ms=6000
      -o kafka.consumer.auto.commit.interval.ms=500
      -o kafka.producer.transaction.timeout.ms=10000 -o delivery.commit_every_ms=500
      -o run.shutdown_timeout_ms=20000)
# session.timeout.ms: the group notices the killed instance after 6 s.
# transaction.timeout.ms: the killed instance's open transaction is aborted
# by the broker after 10 s (a restart under the same instance name would
# fence and abort it at once); until then read_committed readers wait.

# The input: N articles, every 50th a byte-identical copy (new id) of the
# one before, and BAD malformed messages, shuffled.
$PY - "$N" "$BAD" "$SOURCE_ROOT/tests/fixtures/articles/seed-2021-02-14.txt" >"$WORK/input.tsv" <<'PYEOF'
import json, random, sys
n, bad = int(sys.argv[1]), int(sys.argv[2])
seed_words = open(sys.argv[3], encoding="utf-8").read().split()[2:]
rng = random.Random(42)
lines = []
prev_body = None
for i in range(n):
    aid = f"s-{i:06d}"
    if i % 50 == 49 and prev_body:
        body = prev_body                     # an exact copy under a new id
    else:
        words = seed_words[:]
        rng.shuffle(words)
        body = f"Story {i}. " + " ".join(words[:120])
    prev_body = body
    lines.append(aid + "\t" + json.dumps({"id": aid, "body": body}, ensure_ascii=False))
for j in range(bad):
    lines.append(f"bad-{j:04d}\t{{\"id\": \"bad-{j:04d}\", \"body\": ")
rng.shuffle(lines)
sys.stdout.write("\n".join(lines) + "\n")
PYEOF
total=$((N + BAD))
split -n l/40 -d -a 3 "$WORK/input.tsv" "$WORK/chunk-"

t_start=$SECONDS
for name in a b c; do start_ingestd "$name" "${ARGS[@]}"; done
# The input streams in chunks. kcat gives up when the broker is down, so
# the producer pauses around the broker restart (a chunk sent twice would
# put duplicates into the input itself).
(
        for f in "$WORK"/chunk-*; do
                while [[ -e "$WORK/pause" ]]; do
                        touch "$WORK/paused"
                        sleep 0.1
                done
                rm -f "$WORK/paused"
                kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -K '\t' -l "$f"
                sleep 0.4
        done
) &
producer=$!

progress() { echo $(($(offsets "$OUT") + $(offsets "$DLQ"))); }
until (($(progress) >= total / 4)); do sleep 0.2; done
assignments() { cat "$WORK/ingestd-a.log" "$WORK/ingestd-c.log" | grep -c "assigned [0-9]* partition"; }
before=$(assignments)
log "kill -9 of instance b at $(progress) records"
kill9_ingestd b
t_kill=$SECONDS
# Recovery: until the surviving instances are assigned b's partitions.
until (($(assignments) > before)); do
        ((SECONDS - t_kill > 60)) && fail "the group did not recover within 60 s"
        sleep 0.2
done
recovery=$((SECONDS - t_kill))
log "the group reassigned b's partitions ${recovery}s after the kill"

until (($(progress) >= total / 2)); do sleep 0.2; done
log "instance d joins at $(progress) records"
start_ingestd d "${ARGS[@]}"

until (($(progress) >= total * 7 / 10)); do sleep 0.2; done
touch "$WORK/pause"
until [[ -e "$WORK/paused" ]] || ! kill -0 "$producer" 2>/dev/null; do sleep 0.1; done
log "broker restart at $(progress) records"
"$SOURCE_ROOT/scripts/kafka-broker.sh" restart "$OWN_BROKER" >/dev/null
rm -f "$WORK/pause"

wait "$producer" || fail "producing the input failed"
# Done when the group has committed the whole input.
for ((i = 0; i < 600; i++)); do
        lag=$("$KTOPIC" -b "$KAFKA_BOOTSTRAP" lag "$GROUP" "$IN" 2>/dev/null || echo unknown)
        [[ "$lag" == 0 ]] && break
        sleep 0.5
done
[[ "$lag" == 0 ]] || fail "the group still has $lag input records to commit after 300 s"
t_done=$SECONDS
for name in a c d; do stop_ingestd "$name"; done

kcat -C -b "$KAFKA_BOOTSTRAP" -t "$OUT" -e -q -X isolation.level=read_committed -f '%k\t%p\t%o\n' >"$WORK/out-keys.txt"
kcat -C -b "$KAFKA_BOOTSTRAP" -t "$DLQ" -e -q -X isolation.level=read_committed -f '%k\t%h\n' >"$WORK/dlq.txt"
MODE="$MODE" $PY - "$WORK" "$N" "$BAD" "$((t_done - t_start))" "$recovery" <<'PYEOF' || fail "delivery checks ($MODE)"
import collections, os, sys
work, n, bad, secs, recovery = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
mode = os.environ["MODE"]
out_lines = [l.rstrip("\n").split("\t") for l in open(f"{work}/out-keys.txt") if l.strip()]
out = collections.Counter(f[0] for f in out_lines)
where = collections.defaultdict(list)      # id -> output positions, for the report
for f in out_lines:
    where[f[0]].append(f"{f[1]}@{f[2]}" if len(f) == 3 else "?")
dlq = collections.Counter(l.split("\t")[0] for l in open(f"{work}/dlq.txt") if l.strip())
want = {f"s-{i:06d}" for i in range(n)}
want_bad = {f"bad-{j:04d}" for j in range(bad)}
missing = want - set(out)
extra = set(out) - want
repeats = sum(c - 1 for c in out.values())
bad_missing = want_bad - set(dlq)
bad_repeats = sum(c - 1 for c in dlq.values())
failed = False
def problem(msg):
    global failed
    failed = True
    print(f"  FAIL: {msg}", file=sys.stderr)
    with open(f"{work}/failure.txt", "a") as f:
        f.write(f"  {msg}\n")
print(f"  {mode}: {len(want) - len(missing)}/{n} ids out, {repeats} repeated; "
      f"{len(want_bad) - len(bad_missing)}/{bad} dead letters, {bad_repeats} repeated; "
      f"{(n + bad) / max(secs, 1):.0f} records/s over {secs}s with the faults; recovery after kill -9: {recovery}s",
      file=sys.stderr)
if missing:
    problem(f"{len(missing)} ids lost, e.g. {sorted(missing)[:5]}")
if extra:
    problem(f"unexpected ids on the output: {sorted(extra)[:5]}")
if set(dlq) - want_bad:
    problem(f"dead letters for good input: {sorted(set(dlq) - want_bad)[:5]}")
if bad_missing:
    problem(f"{len(bad_missing)} bad inputs not dead-lettered")
if mode == "exactly-once" and (repeats or bad_repeats):
    twice = sorted(k for k, c in out.items() if c > 1)[:5]
    problem(f"exactly-once published {repeats} records and {bad_repeats} dead letters twice, e.g. "
            + ", ".join(f"{k} at partition@offset {' '.join(where[k])}" for k in twice))
with open(f"{work}/summary.txt", "w") as f:
    f.write(f"mode={mode} records={n + bad} seconds={secs} repeats={repeats} recovery={recovery}\n")
sys.exit(1 if failed else 0)
PYEOF
log "PASS"
