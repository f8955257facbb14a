#!/usr/bin/env bash
# Scaling in one consumer group, with cooperative-sticky rebalancing: while
# 6000 articles stream into a 6-partition topic, a second instance joins
# and then the first leaves with SIGTERM. Every id must come out; because a
# partition is flushed and committed before it is handed over, the graceful
# hand-overs should repeat nothing (the count is reported). The logs must
# show incremental assignment: the joining instance takes some partitions
# and the first one keeps the rest.
source "$(dirname "$0")/lib.sh"
ensure_broker

N=6000
IN="raw-$RUN_ID" OUT="enriched-$RUN_ID" DLQ="dlq-$RUN_ID" GROUP="group-$RUN_ID"
create_topic "$IN" 6
create_topic "$OUT" 6
create_topic "$DLQ" 1
ARGS=(-o "topics.input=$IN" -o "topics.output=$OUT" -o "topics.deadletter=$DLQ"
      -o "kafka.consumer.group.id=$GROUP")

$PY - "$N" >"$WORK/articles.tsv" <<'PYEOF'
import json, sys
for i in range(int(sys.argv[1])):
    aid = f"rb-{i:05d}"
    body = f"Article number {i} of the rebalance test. " * 20
    print(aid + "\t" + json.dumps({"id": aid, "title": f"Article {i}", "body": body}))
PYEOF
split -n l/30 -d "$WORK/articles.tsv" "$WORK/chunk-"

start_ingestd a "${ARGS[@]}"
(
        for f in "$WORK"/chunk-*; do
                kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -K '\t' -l "$f"
                sleep 0.3
        done
) &
producer=$!

until (($(offsets "$OUT") >= N / 5)); do sleep 0.1; done
start_ingestd b "${ARGS[@]}"
log "b joined after $(offsets "$OUT") records"
# Wait until a has handed partitions to b and b is working.
for _ in $(seq 200); do
        grep -q "revoked" "$WORK/ingestd-a.log" && break
        sleep 0.1
done
grep -q "revoked" "$WORK/ingestd-a.log" || fail "a gave no partition to b"
until (($(offsets "$OUT") >= N / 2)); do sleep 0.1; done
log "SIGTERM to a after $(offsets "$OUT") records"
stop_ingestd a
wait "$producer"
wait_count "$OUT" "$N" 120
sleep 1
stop_ingestd b

grep -q "assigned 6 partition(s)" "$WORK/ingestd-a.log" || fail "a did not start with all 6 partitions"
a_revoked=$(grep -m1 "revoked" "$WORK/ingestd-a.log" | sed -n 's/.*revoked \([0-9]*\) partition.*/\1/p')
((a_revoked > 0 && a_revoked < 6)) || fail "a gave up $a_revoked partitions at b's arrival; cooperative-sticky moves only some"
log "at b's arrival a gave up $a_revoked of 6 partitions and kept the rest"
grep -q "assigned 6 partition(s)\|assigned" "$WORK/ingestd-b.log" || fail "b got nothing"

kcat -C -b "$KAFKA_BOOTSTRAP" -t "$OUT" -e -q -f '%k\n' >"$WORK/keys.txt"
$PY - "$WORK/keys.txt" "$N" <<'PYEOF' || fail "ids lost in the rebalances"
import collections, sys
keys = collections.Counter(l.strip() for l in open(sys.argv[1]) if l.strip())
want = {f"rb-{i:05d}" for i in range(int(sys.argv[2]))}
missing = want - set(keys)
repeats = sum(c - 1 for c in keys.values())
print(f"  {len(want)} ids sent, {len(want) - len(missing)} received, {repeats} repeated across two rebalances", file=sys.stderr)
sys.exit(1 if missing or set(keys) - want else 0)
PYEOF
log "PASS"
