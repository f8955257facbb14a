#!/usr/bin/env bash
# `ingestd enrich`: JSON lines and text files to schema-valid JSON lines in
# input order; bad input reported on stderr with its position; the exit
# status says whether anything failed. No broker needed.
source "$(dirname "$0")/lib.sh"
FIX="$SOURCE_ROOT/tests/fixtures/articles"

"$INGESTD" enrich "$FIX/seed-2021-02-14.txt" "$FIX/multilingual.jsonl" >"$WORK/out.jsonl" 2>"$WORK/err.txt" ||
        fail "enrich of good files exited $?: $(cat "$WORK/err.txt")"
[[ ! -s "$WORK/err.txt" ]] || fail "stderr not empty: $(cat "$WORK/err.txt")"

printf '{"id":"ok-1","body":"First good line."}\n{"id": broken\n\n{"id":"ok-2","body":"Second good line."}\n{"id":"nobody"}\n' >"$WORK/mixed.jsonl"
status=0
"$INGESTD" enrich "$WORK/mixed.jsonl" >"$WORK/mixed.out" 2>"$WORK/mixed.err" || status=$?
[[ $status -eq 1 ]] || fail "exit status $status with rejected lines, want 1"
grep -q "mixed.jsonl:2: parse: malformed_json" "$WORK/mixed.err" || fail "line 2 not reported: $(cat "$WORK/mixed.err")"
grep -q "mixed.jsonl:5: parse: no_body" "$WORK/mixed.err" || fail "line 5 not reported: $(cat "$WORK/mixed.err")"

printf 'date 2021-03 First text article.\n---\n\n date 2021-04-02 Second text article.\n' >"$WORK/two.txt"
"$INGESTD" enrich -o 'enrich.text_separator=---' <"$WORK/two.txt" >"$WORK/two.out" || fail "separator split"

status=0
"$INGESTD" enrich "$WORK/does-not-exist" >/dev/null 2>&1 || status=$?
[[ $status -eq 2 ]] || fail "exit status $status for a missing file, want 2"

SOURCE_ROOT="$SOURCE_ROOT" $PY - "$WORK" <<'PYEOF' || fail "record checks"
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["SOURCE_ROOT"], "tests", "integration"))
from records import *
work = sys.argv[1]
v = validator()
def read(name):
    recs = [json.loads(l) for l in open(f"{work}/{name}")]
    for r in recs:
        v.validate(r)
    return recs
out = read("out.jsonl")
expect_eq([r["id"] for r in out][1:], ["fr-2021-0301", "de-2021-0302", "es-2021-0303", "ru-2021-0304", "fi-2021-0305", "el-2021-0306"], "input order")
expect_eq(out[0]["published_at"], "2021-02-14", "seed date")
check(out[0]["source"]["position"].endswith("seed-2021-02-14.txt:1"), "position of a text file")
expect_eq(out[3]["source"]["position"].rsplit(":", 1)[1], "3", "position of a JSON line")
mixed = read("mixed.out")
expect_eq([r["id"] for r in mixed], ["ok-1", "ok-2"], "good lines of a mixed file")
two = read("two.out")
expect_eq([r["published_at"] for r in two], ["2021-03", "2021-04-02"], "dates of separated text articles")
expect_eq([r["body"] for r in two], ["First text article.", "Second text article."], "bodies of separated text articles")
done()
PYEOF
log "PASS"
