#!/usr/bin/env bash
# At-least-once under a crash: 3000 articles with known ids; ingestd is
# killed with SIGKILL mid-stream and started again. Every id must reach the
# output topic at least once; the repeats (replayed after the crash) are
# counted and reported, not failed.
source "$(dirname "$0")/lib.sh"
ensure_broker

N=3000
IN="raw-$RUN_ID" OUT="enriched-$RUN_ID" DLQ="dlq-$RUN_ID" GROUP="group-$RUN_ID"
create_topic "$IN" 3
create_topic "$OUT" 3
create_topic "$DLQ" 1
ARGS=(-o "topics.input=$IN" -o "topics.output=$OUT" -o "topics.deadletter=$DLQ"
      -o "kafka.consumer.group.id=$GROUP" -o "kafka.consumer.auto.commit.interval.ms=200"
      -o "kafka.consumer.session.timeout.ms=6000")
# session.timeout.ms: how long the group waits for the killed instance
# before its partitions move (librdkafka's default is 45 s).

# Articles of the seed's size, each with its own id in the key and the body.
$PY - "$SOURCE_ROOT/tests/fixtures/articles/seed-2021-02-14.txt" "$N" >"$WORK/articles.tsv" <<'PYEOF'
import json, sys
seed = open(sys.argv[1], encoding="utf-8").read().split(" ", 3)[3]
for i in range(int(sys.argv[2])):
    aid = f"crash-{i:05d}"
    print(aid + "\t" + json.dumps({"id": aid, "body": f"Article {i}. " + seed}, ensure_ascii=False))
PYEOF
start_ingestd a "${ARGS[@]}"
# The input arrives in chunks while ingestd runs, so the kill lands in the
# middle of the stream whatever the machine's speed.
split -n l/30 -d "$WORK/articles.tsv" "$WORK/chunk-"
(
        for f in "$WORK"/chunk-*; do
                kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -K '\t' -l "$f"
                sleep 0.3
        done
) &
producer=$!
for _ in $(seq 600); do
        (($(offsets "$OUT") >= N / 4)) && break
        sleep 0.05
done
kill9_ingestd a
before=$(count "$OUT")
log "killed with SIGKILL after $before records"
((before < N)) || fail "the crash came too late: all $N records were already out"

t_restart=$SECONDS
start_ingestd b "${ARGS[@]}"
log "the new instance got its partitions $((SECONDS - t_restart))s after the restart"
wait "$producer"
wait_count "$OUT" "$N" 120
stop_ingestd b

kcat -C -b "$KAFKA_BOOTSTRAP" -t "$OUT" -e -q -f '%k\n' >"$WORK/keys.txt"
$PY - "$WORK/keys.txt" "$N" <<'PYEOF' || fail "ids missing after the crash"
import collections, sys
keys = collections.Counter(l.strip() for l in open(sys.argv[1]) if l.strip())
n = int(sys.argv[2])
want = {f"crash-{i:05d}" for i in range(n)}
missing = want - set(keys)
extra = set(keys) - want
repeats = sum(c - 1 for c in keys.values())
print(f"  {len(want)} ids sent, {len(want) - len(missing)} received, {repeats} repeated by the replay", file=sys.stderr)
if missing or extra:
    print(f"  missing {sorted(missing)[:10]}… ({len(missing)}), unexpected {sorted(extra)[:10]}", file=sys.stderr)
    sys.exit(1)
PYEOF
[[ $(count "$DLQ") -eq 0 ]] || fail "articles were dead-lettered"
log "PASS"
