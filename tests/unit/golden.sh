#!/bin/sh
# golden.sh GRAPHLEAK DATA_DIR WORK_DIR
# Imports DATA_DIR/small.jsonl, runs info / top / top --json on it and
# compares each output with DATA_DIR/golden/<name>.out; then checks that
# export -> import -> export gives the fixture back byte for byte. It also
# runs path, suspects, cycles and top on holders.jsonl (data/make_holders.py).
# With GL_UPDATE_GOLDEN=1 the expected files are rewritten instead.
set -u
gl=$1 data=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail=0

"$gl" import "$data/small.jsonl" -o small.snap || { echo "import failed"; exit 1; }

check() { # name, command...
	name=$1; shift
	"$@" > "$name.out" 2> "$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit $rc"; cat "$name.err"; fail=1; return
	fi
	if [ "${GL_UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$data/golden" && cp "$name.out" "$data/golden/$name.out"
		echo "updated $name"
	elif ! diff -u "$data/golden/$name.out" "$name.out"; then
		echo "FAIL $name: output differs from $data/golden/$name.out"; fail=1
	else
		echo "ok $name"
	fi
}

check info "$gl" info small.snap
check info-json "$gl" info small.snap --json
check top "$gl" top small.snap
check top-limit "$gl" top small.snap --limit 3
check top-json "$gl" top small.snap --json
check top-tracked-json "$gl" top small.snap --tracked-only --json --limit 0

# the analysis commands on holders.jsonl (made by data/make_holders.py): one
# object behind each kind of holder, cyclic garbage, gc.garbage
"$gl" import "$data/holders.jsonl" -o holders.snap || { echo "import holders failed"; exit 1; }
check path-id "$gl" path holders.snap --id 0x11100
check path-id-json "$gl" path holders.snap --id 0x11180 --json
check path-type "$gl" path holders.snap --type list
check path-closure "$gl" path holders.snap --type Visit
check path-type-json "$gl" path holders.snap --type Profile --json
check suspects "$gl" suspects holders.snap --min-share 5
check suspects-json "$gl" suspects holders.snap --min-share 20 --json
check cycles "$gl" cycles holders.snap
check cycles-json "$gl" cycles holders.snap --json
check top-retained "$gl" top holders.snap --limit 6

# export -> import -> export
"$gl" export small.snap -o e1.jsonl || { echo "FAIL export"; fail=1; }
cmp e1.jsonl "$data/small.jsonl" || { echo "FAIL export differs from the fixture"; fail=1; }
"$gl" import e1.jsonl -o again.snap || { echo "FAIL re-import"; fail=1; }
"$gl" export again.snap > e2.jsonl || { echo "FAIL re-export"; fail=1; }
cmp e1.jsonl e2.jsonl || { echo "FAIL export -> import -> export differs"; fail=1; }
[ $fail -eq 0 ] && echo "ok export/import round trip"
exit $fail
