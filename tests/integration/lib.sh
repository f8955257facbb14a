# Helpers for the integration tests: bash, sourced by each test.
#
# The tests run the real ingestd against a real Kafka broker and check what
# lands on the topics with kcat. scripts/test.sh starts one broker for the
# whole run and exports KAFKA_BOOTSTRAP; a test run on its own starts (and
# stops) a broker of its own. Each test makes its own topics and consumer
# group, named after the test and a random suffix, so tests never see each
# other's data.
#
# Environment from meson: INGESTD, KTOPIC, SOURCE_ROOT.
set -euo pipefail

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/ingestd-${TEST_NAME}.XXXXXX")
RUN_ID="${TEST_NAME}-$$-${RANDOM}"
PY=/usr/bin/python3
OWN_BROKER=""
DAEMON_PIDS=()

log() { echo "[$TEST_NAME] $*" >&2; }
# fail MESSAGE: the daemons' log tails, then the reason, last, so that
# whoever reads only the end of the output still sees why (with the
# details a check left in $WORK/failure.txt).
fail() {
        local f
        for f in "$WORK"/ingestd*.log; do
                [[ -f "$f" ]] && { echo "--- $f (last 30 lines)" >&2; tail -n 30 "$f" >&2; }
        done
        [[ -s "$WORK/failure.txt" ]] && cat "$WORK/failure.txt" >&2
        echo "[$TEST_NAME] FAIL: $*" >&2
        exit 1
}

cleanup() {
        local pid
        for pid in "${DAEMON_PIDS[@]}"; do
                kill -KILL "$pid" 2>/dev/null || true
        done
        if [[ -n "$OWN_BROKER" ]]; then
                "$SOURCE_ROOT/scripts/kafka-broker.sh" stop "$OWN_BROKER" >/dev/null 2>&1 || true
        fi
        if [[ "${KEEP_WORK:-0}" == 1 ]]; then
                echo "[$TEST_NAME] work directory kept: $WORK" >&2
        else
                rm -rf "$WORK"
        fi
}
trap cleanup EXIT

ensure_broker() {
        if [[ -z "${KAFKA_BOOTSTRAP:-}" ]]; then
                OWN_BROKER="$WORK/broker"
                KAFKA_BOOTSTRAP=$("$SOURCE_ROOT/scripts/kafka-broker.sh" start "$OWN_BROKER" | tail -n1)
        fi
        export KAFKA_BOOTSTRAP
        log "broker at $KAFKA_BOOTSTRAP"
}

# create_topic NAME PARTITIONS
create_topic() { "$KTOPIC" -b "$KAFKA_BOOTSTRAP" create "$1" "$2" >/dev/null; }

# start_ingestd NAME [ingestd run arguments...]: starts an instance in the
# background, logging to $WORK/ingestd-NAME.log; its pid goes to
# $WORK/NAME.pid. Waits until it has partitions assigned.
start_ingestd() {
        local name=$1
        shift
        "$INGESTD" run -o "kafka.bootstrap.servers=$KAFKA_BOOTSTRAP" -o "ingestd.instance=$name" -o http.listen=127.0.0.1:0 -o "topics.fingerprints=fp-$RUN_ID" \
                -o run.shutdown_timeout_ms=10000 "$@" >>"$WORK/ingestd-$name.log" 2>&1 &
        local pid=$!
        echo "$pid" >"$WORK/$name.pid"
        DAEMON_PIDS+=("$pid")
        local i
        for i in $(seq 900); do
                grep -q "assigned" "$WORK/ingestd-$name.log" 2>/dev/null && return 0
                kill -0 "$pid" 2>/dev/null || fail "ingestd $name exited at start"
                sleep 0.1
        done
        fail "ingestd $name got no partitions within 90 s"
}

# stop_ingestd NAME: SIGTERM, expect exit status 0; sets STOP_SECONDS.
# (Not to be called in $(...): only this shell can wait for its children.)
STOP_SECONDS=0
stop_ingestd() {
        local name=$1 pid status=0
        pid=$(cat "$WORK/$name.pid")
        local t0=$SECONDS
        kill -TERM "$pid"
        wait "$pid" || status=$?
        STOP_SECONDS=$((SECONDS - t0))
        [[ $status -eq 0 ]] || fail "ingestd $name exited with status $status after SIGTERM"
        grep -q "stopped:" "$WORK/ingestd-$name.log" || fail "ingestd $name did not log its shutdown"
}

kill9_ingestd() {
        local pid
        pid=$(cat "$WORK/$1.pid")
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null || true
}

# count TOPIC: number of records on the topic (read_committed, as a
# downstream consumer sees them).
count() {
        kcat -C -b "$KAFKA_BOOTSTRAP" -t "$1" -e -q -X isolation.level=read_committed -f 'x\n' 2>/dev/null | wc -l
}

# offsets TOPIC: records on the topic by its watermarks: fast, for waiting
# on progress (with transactions it also counts markers and aborted records).
offsets() { "$KTOPIC" -b "$KAFKA_BOOTSTRAP" offsets "$1"; }

# wait_count TOPIC N [SECONDS]: waits until the topic holds at least N
# records, as a read_committed consumer sees them.
wait_count() {
        local topic=$1 n=$2 limit=${3:-60} got=0 i
        for ((i = 0; i < limit * 4; i++)); do
                if (($(offsets "$topic") < n)); then
                        sleep 0.25
                        continue
                fi
                got=$(count "$topic")
                ((got >= n)) && return 0
                sleep 0.25
        done
        fail "$topic has $got records after ${limit}s, expected at least $n"
}

# dump TOPIC FILE: every record as one JSON line {key, headers, value}, via
# kcat's JSON envelope (payloads that are not text come out as kcat renders them).
dump() {
        kcat -C -b "$KAFKA_BOOTSTRAP" -t "$1" -e -q -X isolation.level=read_committed -J >"$2" 2>/dev/null
}
