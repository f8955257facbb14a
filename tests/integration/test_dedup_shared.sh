#!/usr/bin/env bash
# The dedup index shared through the fingerprints topic, against the real
# broker. Two instances read different input topics and share one
# fingerprints topic: an article consumed by A makes its near copy (other
# headline, a caption inserted, a paragraph dropped, words edited) consumed
# later by B come out as near_duplicate of A's article, and its exact copy as
# duplicate. Then A restarts: the restored index still catches a copy of an
# article seen before the restart, and the restore is reported in the log
# and on /metrics.
source "$(dirname "$0")/lib.sh"
ensure_broker

INA="rawa-$RUN_ID" INB="rawb-$RUN_ID" OUT="enriched-$RUN_ID" DLQ="dlq-$RUN_ID"
create_topic "$INA" 1
create_topic "$INB" 1
create_topic "$OUT" 1
create_topic "$DLQ" 1
common=(-o "topics.output=$OUT" -o "topics.deadletter=$DLQ")

$PY - "$SOURCE_ROOT/tests/fixtures/articles/seed-2021-02-14.txt" "$WORK" <<'PYEOF'
import json, random, sys
text = open(sys.argv[1], encoding="utf-8").read().split(" ", 3)[3]
paras = [p for p in text.split("\n\n") if p.strip()]
work = sys.argv[2]
def line(aid, body, title):
    return aid + "\t" + json.dumps({"id": aid, "title": title, "body": body, "published": "2021-02-14"}, ensure_ascii=False) + "\n"
original = "\n\n".join(paras)
# The near copy: another outlet's version of the same wire story.
rng = random.Random(3)
near = paras[:]
del near[7]                                             # a paragraph cut
near.insert(2, "Image: Yuri Maltsev/REUTERS")            # a photo credit
near.insert(0, "Skip to content")                       # site chrome
words = " ".join(near).split(" ")
for i in rng.sample(range(len(words)), len(words) // 20):  # 5 % of words edited
    words[i] = words[i].upper()
near_body = " ".join(words).replace(" Image:", "\n\nImage:")
open(f"{work}/a.tsv", "w").write(line("wire-original", original, "Navalny supporters plan candle protests"))
open(f"{work}/b.tsv", "w").write(line("outlet-near-copy", near_body, "Candles in Russian courtyards for Navalny")
                                  + line("outlet-exact-copy", original, "Same text, another site"))
other = "\n\n".join(p.replace("Navalny", "the opposition leader") for p in paras[3:9])
other = "Protests were also held in several European capitals on Sunday. " + " ".join(reversed(other.split(" ")))
open(f"{work}/c.tsv", "w").write(line("distinct-same-topic", other, "Protests in Europe"))
PYEOF

start_ingestd a -o "topics.input=$INA" -o "kafka.consumer.group.id=ga-$RUN_ID" "${common[@]}"
start_ingestd b -o "topics.input=$INB" -o "kafka.consumer.group.id=gb-$RUN_ID" "${common[@]}"
kcat -P -b "$KAFKA_BOOTSTRAP" -t "$INA" -K '\t' -l "$WORK/a.tsv"
wait_count "$OUT" 1
sleep 1   # B reads A's fingerprint
kcat -P -b "$KAFKA_BOOTSTRAP" -t "$INB" -K '\t' -l "$WORK/b.tsv"
kcat -P -b "$KAFKA_BOOTSTRAP" -t "$INB" -K '\t' -l "$WORK/c.tsv"
wait_count "$OUT" 4
stop_ingestd a
stop_ingestd b

log "restart of A: the index comes back from the fingerprints topic"
start_ingestd a2 -o "topics.input=$INA" -o "kafka.consumer.group.id=ga-$RUN_ID" "${common[@]}"
grep -q "dedup index restored: [1-9][0-9]* fingerprints" "$WORK/ingestd-a2.log" || fail "no restore in the log"
printf 'after-restart\t%s\n' "$(cut -f2 "$WORK/a.tsv" | sed 's/"wire-original"/"after-restart"/')" >"$WORK/d.tsv"
kcat -P -b "$KAFKA_BOOTSTRAP" -t "$INA" -K '\t' -l "$WORK/d.tsv"
wait_count "$OUT" 5
port=$(sed -n 's#.*http://127.0.0.1:\([0-9]*\)/metrics.*#\1#p' "$WORK/ingestd-a2.log" | head -n1)
curl -s "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt"
stop_ingestd a2
grep "dedup index restored" "$WORK/ingestd-a2.log" | sed 's/.*msg=/  /' >&2

dump "$OUT" "$WORK/out.json"
SOURCE_ROOT="$SOURCE_ROOT" $PY - "$WORK" <<'PYEOF' || fail "dedup checks"
import os, sys
sys.path.insert(0, os.path.join(os.environ["SOURCE_ROOT"], "tests", "integration"))
from records import *
from notify_harness import metric
work = sys.argv[1]
recs = {rec["id"]: rec for _, rec in records(f"{work}/out.json")}
d = {k: v["dedup"] for k, v in recs.items()}
expect_eq(d["wire-original"]["status"], "unique", "the first article")
expect_eq(d["outlet-near-copy"]["status"], "near_duplicate", "the near copy read by the other instance")
expect_eq(d["outlet-near-copy"].get("duplicate_of"), "wire-original", "near copy duplicate_of")
check(0.5 <= d["outlet-near-copy"].get("similarity", 0) < 1, f"near copy similarity {d['outlet-near-copy'].get('similarity')}")
expect_eq(d["outlet-exact-copy"]["status"], "duplicate", "the exact copy")
expect_eq(d["outlet-exact-copy"].get("duplicate_of"), "wire-original", "exact copy duplicate_of")
expect_eq(d["distinct-same-topic"]["status"], "unique", "a distinct article on the same topic")
expect_eq(d["after-restart"]["status"], "duplicate", "a copy after the restart (restored index)")
expect_eq(d["after-restart"].get("duplicate_of"), "wire-original", "duplicate_of after the restart")
m = open(f"{work}/metrics.txt").read()
check((metric(m, "ingestd_dedup_restored_fingerprints") or 0) >= 4, "restored fingerprints on /metrics")
expect_eq(metric(m, "ingestd_dedup_index_entries"), 5.0, "index entries: 4 restored and 1 new")
expect_eq(metric(m, "ingestd_duplicates_total", 'kind="exact"'), 1.0, "duplicates_total{kind=exact} after the restart")
done()
PYEOF
log "PASS"
