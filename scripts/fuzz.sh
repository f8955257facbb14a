#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ for a while, each from a copy of
# its seed corpus, and fails when any of them finds a crash, a leak, a
# sanitizer report, a hang or a broken invariant.
#
#   scripts/fuzz.sh                     about a minute in all (the test suite's run)
#   FUZZ_SECONDS=3600 scripts/fuzz.sh   an hour in all, for a release
#   FUZZ_TARGETS="parse_json pipeline" FUZZ_SECONDS=600 scripts/fuzz.sh
#
# FUZZ_SECONDS is the total, shared equally by the targets run (default 60).
# The build is build-fuzz/ (clang, AddressSanitizer, UndefinedBehaviorSanitizer,
# coverage instrumentation); clang and its fuzzer runtime are installed with
# apt when missing. Each target's working corpus, build-fuzz/fuzz/<target>/corpus,
# is kept between runs, so later runs start from what earlier ones found; a
# crash input is written beside it and printed, with the command that
# replays it. A crash that is fixed becomes a regression test: copy the input
# to tests/fuzz/regressions/<target>/ (replayed by the unit test
# fuzz_regressions).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=build-fuzz

scripts/setup.sh --tests

# clang, and libFuzzer's runtime (on Debian 12, libclang-rt-14-dev: only
# recommended by clang, so not there after --no-install-recommends).
fuzzer_links() {
        echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
                clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1
}
if ! command -v clang >/dev/null || ! fuzzer_links; then
        SUDO=""
        [[ $(id -u) -eq 0 ]] || SUDO="sudo"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends clang >/dev/null
        major=$(clang -dumpversion | cut -d. -f1)
        fuzzer_links || $SUDO apt-get install -y -qq --no-install-recommends "libclang-rt-$major-dev" >/dev/null
        fuzzer_links || { echo "fuzz: clang cannot link -fsanitize=fuzzer programs" >&2; exit 1; }
fi

if [[ ! -f $build/build.ninja ]]; then
        CC=clang CXX=clang++ meson setup "$build" -Dfuzz=true -Dtests=true \
                -Db_sanitize=address,undefined -Db_lundef=false \
                -Dc_args=-fsanitize=fuzzer-no-link -Dcpp_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$build" build.ninja >/dev/null    # regenerated first when a meson.build changed

# [target]=longest input: a message needs room for headers and a body; a
# date or a fingerprint does not.
declare -A max_len=(
        [parse_text]=16384 [parse_json]=16384 [normalize]=16384 [clean]=16384 [metadata]=16384 [pipeline]=16384
        [utf8]=4096 [config]=16384 [iso_date]=128 [dedup_fingerprint]=4096
)
targets=()
for t in ${FUZZ_TARGETS:-parse_text parse_json utf8 normalize clean metadata pipeline config iso_date dedup_fingerprint}; do
        if grep -q "^build tests/fuzz/fuzz_$t:" "$build/build.ninja"; then
                targets+=("$t")
        else
                echo "fuzz: no target fuzz_$t in $build (see tests/fuzz/meson.build)" >&2
                exit 1
        fi
done
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz_}" >/dev/null
total=${FUZZ_SECONDS:-60}
each=$((total / ${#targets[@]}))
((each >= 1)) || each=1

# Every sanitizer finding is a crash; leaks too.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1"

status=0
for t in "${targets[@]}"; do
        work="$root/$build/fuzz/$t"
        mkdir -p "$work/corpus"
        if [[ -d tests/fuzz/corpus/$t ]]; then
                cp -n tests/fuzz/corpus/"$t"/* "$work/corpus/" 2>/dev/null || true
        fi
        log="$work/last-run.log"
        rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*
        r=0
        "$build/tests/fuzz/fuzz_$t" "$work/corpus" -max_total_time="$each" -max_len="${max_len[$t]:-4096}" \
                -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" \
                >"$log" 2>&1 || r=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
        if ((r == 0)); then
                printf 'fuzz: %-18s %4ss  %9s runs  %5s inputs in corpus  ok\n' "$t" "$each" "${execs:-?}" \
                        "$(find "$work/corpus" -type f | wc -l)"
                continue
        fi
        status=1
        echo "fuzz: $t FAILED (exit $r); log: $log" >&2
        grep -E 'ERROR|invariant broken|runtime error|SUMMARY' "$log" | head -n 20 >&2 || tail -n 30 "$log" >&2
        for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
                [[ -f $f ]] || continue
                echo "fuzz: input: $f ($(stat -c %s "$f") bytes): $(head -c 96 "$f" | od -An -c | tr -s ' \n' ' ')" >&2
                echo "fuzz: replay: $build/tests/fuzz/fuzz_$t $f" >&2
        done
done
exit $status
