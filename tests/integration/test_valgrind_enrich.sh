#!/usr/bin/env bash
# `ingestd enrich` under valgrind (memcheck): the article fixtures, the fuzz
# targets' seeds and regression inputs, and one round of the hostile
# messages of test_hostile_input.sh, with no invalid access, no use of
# uninitialised memory and no leak (definite or indirect).
#
# valgrind cannot run a sanitizer build, which is what $INGESTD is here, so
# the test uses the plain (release) build in $SOURCE_ROOT/build/, which
# scripts/setup.sh makes and scripts/test.sh runs first; it brings it up to
# date with ninja, and fails when there is none. INGESTD_PLAIN names another
# plain build instead. No broker is needed.
source "$(dirname "$0")/lib.sh"

PLAIN=${INGESTD_PLAIN:-}
if [[ -z $PLAIN ]]; then
        [[ -f $SOURCE_ROOT/build/build.ninja ]] ||
                fail "no plain build in $SOURCE_ROOT/build (scripts/setup.sh makes one), and INGESTD_PLAIN is not set"
        ninja -C "$SOURCE_ROOT/build" daemon/ingestd >/dev/null || fail "cannot build $SOURCE_ROOT/build"
        PLAIN=$SOURCE_ROOT/build/daemon/ingestd
fi
[[ -x $PLAIN ]] || fail "$PLAIN is not an executable"
if ldd "$PLAIN" | grep -qE 'lib(asan|ubsan|tsan)'; then
        fail "$PLAIN is built with sanitizers; valgrind needs a plain build"
fi
command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/setup.sh --tests installs it)"
log "$($PLAIN --version) under $(valgrind --version)"

FIX=$SOURCE_ROOT/tests/fixtures
FUZZ=$SOURCE_ROOT/tests/fuzz
$PY "$SOURCE_ROOT/tests/integration/hostile_messages.py" "$WORK/hostile" 1
inputs=("$FIX"/articles/* "$FIX"/unit/*)
for d in "$FUZZ"/corpus/{parse_text,parse_json,normalize,pipeline} "$FUZZ"/regressions/*; do
        [[ -d $d ]] && inputs+=("$d"/*)
done
inputs+=("$WORK"/hostile/*.value)

# enrich's own status is 0 (all enriched) or 1 (some rejected: the hostile
# inputs are); valgrind's findings exit with 99.
status=0
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
        --log-file="$WORK/valgrind.log" "$PLAIN" enrich "${inputs[@]}" >"$WORK/out.jsonl" 2>"$WORK/enrich.err" ||
        status=$?
if ((status != 0 && status != 1)); then
        echo "--- valgrind" >&2
        head -n 80 "$WORK/valgrind.log" >&2
        fail "valgrind reports errors or leaks (exit $status)"
fi
grep -q "ERROR SUMMARY: 0 errors" "$WORK/valgrind.log" || fail "valgrind's summary is not clean: $(grep 'ERROR SUMMARY' "$WORK/valgrind.log")"
grep -q "definitely lost: 0 bytes\|All heap blocks were freed" "$WORK/valgrind.log" ||
        fail "valgrind found lost memory: $(grep -E 'definitely|indirectly' "$WORK/valgrind.log")"

# The fixtures themselves are all good articles.
enriched=$(wc -l <"$WORK/out.jsonl")
((enriched >= 12)) || fail "only $enriched records from ${#inputs[@]} inputs"
log "${#inputs[@]} inputs: $enriched records; $(tail -n 1 "$WORK/enrich.err")"
log "$(grep -E 'ERROR SUMMARY|in use at exit' "$WORK/valgrind.log" | sed 's/^==[0-9]*== //' | tr '\n' ' ')"
log "PASS"
