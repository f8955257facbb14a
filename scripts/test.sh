#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   1. installs the build and test dependencies (scripts/setup.sh --tests);
#   2. builds ingestd with AddressSanitizer and UndefinedBehaviorSanitizer in build-test/;
#   3. runs the cmocka unit tests;
#   4. fetches Apache Kafka (Maven) and starts a real single-node KRaft broker
#      on loopback (scripts/kafka-broker.sh), runs the integration tests
#      against it, and stops it again.
# Exits non-zero when any test fails. KAFKA_VERSION picks the broker
# (default 3.9.1); KAFKA_BOOTSTRAP reuses a running broker instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/setup.sh --tests

build=build-test
if [[ ! -f $build/build.ninja ]]; then
        meson setup "$build" --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build"

# Sanitizers: any finding fails the test; leaks included.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98"

status=0
meson test -C "$build" --suite unit --print-errorlogs || status=1
cp "$build/meson-logs/testlog.json" "$build/meson-logs/testlog-unit.json"
# libFuzzer targets, about a minute in all (FUZZ_SECONDS for longer runs).
fuzz=pass
scripts/fuzz.sh || { status=1; fuzz=fail; }

broker_dir=""
stop_broker() {
        if [[ -n "$broker_dir" ]]; then
                "$root/scripts/kafka-broker.sh" stop "$broker_dir" >/dev/null 2>&1 || true
                rm -rf "$broker_dir"
        fi
}
trap stop_broker EXIT
if [[ -z "${KAFKA_BOOTSTRAP:-}" ]]; then
        broker_dir=$(mktemp -d /tmp/ingestd-kafka.XXXXXX)
        KAFKA_BOOTSTRAP=$(scripts/kafka-broker.sh start "$broker_dir" | tail -n1)
fi
export KAFKA_BOOTSTRAP
echo "test: Kafka broker at $KAFKA_BOOTSTRAP" >&2
meson test -C "$build" --suite integration --print-errorlogs || status=1

# One closing line for the whole run, counted from meson's logs.
/usr/bin/python3 - "$build/meson-logs/testlog-unit.json" "$build/meson-logs/testlog.json" "$fuzz" <<'PYEOF' || true
import json, sys
ok = bad = skipped = 0
for line in (l for f in sys.argv[1:-1] for l in open(f)):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r == "SKIP":
        skipped += 1
    else:
        bad += 1
fuzz_ok = sys.argv[-1] == "pass"
print(f"{ok + fuzz_ok} passed, {bad + (not fuzz_ok)} failed, {skipped} skipped")
PYEOF
exit $status
