#!/usr/bin/env bash
# End to end against a real broker: the seed article, JSON articles in six
# languages and every kind of bad input go in with kcat; the test checks,
# field by field, the enriched records and the dead letters that come out,
# then that SIGTERM exits 0 with the offsets committed (a restarted instance
# of the same group has nothing left to do).
source "$(dirname "$0")/lib.sh"
ensure_broker

IN="raw-$RUN_ID" OUT="enriched-$RUN_ID" DLQ="dlq-$RUN_ID" GROUP="group-$RUN_ID"
create_topic "$IN" 3
create_topic "$OUT" 3
create_topic "$DLQ" 1
FIX="$SOURCE_ROOT/tests/fixtures/articles"

ARGS=(-o "topics.input=$IN" -o "topics.output=$OUT" -o "topics.deadletter=$DLQ"
      -o "kafka.consumer.group.id=$GROUP" -o parse.max_message_bytes=200000)
start_ingestd a "${ARGS[@]}"

log "producing good articles"
kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -k seed-1 -H trace=t-seed "$FIX/seed-2021-02-14.txt"
$PY -c 'import json, sys
for line in open(sys.argv[1]):
    print(json.loads(line)["id"] + "\t" + line.strip())' "$FIX/multilingual.jsonl" |
        kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -K '\t' -H trace=t-json
printf 'Le caf\xe9 de la gare a rouvert ses portes apr\xe8s des ann\xe9es de travaux.' >"$WORK/latin1.txt"
kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -k latin1 "$WORK/latin1.txt"
echo '{"title":"Keyless","body":"An article with neither id nor key.","date":"Sun, 14 Feb 2021 10:00:00 +0100"}' >"$WORK/keyless.json"
kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" "$WORK/keyless.json"

log "producing bad input"
: >"$WORK/empty"
$PY -c 'import sys; sys.stdout.write("word " * 60000)' >"$WORK/large"           # 300 kB > 200000
$PY -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(4096)))' >"$WORK/binary"
printf '\x00\x00\x00\x00 nul bytes and little else \x00\x00\x00\x00\x00\x00\x00\x00' >"$WORK/nul"
printf '{"id": "broken", "body": "unterminated' >"$WORK/malformed"
printf '{"id": "nobody", "title": "A title but no text"}' >"$WORK/nobody"
printf '   \n\n\t  \r\n  ' >"$WORK/whitespace"
printf '{"id": "badutf8", "body": "\xff\xfe\xfd\xfc\xc0\xaf\xed\xa0\x80 mostly broken \xff\xff\xff"}' >"$WORK/badutf8"
for k in large binary nul malformed nobody whitespace badutf8; do
        kcat -P -b "$KAFKA_BOOTSTRAP" -t "$IN" -k "bad-$k" "$WORK/$k"
done
"$KTOPIC" -b "$KAFKA_BOOTSTRAP" produce "$IN" bad-empty "$WORK/empty"

wait_count "$OUT" 9
wait_count "$DLQ" 8
sleep 1
dump "$OUT" "$WORK/out.json"
dump "$DLQ" "$WORK/dlq.json"
kcat -C -b "$KAFKA_BOOTSTRAP" -t "$DLQ" -e -q -f '%k\t%S\n' >"$WORK/dlq-sizes.tsv"
for k in empty large binary nul malformed nobody whitespace badutf8; do
        printf 'bad-%s\t%s\n' "$k" "$(stat -c %s "$WORK/$k")"
done >"$WORK/sent-sizes.tsv"

log "checking records"
SOURCE_ROOT="$SOURCE_ROOT" IN="$IN" $PY - "$WORK" <<'PYEOF' || fail "record checks"
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["SOURCE_ROOT"], "tests", "integration"))
from records import *

work = sys.argv[1]
topic = os.environ["IN"]
recs = records(f"{work}/out.json")
by_id = {}
for env, rec in recs:
    check(rec["id"] not in by_id, f"{rec['id']} published twice")
    by_id[rec["id"]] = (env, rec)
    expect_eq(env["key"], rec["id"], "record key is the article id")
    expect_eq(rec["source"]["topic"], topic, "source.topic")
    check(isinstance(rec["source"]["offset"], int), "source.offset is an integer")

json_ids = ["fr-2021-0301", "de-2021-0302", "es-2021-0303", "ru-2021-0304", "fi-2021-0305", "el-2021-0306"]
want_ids = {"seed-1", "latin1", *json_ids}
keyless = [i for i in by_id if i not in want_ids]
expect_eq(len(keyless), 1, "one record with a content-hash id")
expect_eq(set(by_id) - set(keyless), want_ids, "published ids")

