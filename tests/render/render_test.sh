#!/bin/sh
# render_test.sh GRAPHLEAK DOTCHECK XMLLINT PYTHON DATA_DIR UNIT_DATA_DIR WORK_DIR
# `graphleak render` end to end; see CMakeLists.txt for what is checked.
set -u
gl=$1 dotcheck=$2 xmllint=$3 py=$4 data=$5 unitdata=$6 work=$7
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail=0
SECRET=hunter2

ok() { printf "ok: %s\n" "$*"; }
bad() { printf "FAIL: %s\n" "$*"; fail=1; }

# run: the command must exit 0
run() {
	if out=$("$@" 2>&1); then ok "$*"; else bad "$* (exit $?)"; echo "$out" | head -5; fi
}
# expect want_rc pattern command...: exit code and a message
expect() {
	want=$1 pat=$2; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ $rc -ne "$want" ]; then
		bad "exit $rc, want $want: $*"; echo "$out" | head -5
	elif ! printf '%s' "$out" | grep -q -- "$pat"; then
		bad "no '$pat' in the output of: $*"; echo "$out" | head -5
	else
		ok "$*"
	fi
}
# has FILE fixed-string: FILE contains the string (in SVG, Graphviz writes
# '-' as &#45;: compared as '-')
text() { sed 's/&#45;/-/g' "$1"; }
has() {
	if [ ! -s "$1" ]; then bad "$1 is missing or empty"; return; fi
	if text "$1" | grep -qF -- "$2"; then ok "$1 has: $2"; else bad "$1 lacks: $2"; fi
}
hasnt() {
	if [ ! -s "$1" ]; then bad "$1 is missing or empty"; return; fi
	if text "$1" | grep -qF -- "$2"; then bad "$1 has: $2"; else ok "$1 has no: $2"; fi
}
wellformed() { if "$xmllint" --noout "$1"; then ok "$1 is well-formed XML"; else bad "$1 is not well-formed XML"; fi; }
parses() { # DOT through cgraph, the result kept in $1.parsed
	if "$dotcheck" "$1" > "$1.parsed"; then ok "$1 parses back with cgraph"; else bad "$1 does not parse back"; fi
}

"$py" "$data/make_hostile.py" || exit 1
"$gl" import hostile.jsonl -o hostile.snap || exit 1
"$gl" import "$unitdata/holders.jsonl" -o holders.snap || exit 1
CACHE=$("$gl" export hostile.snap | grep '"type":"dict"' | grep '"length":9,' | sed 's/.*"addr":"\(0x[0-9a-f]*\)".*/\1/')
EVIL=$("$gl" export hostile.snap | grep -m1 'Evil' | sed 's/.*"addr":"\(0x[0-9a-f]*\)".*/\1/')
SESSION=$("$gl" export hostile.snap | grep -m1 '"type":"app.Session"' | sed 's/.*"addr":"\(0x[0-9a-f]*\)".*/\1/')
[ -n "$CACHE" ] && [ -n "$SESSION" ] && [ -n "$EVIL" ] || { echo "FAIL: fixture addresses"; exit 1; }

# --- every mode, SVG well-formed and DOT parsed back ---------------------
for m in "--backrefs Session" "--backrefs Item" "--backrefs Node" "--id $SESSION" "--refs $CACHE" \
	 "--cycles" "--suspects --min-share 1" "--backrefs Session --redact" "--refs $CACHE --redact" \
	 "--id $EVIL" "--referrers $SESSION" "--referrers $SESSION --redact"; do
	name=$(echo "$m" | tr -c 'a-zA-Z0-9\n' '_')
	# shellcheck disable=SC2086
	run "$gl" render hostile.snap $m -o "$name.svg"
	wellformed "$name.svg"
	# shellcheck disable=SC2086
	run "$gl" render hostile.snap $m -o "$name.dot"
	parses "$name.dot"
done
for m in "--backrefs list" "--cycles" "--suspects --min-share 1"; do
	name=h$(echo "$m" | tr -c 'a-zA-Z0-9\n' '_')
	# shellcheck disable=SC2086
	run "$gl" render holders.snap $m -o "$name.svg"
	wellformed "$name.svg"
	# shellcheck disable=SC2086
	run "$gl" render holders.snap $m -o "$name.dot"
	parses "$name.dot"
done

