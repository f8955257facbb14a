#!/usr/bin/env bash
# /readyz follows the broker: 200 while it is up, 503 with a reason while it
# is down, 200 again once it is back; the daemon keeps running throughout
# and processes what arrives after the broker's return. Runs its own broker
# (it stops it), never the shared one.
source "$(dirname "$0")/lib.sh"
unset KAFKA_BOOTSTRAP
ensure_broker

IN="raw-$RUN_ID" OUT="enriched-$RUN_ID" DLQ="dlq-$RUN_ID"
create_topic "$IN" 1
create_topic "$OUT" 1
create_topic "$DLQ" 1
start_ingestd a -o "topics.input=$IN" -o "topics.output=$OUT" -o "topics.deadletter=$DLQ" \
        -o "kafka.consumer.group.id=group-$RUN_ID" -o kafka.consumer.statistics.interval.ms=1000 \
        -o http.listen=127.0.0.1:0
port=$(sed -n 's#.*http://127.0.0.1:\([0-9]*\)/metrics.*#\1#p' "$WORK/ingestd-a.log" | head -n1)
[[ -n "$port" ]] || fail "no HTTP port in the log"

# wait_ready CODE SECONDS: waits until /readyz answers CODE.
wait_ready() {
        local want=$1 limit=$2 code="" i
        for ((i = 0; i < limit * 5; i++)); do
                code=$(curl -s -o "$WORK/readyz.txt" -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
                [[ "$code" == "$want" ]] && return 0
                sleep 0.2
        done
        fail "/readyz answered $code ($(cat "$WORK/readyz.txt" 2>/dev/null)), want $want after ${limit}s"
}

wait_ready 200 30
log "ready with the broker up: $(cat "$WORK/readyz.txt")"
"$SOURCE_ROOT/scripts/kafka-broker.sh" stop "$OWN_BROKER" >/dev/null
wait_ready 503 30
log "broker stopped: $(cat "$WORK/readyz.txt")"
grep -q "no broker reachable" "$WORK/readyz.txt" || fail "503 without the reason"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz") == 200 ]] || fail "/healthz failed while the broker was down"
"$SOURCE_ROOT/scripts/kafka-broker.sh" restart "$OWN_BROKER" >/dev/null
wait_ready 200 90
log "broker back: $(cat "$WORK/readyz.txt")"
echo '{"id":"after","body":"Published after the broker came back."}' | kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -k after
wait_count "$OUT" 1 60
stop_ingestd a
log "PASS"
