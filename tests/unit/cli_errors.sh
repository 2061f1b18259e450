#!/bin/sh
# cli_errors.sh GRAPHLEAK DATA_DIR WORK_DIR
# Exit codes and messages: usage errors exit 2 with a hint to --help, bad
# files exit 1 with the file's name and the problem, help exits 0.
set -u
gl=$1 data=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail=0

expect() { # want_rc, pattern (in stdout+stderr), command...
	want=$1 pat=$2; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ $rc -ne "$want" ]; then
		echo "FAIL (exit $rc, want $want): $*"; echo "$out" | head -5; fail=1
	elif ! printf '%s' "$out" | grep -q -- "$pat"; then
		echo "FAIL (no '$pat'): $*"; echo "$out" | head -5; fail=1
	else
		echo "ok: $*"
	fi
}

"$gl" import "$data/small.jsonl" -o good.snap || exit 1
head -c 1000 good.snap > cut.snap
: > empty.snap
mkdir adir
printf 'hello world, not a snapshot\n' > junk.snap
cp good.snap newer.snap && printf '\002' | dd of=newer.snap bs=1 seek=8 conv=notrunc 2>/dev/null

expect 0 "usage: graphleak COMMAND" "$gl" --help
expect 0 "examples:" "$gl" --help
expect 0 "graphleak 0" "$gl" --version
expect 2 "usage: graphleak COMMAND" "$gl"
expect 0 "usage: graphleak top" "$gl" help top
expect 0 "usage: graphleak info" "$gl" info --help
expect 0 "usage: graphleak export" "$gl" export -h
expect 0 "usage: graphleak import" "$gl" help import
expect 0 "usage: graphleak run" "$gl" run --help
expect 2 "unknown command 'frobnicate'" "$gl" frobnicate
expect 2 "see 'graphleak --help'" "$gl" --frob
expect 2 "unknown command 'nope'" "$gl" help nope
expect 2 "did you mean 'top'" "$gl" topp good.snap
expect 2 "did you mean 'suspects'" "$gl" help suspect
expect 0 "usage: graphleak COMMAND" "$gl" help --help
expect 0 "usage: graphleak COMMAND" "$gl" help help
expect 2 "unknown option '--frob'" "$gl" top good.snap --frob
expect 2 "graphleak top --help" "$gl" top good.snap --frob
expect 2 "takes a whole number (0: all)" "$gl" top good.snap --limit lots
expect 2 "did you mean --limit" "$gl" top good.snap --limt 3
expect 0 '"types"' "$gl" top good.snap --json -n2
expect 0 '"types"' "$gl" top good.snap --json -n 2
expect 0 '"types"' "$gl" top good.snap --json --limit=0
expect 2 "needs a value" "$gl" top good.snap --limit
expect 2 "no snapshot given" "$gl" info
expect 2 "no output given" "$gl" import "$data/small.jsonl"
expect 1 "missing.snap: cannot open" "$gl" info missing.snap
expect 1 "cut.snap: at byte" "$gl" top cut.snap
expect 1 "empty.snap: empty" "$gl" info empty.snap
expect 1 "adir: is a directory" "$gl" top adir
expect 1 "/dev/zero: not a regular file" "$gl" info /dev/zero
expect 1 "junk.snap: at byte 0: not a graphleak snapshot (bad magic)" "$gl" info junk.snap
expect 1 "newer than this graphleak (1.1); upgrade graphleak" "$gl" info newer.snap
expect 1 "JSON lines" "$gl" top "$data/small.jsonl"
expect 1 "already exists" "$gl" import "$data/small.jsonl" -o good.snap
expect 1 "junk.snap: line 1: not valid JSON" "$gl" import junk.snap -o x.snap
expect 1 "cannot open" "$gl" import nothere.jsonl -o x.snap
[ -e x.snap ] && { echo "FAIL: a failed import left x.snap"; fail=1; }
# found by fuzz_jsonl: import took a header that the loader refuses
sed 's/"graphleak-snapshot"/"graphl%ak-snapshot"/' "$data/small.jsonl" > badformat.jsonl
expect 1 "badformat.jsonl: line 1: header says this is not a graphleak snapshot" "$gl" import badformat.jsonl -o bf.snap
[ -e bf.snap ] && { echo "FAIL: a refused import left bf.snap"; fail=1; }
# the analysis commands
expect 2 "give one of --type NAME or --id ADDR" "$gl" path good.snap
expect 2 "give one of --type NAME or --id ADDR" "$gl" path good.snap --type a --id 0x10
expect 2 "--id takes an address" "$gl" path good.snap --id zork
expect 1 "no object of type 'Nope'" "$gl" path good.snap --type Nope
expect 1 "did you mean 'Record'" "$gl" path good.snap --type Recrod
expect 1 "no object at 0x8" "$gl" path good.snap --id 0x8
expect 2 "--min-share takes a share like 5%" "$gl" suspects good.snap --min-share 0
expect 2 "--min-share takes a share like 5%" "$gl" suspects good.snap --min-share 150
expect 0 "at least 5%" "$gl" suspects good.snap --min-share 5%
expect 0 "at least 5%" "$gl" suspects good.snap --min-share 0.05
expect 0 "at least 5%" "$gl" suspects good.snap --min-share 5
expect 0 "Leak suspects" "$gl" suspects good.snap --limit 0
expect 1 "cut.snap: at byte" "$gl" suspects cut.snap
expect 1 "missing.snap: cannot open" "$gl" cycles missing.snap
expect 2 "give two snapshots or more" "$gl" growth good.snap
expect 2 "--min-bytes takes a size" "$gl" growth good.snap good.snap --min-bytes lots
expect 1 "cut.snap: at byte" "$gl" growth good.snap cut.snap
expect 0 "Growing containers" "$gl" growth good.snap good.snap
expect 0 "usage: graphleak growth" "$gl" growth --help
expect 0 "usage: graphleak path" "$gl" help path
expect 0 "usage: graphleak suspects" "$gl" suspects -h
expect 0 "usage: graphleak cycles" "$gl" cycles --help
# memory cap from the END section's counts
expect 1 "more than --max-memory 1.00 KiB allows" "$gl" --max-memory 1K suspects good.snap
expect 0 "Leak suspects" "$gl" --max-memory=1G suspects good.snap
expect 2 "--max-memory takes a size" "$gl" --max-memory lots top good.snap
expect 1 "more than --max-memory" env GRAPHLEAK_MAX_MEMORY=2k "$gl" top good.snap
expect 2 "GRAPHLEAK_MAX_MEMORY takes a size" env GRAPHLEAK_MAX_MEMORY=x "$gl" top good.snap
# an unreadable file (as another user: the tests run as root)
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	cp good.snap private.snap && chmod 600 private.snap && chmod 755 . 
	expect 1 "private.snap: cannot open: Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$gl" info "$PWD/private.snap"
fi
expect 0 '"types"' "$gl" top good.snap --json --limit=2
exit $fail
