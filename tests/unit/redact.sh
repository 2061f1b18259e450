#!/bin/sh
# redact.sh GRAPHLEAK DATA_DIR WORK_DIR
# A secret planted in the heap (a dict key, a str value, an argument of the
# program) must appear in no output of a command run with --redact, and
# must appear without it (so this test can fail).
set -u
gl=$1 data=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail=0
secret=sk_live_S3CR3T_42
sed -e "s/user-2/$secret/" -e "s/\"argv\":\[\"service.py\"\]/\"argv\":[\"service.py\",\"--token=$secret\"]/" \
	"$data/holders.jsonl" > planted.jsonl
grep -q "$secret" planted.jsonl || { echo "FAIL: the secret was not planted"; exit 1; }
"$gl" import planted.jsonl -o planted.snap || exit 1
"$gl" import planted.jsonl -o planted2.snap || exit 1

run() { # name, command... : output of both streams to name.out
	name=$1; shift
	"$@" > "$name.out" 2>&1 || { echo "FAIL $name: exit $?"; cat "$name.out"; fail=1; }
}
for mode in plain redact; do
	r=""; [ $mode = redact ] && r=--redact
	run "$mode-path-id" "$gl" path planted.snap --id 0x11140 $r
	run "$mode-path-id-json" "$gl" path planted.snap --id 0x11140 --json $r
	run "$mode-path-type" "$gl" path planted.snap --type Profile $r
	run "$mode-suspects" "$gl" suspects planted.snap --min-share 1 --limit 50 --json $r
	run "$mode-cycles" "$gl" cycles planted.snap --json $r
	run "$mode-growth" "$gl" growth planted.snap planted2.snap --min-items 0 --min-bytes 0 --json $r
	run "$mode-export" "$gl" export planted.snap $r
	run "$mode-info" "$gl" info planted.snap --json $r
	run "$mode-render" "$gl" render planted.snap --backrefs Profile -o "$mode.dot" $r
	cat "$mode.dot" >> "$mode-render.out"
done
for f in redact-*.out; do
	if grep -q "$secret" "$f"; then echo "FAIL: $f shows the secret"; grep -m2 "$secret" "$f"; fail=1; fi
done
for f in plain-path-id.out plain-export.out plain-info.out plain-render.out; do
	grep -q "$secret" "$f" || { echo "FAIL: $f should show the secret without --redact"; fail=1; }
done
# a redacted export is still a snapshot, with the values withheld
"$gl" import redact-export.out -o reimported.snap > /dev/null 2>&1 || { echo "FAIL: redacted export does not import"; fail=1; }
[ $fail -eq 0 ] && echo "ok: no output shows the secret with --redact"
exit $fail
