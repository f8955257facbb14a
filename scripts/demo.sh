#!/usr/bin/env bash
# The demo: sets everything up, starts ingestd on its embedded broker (no
# Kafka needed, built-in default configuration), sends it the sample
# articles with kcat, and prints the enriched records and the dead letters
# that come out. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

work=$(mktemp -d)
daemon_pid=""
cleanup() {
        if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
                kill -TERM "$daemon_pid"
                wait "$daemon_pid" || true
        fi
        rm -rf "$work"
}
trap cleanup EXIT

./build/daemon/ingestd run --embedded-broker -o ingestd.instance=demo 2>"$work/ingestd.log" &
daemon_pid=$!
for _ in $(seq 100); do
        grep -q '^bootstrap: ' "$work/ingestd.log" && break
        sleep 0.1
done
bootstrap=$(sed -n 's/^bootstrap: //p' "$work/ingestd.log" | head -n1)
[[ -n "$bootstrap" ]] || { cat "$work/ingestd.log" >&2; exit 1; }
echo "== ingestd is running on the embedded broker at $bootstrap"

samples=tests/fixtures/articles
echo "== producing: the raw article $samples/seed-2021-02-14.txt, the JSON articles of $samples/multilingual.jsonl, and one broken message"
kcat -P -b "$bootstrap" -t articles.raw -k seed-2021-02-14 "$samples/seed-2021-02-14.txt"
# One message per line, keyed by the article id.
python3 -c 'import json, sys
for line in open(sys.argv[1]):
    print(json.loads(line)["id"] + "\t" + line.strip())' "$samples/multilingual.jsonl" |
        kcat -P -b "$bootstrap" -t articles.raw -K '	'
printf '{"id": "broken", "body": ' | kcat -P -b "$bootstrap" -t articles.raw -k broken

expected=$((1 + $(wc -l <"$samples/multilingual.jsonl")))
echo "== waiting for $expected enriched records on articles.enriched"
for _ in $(seq 100); do
        n=$(kcat -C -b "$bootstrap" -t articles.enriched -e -q -f 'x\n' 2>/dev/null | wc -l)
        ((n >= expected)) && break
        sleep 0.2
done

echo "== articles.enriched (body shortened for the screen):"
kcat -C -b "$bootstrap" -t articles.enriched -e -q -f '%s\n' | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if len(r.get("body", "")) > 160:
        r["body"] = r["body"][:160] + "…"
    print(json.dumps(r, ensure_ascii=False, indent=2))'
echo "== articles.deadletter (headers, then the message as it came):"
kcat -C -b "$bootstrap" -t articles.deadletter -e -q -f 'headers: %h\nmessage: %s\n'
echo "== ingestd's log:"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=""
cat "$work/ingestd.log"