# --- the root holder is marked and named; the legend says so --------------
P=__backrefs_Session.dot.parsed
if grep -P '^node .*\tperipheries=2\tfillcolor=#ffe082\tlabel=ROOT HOLDER: module app, global cache' "$P" >/dev/null; then
	ok "root holder node marked (double border, gold) and named"
else bad "root holder node not marked in $P"; fi
has __backrefs_Session.svg 'ROOT HOLDER: module app, global cache'
has __backrefs_Session.svg 'ROOT HOLDER: the nearest'
# who refers to one Session, backwards: the cache's dict, the holder marked
has "__referrers_${SESSION}.svg" 'ROOT HOLDER: module app, global cache'
has "__referrers_${SESSION}.svg" 'Who refers to app.Session'
has h__backrefs_list.svg 'ROOT HOLDER: thread worker-1, frame consume(), local backlog'
has h__backrefs_list.svg 'ROOT HOLDER: class Registry, attribute _instances'
has h__backrefs_list.svg 'ROOT HOLDER: function remember, __defaults__[0]'

# --- edge labels carry the keys and names ---------------------------------
P=__refs_${CACHE}.dot.parsed
grep -q "^edge .*label= \['<script>alert(1)</script>'\] $" "$P" && ok "dict key on its edge" || bad "no <script> key edge in $P"
grep -q "^edge .*label= \['hunter2identKey'\] $" "$P" && ok "identifier key on its edge" || bad "no identifier key edge"
grep -q "^edge .*label= .token $" "$P" && ok "attribute on its edge" || bad "no .token edge"
has __backrefs_Session.svg '.cache'
has h__backrefs_list.svg 'local backlog'
has h__backrefs_list.svg '._instances'

# --- hostile text is escaped ------------------------------------------------
S=__refs_${CACHE}.svg
hasnt "$S" '<script>'
has "$S" '&lt;script&gt;alert(1)&lt;/script&gt;'
hasnt "$S" '<!-- -->'                    # a comment in a key stays text
has "$S" '&amp;amp;x; &amp;bogus; &amp;#60;i&amp;#62;'   # entities shown as typed
has "$S" '\\N \\G \\n \\l back\\slash'  # Python's repr of the key, no Graphviz escape fired
has "$S" 'line1\nline2'                 # the newline shown as \n, not a line break
has "$S" 'ctrl\x01bell\x07'
hasnt "$S" "$(printf '\342\200\256')"   # no raw U+202E (right-to-left override)
E=__id_${EVIL}.svg
has "$E" 'app.&lt;b&gt;Evil&amp;bogus;&lt;/b&gt;&quot;\N'
hasnt "$E" '<b>'
# the thread's name, from the header
has h__backrefs_list.svg 'thread worker-1'
run "$gl" render hostile.snap --backrefs list -o thread.svg
wellformed thread.svg
has thread.svg 'thread &lt;thread &amp; co&gt;'

# --- --redact: the secret appears nowhere -----------------------------------
for f in __backrefs_Session___redact.svg __backrefs_Session___redact.dot "__refs_${CACHE}___redact.svg" \
	 "__refs_${CACHE}___redact.dot" "__referrers_${SESSION}___redact.svg"; do
	hasnt "$f" "$SECRET"
done
has "__refs_${CACHE}___redact.svg" 'str(21) #'
has "__refs_${CACHE}___redact.svg" '.token'     # attribute names stay
has "__refs_${CACHE}___redact.svg" 'app.Session' # type names stay
# without --redact the secret is there: the check above means something
has "__refs_${CACHE}.svg" "$SECRET"
for fmt in png pdf; do
	run "$gl" render hostile.snap --refs "$CACHE" --redact -o "redact.$fmt"
	if grep -aqF "$SECRET" "redact.$fmt"; then bad "secret in redact.$fmt"; else ok "no secret in redact.$fmt"; fi
done
# a secret held by a module global under a non-identifier key
run "$gl" render hostile.snap --backrefs Session --max-objects 20 --redact -o all.svg
hasnt all.svg "$SECRET"
hasnt all.svg 'script'

# --- deterministic: same command, same bytes --------------------------------
for fmt in svg dot png pdf; do
	run "$gl" render hostile.snap --backrefs Item -o "det1.$fmt"
	run "$gl" render hostile.snap --backrefs Item -o "det2.$fmt"
	if cmp -s "det1.$fmt" "det2.$fmt"; then ok "$fmt twice: same bytes"; else bad "$fmt twice: different bytes"; fi
