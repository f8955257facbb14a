#!/usr/bin/env bash
# The unit files: `systemd-analyze verify` passes and `systemd-analyze
# security --offline=yes` rates each unit 2.0 or better. verify needs the
# ExecStart binary to exist, so it checks a copy whose command paths point
# at the binary under test. No broker needed.
source "$(dirname "$0")/lib.sh"
BUILD_UNITS=$(dirname "$INGESTD")/../systemd
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed"

# verify runs `man ingestd(8)` for Documentation=: give it the page.
mkdir -p "$WORK/man/man8"
cp "$SOURCE_ROOT/docs/ingestd.8" "$WORK/man/man8/"

for unit in ingestd.service ingestd@.service; do
        src="$BUILD_UNITS/$unit"
        [[ -f "$src" ]] || fail "$src was not generated"
        name=${unit/@./@test1.}
        bindir=$(sed -n 's#^ExecStart=\(.*\)/ingestd run.*#\1#p' "$src")
        sed "s#$bindir/ingestd#$INGESTD#g" "$src" >"$WORK/$name"
        if ! MANPATH="$WORK/man" systemd-analyze verify "$WORK/$name" >"$WORK/verify.txt" 2>&1 ||
           [[ -s "$WORK/verify.txt" ]]; then
                fail "systemd-analyze verify $unit: $(cat "$WORK/verify.txt")"
        fi
        systemd-analyze security --offline=yes "$src" >"$WORK/security.txt" 2>&1 || true
        score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$WORK/security.txt")
        [[ -n "$score" ]] || fail "no security rating for $unit: $(tail -5 "$WORK/security.txt")"
        $PY -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)" ||
                fail "$unit is rated $score, above 2.0: $(grep '✗' "$WORK/security.txt" | head -20)"
        log "$unit: verify clean, exposure $score"
done
log "PASS"