env, seed = by_id["seed-1"]
expect_eq(env["headers"].get("trace"), "t-seed", "input headers carried over")
expect_eq(seed["published_at"], "2021-02-14", "seed published_at")
expect_eq(seed["published_at_origin"], "header", "seed published_at_origin")
check(seed["body"].startswith("Street demonstrations have been suspended"), "seed body starts after the header")
check("date 2021" not in seed["body"], "the date header is not in the body")
expect_eq(seed["metadata"]["paragraph_count"], 13, "seed paragraphs")
check(400 <= seed["metadata"]["word_count"] <= 440, f"seed word count {seed['metadata']['word_count']}")
check(20 <= seed["metadata"]["sentence_count"] <= 28, f"seed sentences {seed['metadata']['sentence_count']}")
expect_eq(seed["ingest"]["id_origin"], "key", "seed id from the Kafka key")
expect_eq(seed["ingest"]["input_format"], "text", "seed input format")
expect_eq(seed["language"]["code"], "en", "seed language")
expect_eq(seed["language"]["name"], "English", "seed language name")
expect_eq(seed["language"]["reliable"], True, "seed language reliable")
check(0.9 <= seed["language"]["confidence"] <= 1, f"seed language confidence {seed['language']['confidence']}")
check("hint_agrees" not in seed["language"], "no hint, no hint_agrees")
sm = seed["metadata"]
names = lambda k, m=sm: [e["name"] for e in m[k]]
for p in ("Alexei Navalny", "Leonid Volkov", "Vladimir Putin"):
    check(p in names("people"), f"seed person {p}: {names('people')}")
expect_eq(len(sm["people"]), 3, "seed people merged (Navalny, Navalnyi, Navalny's … one person)")
for l in ("Russia", "Germany", "Berlin", "Siberia", "Lithuania"):
    check(l in names("locations"), f"seed location {l}: {names('locations')}")
expect_eq(sm["cited_sources"], ["Reuters"], "seed cited sources")
expect_eq(sorted(q.get("speaker") for q in sm["quotes"]), ["Leonid Volkov", "Vladimir Putin"], "seed quote speakers")
dates = {d["date"]: d for d in sm["dates_mentioned"]}
check("2021-02-14" in dates and "2021-02-11" in dates, f"seed dates {sorted(dates)}")
expect_eq(dates.get("2021-02-11", {}).get("text"), "Thursday", "on Thursday is 2021-02-11")
expect_eq(sm["removed_lines"], 0, "nothing removed from the seed")
expect_eq(seed["title_origin"], "text", "seed title from the first sentence")
check(seed["lead"].startswith("Street demonstrations"), "seed lead")
check(0 < len(sm["keywords"]) <= 10, "seed keywords")

_, fr = by_id["fr-2021-0301"]
expect_eq(fr["title"], "Grève dans les transports parisiens", "fr title")
expect_eq(fr["published_at"], "2021-03-01T07:30:00Z", "fr date converted to UTC")
expect_eq(fr["publisher"], "Le Quotidien", "fr publisher")
expect_eq(fr["authors"], ["Claire Martin"], "fr authors")
expect_eq(fr["language_hint"], "fr", "fr language hint")
expect_eq(fr["url"], "https://example.org/fr/greve-transports", "fr url")
expect_eq(fr["metadata"]["paragraph_count"], 3, "fr paragraphs")
_, de = by_id["de-2021-0302"]
expect_eq(de["publisher"], "Tagesblatt", "de publisher from an object")
expect_eq(de["authors"], ["Anna Schmidt"], "de author from a string")
_, ru = by_id["ru-2021-0304"]
check(ru["body"].startswith("В Новосибирске"), "ru body")
check(25 <= ru["metadata"]["word_count"] <= 40, f"ru word count {ru['metadata']['word_count']}")
expect_eq(ru["metadata"]["sentence_count"], 4, "ru sentences")
_, el = by_id["el-2021-0306"]
expect_eq(el["metadata"]["paragraph_count"], 3, "el paragraphs")
want_meta = {   # id: (a person, the quote's speaker, the cited source)
    "fr-2021-0301": ("Jean Dupont", "Jean Dupont", "AFP"),
    "de-2021-0302": ("Henriette Reker", "Henriette Reker", "dpa"),
    "es-2021-0303": ("Carlos Ruiz", "Carlos Ruiz", "EFE"),
    "ru-2021-0304": ("Анатолий Локоть", "Анатолий Локоть", "TASS"),
}
for i, (person, speaker, source) in want_meta.items():
    m = by_id[i][1]["metadata"]
    check(person in [e["name"] for e in m["people"]], f"{i} person {person}: {m['people']}")
    expect_eq([q.get("speaker") for q in m["quotes"]], [speaker], f"{i} quote speaker")
    expect_eq(m["cited_sources"], [source], f"{i} cited source")
    expect_eq(by_id[i][1]["title_origin"], "input", f"{i} title from the input")
