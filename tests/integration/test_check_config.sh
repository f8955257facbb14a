#!/usr/bin/env bash
# `ingestd check-config`: the shipped file is valid; errors name the file,
# the line and the key; secrets are masked; -o and the environment apply.
source "$(dirname "$0")/lib.sh"
CONF="$SOURCE_ROOT/config/ingestd.conf"

"$INGESTD" check-config -c "$CONF" >"$WORK/effective.conf" || fail "the shipped config does not validate"
grep -q '^input = articles.raw$' "$WORK/effective.conf" || fail "effective config lacks topics.input"

"$INGESTD" default-config | diff -u - "$CONF" >"$WORK/diff.txt" ||
        fail "config/ingestd.conf differs from 'ingestd default-config': $(head -20 "$WORK/diff.txt")"

printf '[topics]\ninput = a\n\n[parse]\nformat = xml\n' >"$WORK/bad-enum.conf"
! "$INGESTD" check-config -c "$WORK/bad-enum.conf" 2>"$WORK/err" >/dev/null || fail "a bad enum value passed"
grep -q "bad-enum.conf:5: parse.format: 'xml' is not one of auto|text|json" "$WORK/err" || fail "bad enum message: $(cat "$WORK/err")"

printf '[topics]\ninput = a\ninptu = b\n' >"$WORK/unknown.conf"
! "$INGESTD" check-config -c "$WORK/unknown.conf" 2>"$WORK/err" >/dev/null || fail "an unknown key passed"
grep -q "unknown.conf:3: topics.inptu: unknown key" "$WORK/err" || fail "unknown key message: $(cat "$WORK/err")"

printf '[kafka]\nsocket.timeout.mz = 10\n' >"$WORK/rdkafka.conf"
! "$INGESTD" check-config -c "$WORK/rdkafka.conf" 2>"$WORK/err" >/dev/null || fail "an unknown librdkafka property passed"
grep -q "rdkafka.conf:2: kafka.socket.timeout.mz" "$WORK/err" || fail "librdkafka key message: $(cat "$WORK/err")"

printf '[kafka.consumer]\nenable.auto.offset.store = true\n' >"$WORK/unsafe.conf"
! "$INGESTD" check-config -c "$WORK/unsafe.conf" 2>"$WORK/err" >/dev/null || fail "enable.auto.offset.store=true passed"
grep -q "ingestd needs false" "$WORK/err" || fail "unsafe override message: $(cat "$WORK/err")"

printf '[kafka]\nsasl.password = hunter2\nsasl.username = bob\n' >"$WORK/secret.conf"
"$INGESTD" check-config -c "$WORK/secret.conf" >"$WORK/out" || fail "secret.conf rejected"
grep -q hunter2 "$WORK/out" && fail "a password was printed"
grep -q 'sasl.password = \*\*\*\*\*\*\*\*' "$WORK/out" || fail "the password is not shown masked"

INGESTD_TOPICS_OUTPUT=from-env "$INGESTD" check-config -c "$CONF" -o parse.format=json >"$WORK/out" || fail "env/-o"
grep -A1 '^# from: env INGESTD_TOPICS_OUTPUT$' "$WORK/out" | grep -q '^output = from-env$' || fail "env override not applied"
grep -A1 '^# from: -o$' "$WORK/out" | grep -q '^format = json$' || fail "-o override not applied"
# The printed configuration loads again as it is.
"$INGESTD" check-config -c "$WORK/out" >/dev/null || fail "check-config output does not load back"
log "PASS"
