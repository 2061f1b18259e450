#!/usr/bin/env bash
# del_cycles: the variant with gc disabled (GC=on for the other), 3 x 2,000
# requests with ab, a snapshot after each, then the cycle report.
SAMPLE=del_cycles
source "$(dirname "$0")/../lib/sample.sh"
APP=("$PY" app.py "{port}")
[ "${GC:-off}" = off ] && APP+=(--gc-off)
RENDER="--cycles"
LOAD() { ab -q -l -n 2000 -c 8 "http://127.0.0.1:$PORT/chat" | grep -E "^(Complete|Failed) requests"; }
EXTRA() {
	echo "== graphleak cycles $(basename "${SNAPS[-1]}")"
	"$GL" cycles "${SNAPS[-1]}" --limit 3
	"$GL" cycles "${SNAPS[-1]}" --json > "$OUT/cycles.json"
}
sample_main
