#!/usr/bin/env bash
# untracked_payloads: 3 x 300 uploads of 64 KiB with ab -p, a snapshot after
# each, then what holds the (untracked) bytes.
SAMPLE=untracked_payloads
source "$(dirname "$0")/../lib/sample.sh"
APP=("$PY" app.py "{port}")
TYPE=bytes
LOAD() {
	head -c 65536 /dev/urandom > "$OUT/payload.bin"
	ab -q -l -n 300 -c 4 -p "$OUT/payload.bin" -T application/octet-stream "http://127.0.0.1:$PORT/upload" |
		grep -E "^(Complete|Failed) requests"
}
sample_main
