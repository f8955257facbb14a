#!/usr/bin/env bash
# kafka-broker.sh — run a real single-node Apache Kafka broker (KRaft mode,
# combined broker+controller, node.id=1) on 127.0.0.1 for the test suite.
# Kafka comes from Maven Central as jars (scripts/kafka/pom.xml); nothing is
# downloaded from anywhere else.
#
# Usage:
#   kafka-broker.sh fetch [VERSION]        resolve jars into the cache
#   kafka-broker.sh start DIR [VERSION]    start (format DIR/data on first use);
#                                          last stdout line is the bootstrap
#                                          address, also written to DIR/bootstrap
#   kafka-broker.sh stop DIR               SIGTERM, 30 s grace, then SIGKILL;
#                                          idempotent
#   kafka-broker.sh restart DIR            stop + start, same ports, data, version
#   kafka-broker.sh status DIR             exit 0 iff running and answering
#
# VERSION: argument, else $KAFKA_VERSION, else the version DIR was last
# started with, else 3.9.1.  Cache: ${KAFKA_DIST_CACHE:-$HOME/.cache/ingestd}/
# kafka-VERSION/libs (complete when libs/.complete exists).
# Extra JVM options can be passed in $KAFKA_JVM_OPTS; the start and stop
# timeouts (90 s, 30 s) in $KAFKA_START_TIMEOUT / $KAFKA_STOP_TIMEOUT.
# Files in DIR: server.properties, ports, kafka.version, log4j.properties,
# log4j2.properties, data/, broker.log (Kafka's log), broker.out (JVM
# stdout/stderr), *.prev (the previous run's), broker.pid, bootstrap,
# format.log.
#
# Observed with Kafka 4.1.1 (Java 17, kcat 1.7.1 / librdkafka 2.0.2), 2026-11:
#   * The same pom resolves it with -Dkafka.version=4.1.1 (no extra profile).
#     Kafka 4.1.1 still depends on slf4j-api 1.7.36, so the pom's
#     slf4j-reload4j binding and the same log4j 1 properties file give the
#     normal broker log for 3.9 and 4.x. kafka-server 4.x also pulls
#     log4j-api/-core 2.24 (only for its runtime logger-level controller); a
#     log4j2.properties is passed too, which silences log4j2's "No
#     configuration found" error that StorageTool printed without it.
#   * Static quorum (controller.quorum.voters) with a plain `StorageTool
#     format -t ID -c server.properties` (no --standalone) works on 4.1.1 as
#     on 3.9.1 (formats metadata.version 4.1-IV1).
#   * It starts and answers in ~1 s more than 3.9.1 (cold ~5-6 s, warm ~4 s
#     on a loaded 2-core box). kcat -L, -P (auto-created topic,
#     gzip/snappy/lz4/zstd, idempotent producer), -C and -G (consumer group)
#     all work, as do CreateTopics/DeleteTopics via tests/tools/ktopic.
#   * No ApiVersions/unsupported-version warnings on either side. The broker
#     advertises Fetch 4..18, ListOffsets 1..10, OffsetCommit 2..9, Produce
#     0..13, Metadata 0..13, CreateTopics 2..7, DeleteTopics 1..6; librdkafka
#     2.0.2 negotiates within them (only its MsgVer1/ThrottleTime feature
#     flags drop out, which it does not need).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$SCRIPT_DIR/kafka/pom.xml"
CACHE_ROOT="${KAFKA_DIST_CACHE:-$HOME/.cache/ingestd}"
DEFAULT_VERSION=3.9.1
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}

die() { echo "kafka-broker: $*" >&2; exit 1; }
log() { echo "kafka-broker: $*" >&2; }