expect_eq([e["name"] for e in fr["metadata"]["locations"]], ["Paris"], "fr locations")
check("Köln" in [e["name"] for e in de["metadata"]["locations"]], "de location Köln")
expect_eq([d["date"] for d in de["metadata"]["dates_mentioned"]], ["2021-03-02"], "de: am Dienstag is the publication day")
for i in json_ids:
    expect_eq(by_id[i][0]["headers"].get("trace"), "t-json", f"{i} headers")
    expect_eq(by_id[i][1]["ingest"]["id_origin"], "field", f"{i} id origin")
    # Detected on the body: the id's prefix; the input's language field is a hint it bears out.
    lang = by_id[i][1]["language"]
    expect_eq(lang["code"], i.split("-")[0], f"{i} detected language")
    expect_eq(lang["reliable"], True, f"{i} language reliable")
    expect_eq(by_id[i][1]["language_hint"], i.split("-")[0], f"{i} language hint kept")
    expect_eq(lang.get("hint_agrees"), True, f"{i} hint agrees")

_, lat = by_id["latin1"]
expect_eq(lat["body"], "Le café de la gare a rouvert ses portes après des années de travaux.", "latin-1 transcoded")
expect_eq(lat["ingest"].get("transcoded"), True, "transcoded flag")
expect_eq(lat["language"]["code"], "fr", "latin-1 language, after transcoding")

_, kl = by_id[keyless[0]]
expect_eq(kl["ingest"]["id_origin"], "content_hash", "keyless id origin")
expect_eq(len(kl["id"]), 32, "content hash id is 128-bit hex")
expect_eq(kl["published_at"], "2021-02-14T09:00:00Z", "RFC 2822 date")

want_errors = {
    "bad-empty": ("empty", "parse"),
    "bad-large": ("too_large", "parse"),
    "bad-binary": ("invalid_utf8", "normalize"),
    "bad-nul": ("binary", "normalize"),
    "bad-malformed": ("malformed_json", "parse"),
    "bad-nobody": ("no_body", "parse"),
    "bad-whitespace": ("empty_body", "normalize"),
    "bad-badutf8": ("invalid_utf8", "parse"),
}
dlq = load(f"{work}/dlq.json")
got = {}
for env in dlq:
    check(env["key"] not in got, f"{env['key']} dead-lettered twice")
    got[env["key"]] = env
expect_eq(set(got), set(want_errors), "dead-lettered keys")
for k, (code, stage) in want_errors.items():
    if k not in got:
        continue
    h = got[k]["headers"]
    expect_eq(h.get("ingestd.error"), code, f"{k} ingestd.error")
    expect_eq(h.get("ingestd.stage"), stage, f"{k} ingestd.stage")
    check(h.get("ingestd.error.message"), f"{k} has an error message")
    expect_eq(h.get("ingestd.source.topic"), topic, f"{k} source topic header")
    check(h.get("ingestd.source.offset", "").isdigit(), f"{k} source offset header")
sent = dict(l.rstrip("\n").split("\t") for l in open(f"{work}/sent-sizes.tsv"))
kept = dict(l.rstrip("\n").split("\t") for l in open(f"{work}/dlq-sizes.tsv") if l.strip())
for k, size in sent.items():
    expect_eq(kept.get(k), size, f"{k} dead-lettered unchanged (bytes)")
done()
print(f"  {len(recs)} records and {len(dlq)} dead letters checked")
PYEOF

log "SIGTERM"
stop_ingestd a
log "stopped in ${STOP_SECONDS}s"
grep -q "consumed=17 published=9 dead_lettered=8" "$WORK/ingestd-a.log" || fail "shutdown counts"

log "restart: offsets were committed, nothing is processed again"
start_ingestd b "${ARGS[@]}"
sleep 3
[[ $(count "$OUT") -eq 9 ]] || fail "records were republished after a clean restart"
[[ $(count "$DLQ") -eq 8 ]] || fail "dead letters were republished after a clean restart"
stop_ingestd b
grep -q "consumed=0 " "$WORK/ingestd-b.log" || fail "the restarted instance consumed again"
log "PASS"