done
run "$gl" render hostile.snap --cycles -o c1.svg
run "$gl" render hostile.snap --cycles -o c2.svg
cmp -s c1.svg c2.svg && ok "cycles twice: same bytes" || bad "cycles twice differ"

# --- a 10,000-entry dict folds -------------------------------------------------
P=__backrefs_Item.dot.parsed
grep -q 'label=+ 9,995 more app.Item\\nvalues of registry' "$P" && ok "10,000-entry dict folded" || bad "no fold in $P"
n=$(sed -n 's/^nodes \([0-9]*\) .*/\1/p' "$P")
[ "$n" -le 20 ] && ok "10,000-entry dict: $n nodes" || bad "10,000-entry dict: $n nodes"
run "$gl" render hostile.snap --refs "$("$gl" export hostile.snap | grep '"type":"dict"' | grep '"length":10000,' | sed 's/.*"addr":"\(0x[0-9a-f]*\)".*/\1/')" -o bigrefs.dot
parses bigrefs.dot
grep -q 'label=+ 9,990 more app.Item' bigrefs.dot.parsed && ok "--refs folds the dict" || bad "--refs: no fold"

# --- cycles and finalizers ------------------------------------------------------
has __cycles.svg 'defines __del__'
has __cycles.svg 'cycle with finalizers: 2 objects'
has h__cycles.svg 'alive: a root reaches it'
grep -q 'peripheries=2.*ROOT HOLDER: module gc, global garbage' h__cycles.dot.parsed && ok "gc.garbage holder marked" || bad "gc.garbage holder"
has h__suspects___min_share_1.svg 'LEAK SUSPECT #1'

# --- stdout, --format, the default name ---------------------------------------
"$gl" render hostile.snap --backrefs Item -o - > stdout.svg 2>/dev/null && cmp -s stdout.svg det1.svg && ok "-o - writes the SVG" || bad "-o -"
run "$gl" render hostile.snap --backrefs Item -o det3.picture --format dot
cmp -s det3.picture det1.dot && ok "--format dot" || bad "--format dot"
run "$gl" render hostile.snap --backrefs app.Item
[ -s app.Item-backrefs.svg ] && ok "default name app.Item-backrefs.svg" || bad "no default file"

# --- usage errors exit 2, bad input exits 1 -----------------------------------
expect 0 "usage: graphleak render" "$gl" render --help
expect 0 "usage: graphleak render" "$gl" help render
expect 2 "no snapshot given" "$gl" render
expect 2 "give exactly one of" "$gl" render hostile.snap
expect 2 "give exactly one of" "$gl" render hostile.snap --cycles --suspects
expect 2 "needs a value" "$gl" render hostile.snap --backrefs
expect 2 "--backrefs needs a value" "$gl" render hostile.snap --backrefs ''
expect 2 "takes an address" "$gl" render hostile.snap --id zzz
expect 2 "from 1" "$gl" render hostile.snap --cycles --max-objects 0
expect 2 "whole number" "$gl" render hostile.snap --cycles --max-depth -3
expect 2 "goes with --suspects" "$gl" render hostile.snap --cycles --min-share 5
expect 2 "unknown option '--frob'" "$gl" render hostile.snap --cycles --frob
expect 2 "cannot tell the format of 'x.bmpx'" "$gl" render hostile.snap --cycles -o x.bmpx
expect 2 ".svg" "$gl" render hostile.snap --cycles -o x.bmpx
expect 2 "cannot write 'nope'" "$gl" render hostile.snap --cycles --format nope
expect 1 "missing.snap: cannot open" "$gl" render missing.snap --cycles -o m.svg
expect 1 "no object of type 'Nope'" "$gl" render hostile.snap --backrefs Nope -o n.svg
expect 1 "no object at 0x8" "$gl" render hostile.snap --id 0x8 -o n.svg
expect 1 "cannot create" "$gl" render hostile.snap --cycles -o /nonexistent/dir/x.svg
[ -e m.svg ] || [ -e n.svg ] && bad "a failed render left a file" || ok "failed renders leave no file"
ls ./*.tmp-* >/dev/null 2>&1 && bad "temporary files left" || ok "no temporary files left"
exit $fail