usage() {
    sed -n '/^# Usage:/,/^# VERSION/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

libs_dir() { echo "$CACHE_ROOT/kafka-$1/libs"; }

# fetch VERSION — resolve Kafka's runtime jars once per version.
fetch() {
    local version=$1 dest tmp
    [[ $version =~ ^[0-9A-Za-z._-]+$ ]] || die "bad Kafka version '$version'"
    dest=$(libs_dir "$version")
    [[ -f $dest/.complete ]] && return 0
    command -v mvn >/dev/null || die "mvn not found (needed to fetch Kafka $version)"
    mkdir -p "$CACHE_ROOT/kafka-$version"
    # Serialise concurrent fetches of the same version.
    exec 9>"$CACHE_ROOT/kafka-$version/.lock"
    if command -v flock >/dev/null; then flock 9; fi
    if [[ ! -f $dest/.complete ]]; then
        log "fetching Kafka $version jars from Maven into $dest"
        tmp=$(mktemp -d "$CACHE_ROOT/kafka-$version/libs.tmp.XXXXXX")
        if ! mvn -B -ntp -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
                -DoutputDirectory="$tmp" -DincludeScope=runtime \
                -Dkafka.version="$version" >"$tmp.log" 2>&1; then
            grep -E 'ERROR|FAIL' "$tmp.log" | head -n 30 >&2 || tail -n 30 "$tmp.log" >&2
            rm -rf "$tmp" "$tmp.log"
            die "mvn could not resolve Kafka $version"
        fi
        rm -f "$tmp.log"
        ls "$tmp"/kafka_2.13-"$version".jar >/dev/null 2>&1 \
            || { rm -rf "$tmp"; die "kafka_2.13-$version.jar missing after mvn"; }
        touch "$tmp/.complete"
        rm -rf "$dest"
        mv "$tmp" "$dest"
    fi
    exec 9>&-
}

# A TCP port on 127.0.0.1 that nothing uses, below the ephemeral range so
# that client connections cannot take it later.
port_in_use() {
    local p=$1
    if command -v ss >/dev/null; then
        [[ -n $(ss -Htln "( sport = :$p )" 2>/dev/null) ]] && return 0
        return 1
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

pick_port() {
    local lo=20000 hi=32000 p i avoid=${1:-0} eph
    if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
        read -r eph _ </proc/sys/net/ipv4/ip_local_port_range
        ((eph - 1 < hi)) && hi=$((eph - 1))
        ((hi - lo < 1000)) && lo=$((hi - 1000))
    fi
    for ((i = 0; i < 200; i++)); do
        p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
        ((p == avoid)) && continue
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    die "no free TCP port found on 127.0.0.1"
}

# A random Kafka cluster id: 16 random bytes, URL-safe base64, no padding
# (what StorageTool random-uuid prints; Kafka avoids a leading '-').
cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ $id != -* && ${#id} -eq 22 ]] && { echo "$id"; return; }
    done
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# pid of the broker running for DIR, or nothing (pid file checked against
# the process's command line so a recycled pid is never signalled).
broker_pid() {
    local dir=$1 pid
    [[ -f $dir/broker.pid ]] || return 0
    pid=$(<"$dir/broker.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    [[ -r /proc/$pid/cmdline ]] || return 0
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $dir/server.properties"; then
        echo "$pid"
    fi
}

# Running, and not a zombie waiting for a parent that does not reap it.
alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed -n 's/^.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $state != Z && $state != X ]]
}

answers() {
    local addr=$1 out
    out=$(kcat -L -b "$addr" -m 5 2>/dev/null) || return 1
    grep -q 'broker 1 at' <<<"$out"
}

tail_logs() {
    local dir=$1 f
    for f in broker.out broker.log; do
        [[ -s $dir/$f ]] || continue
        echo "----- tail of $dir/$f -----" >&2
        tail -n 40 "$dir/$f" >&2
    done
}

write_configs() {
    local dir=$1 version=$2 port=$3 cport=$4 major=${2%%.*}
    cat >"$dir/server.properties" <<EOF
# Written by kafka-broker.sh — single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.segment.bytes=16777216
log.retention.hours=24
log.retention.bytes=-1
log.retention.check.interval.ms=60000
log.cleaner.dedupe.buffer.size=16777216
socket.request.max.bytes=104857600
EOF
    if ((major >= 4)); then
        cat >>"$dir/server.properties" <<EOF
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
EOF
    fi
    # slf4j -> reload4j (the pom's binding) for 3.x and 4.x alike.
    cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/broker.log
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.raft=INFO
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.state.change.logger=WARN
EOF
    # For classes that use the log4j2 API directly (Kafka 4 pulls log4j-core).
    cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/broker-log4j2.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
EOF
    cat >"$dir/tools-log4j.properties" <<EOF
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

start() {
    local dir version libs port cport pid addr deadline
    [[ $# -ge 1 ]] || usage
    dir=$(abs_dir "$1")
    if [[ $# -ge 2 && -n $2 ]]; then
        version=$2
    elif [[ -n ${KAFKA_VERSION:-} ]]; then
        version=$KAFKA_VERSION
    elif [[ -s $dir/kafka.version ]]; then
        version=$(<"$dir/kafka.version")
    else
        version=$DEFAULT_VERSION
    fi
    command -v java >/dev/null || die "java not found"
    command -v kcat >/dev/null || die "kcat not found"

    # Already running for this DIR: nothing to do.
    pid=$(broker_pid "$dir")
    if [[ -n $pid ]]; then
        if [[ -s $dir/bootstrap ]] && answers "$(<"$dir/bootstrap")"; then
            log "broker already running (pid $pid)"
            cat "$dir/bootstrap"
            return 0
        fi
        log "broker pid $pid not answering; restarting it"
        stop "$dir"
    fi

    fetch "$version"
    libs=$(libs_dir "$version")

    port= cport=
    if [[ -f $dir/ports ]]; then
        # shellcheck disable=SC1091
        port=$(sed -n 's/^port=//p' "$dir/ports")
        cport=$(sed -n 's/^controller_port=//p' "$dir/ports")
    fi
    if [[ ! $port =~ ^[0-9]+$ || ! $cport =~ ^[0-9]+$ ]]; then
        port=$(pick_port)
        cport=$(pick_port "$port")
        printf 'port=%s\ncontroller_port=%s\n' "$port" "$cport" >"$dir/ports"
    else
        port_in_use "$port" && die "port $port (from $dir/ports) is in use by another process"
        port_in_use "$cport" && die "port $cport (from $dir/ports) is in use by another process"
    fi
    addr="127.0.0.1:$port"

    if [[ -s $dir/kafka.version && $(<"$dir/kafka.version") != "$version" && -f $dir/data/meta.properties ]]; then
        log "warning: $dir/data was formatted by Kafka $(<"$dir/kafka.version"), starting $version"
    fi
    write_configs "$dir" "$version" "$port" "$cport"
    echo "$version" >"$dir/kafka.version"

    if [[ ! -f $dir/data/meta.properties ]]; then
        mkdir -p "$dir/data"
        if ! java -Xmx256m -cp "$libs/*" \
                -Dlog4j.configuration="file:$dir/tools-log4j.properties" \
                -Dlog4j2.configurationFile="$dir/log4j2.properties" \
                kafka.tools.StorageTool format -t "$(cluster_id)" \
                -c "$dir/server.properties" >"$dir/format.log" 2>&1; then
            cat "$dir/format.log" >&2
            die "formatting $dir/data failed"
        fi
    fi

    rm -f "$dir/bootstrap" "$dir/broker.pid"
    # Keep the previous run's logs once, so a failure tail shows this run.
    local f
    for f in broker.log broker.out; do
        [[ -f $dir/$f ]] && mv -f "$dir/$f" "$dir/$f.prev"
    done
    echo "=== $(date '+%F %T') starting Kafka $version on $addr ===" >"$dir/broker.out"
    # New session (setsid) so the caller's job control / terminal signals do
    # not reach it; bash -c writes its own pid and execs java, so the pid
    # file holds java's pid.
    # shellcheck disable=SC2016
    setsid -f bash -c 'echo $$ >"$1/broker.pid"; shift; exec "$@"' _ "$dir" \
        java -Xms256m -Xmx768m ${KAFKA_JVM_OPTS:-} \
        -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$dir/log4j.properties" \
        -Dlog4j2.configurationFile="$dir/log4j2.properties" \
        -Dkafka.logs.dir="$dir" \
        -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
        </dev/null >>"$dir/broker.out" 2>&1

    deadline=$((SECONDS + START_TIMEOUT))
    # Wait for the pid file (written by the forked bash before exec).
    while [[ ! -s $dir/broker.pid ]] && ((SECONDS < deadline)); do sleep 0.05; done
    while :; do
        pid=$(broker_pid "$dir")
        if [[ -z $pid ]]; then
            tail_logs "$dir"
            rm -f "$dir/broker.pid"
            die "Kafka $version exited during startup (see $dir/broker.log)"
        fi
        # Cheap check for the listening socket first, then ask Kafka itself.
        if port_in_use "$port" && answers "$addr"; then
            break
        fi
        if ((SECONDS >= deadline)); then
            tail_logs "$dir"
            stop "$dir" || true
            die "Kafka $version did not answer on $addr within ${START_TIMEOUT}s"
        fi
        sleep 0.2
    done
    echo "$addr" >"$dir/bootstrap"
    log "Kafka $version running (pid $pid) on $addr"
    echo "$addr"
}

stop() {
    local dir pid i
    [[ $# -ge 1 ]] || usage
    [[ -d $1 ]] || return 0
    dir=$(cd "$1" && pwd)
    pid=$(broker_pid "$dir")
    if [[ -n $pid ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            log "broker pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                alive "$pid" || break
                sleep 0.1
            done
        fi
    fi
    rm -f "$dir/broker.pid" "$dir/bootstrap"
}

status() {
    local dir pid
    [[ $# -ge 1 ]] || usage
    [[ -d $1 ]] || return 1
    dir=$(cd "$1" && pwd)
    pid=$(broker_pid "$dir")
    [[ -n $pid && -s $dir/bootstrap ]] || return 1
    answers "$(<"$dir/bootstrap")"
}

restart() {
    local dir version
    [[ $# -ge 1 ]] || usage
    dir=$(abs_dir "$1")
    version=${2:-}
    [[ -n $version || ! -s $dir/kafka.version ]] || version=$(<"$dir/kafka.version")
    stop "$dir"
    start "$dir" ${version:+"$version"}
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
    fetch) fetch "${1:-${KAFKA_VERSION:-$DEFAULT_VERSION}}" ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    restart) restart "$@" ;;
    status) status "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac
