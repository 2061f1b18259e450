# samples/lib/sample.sh - what every sample's run.sh shares. Source it, set
# the variables below, then call sample_main.
#
#   SAMPLE       the sample's name (its folder)
#   APP          the command that starts the app (an array); the text {port}
#                in it becomes the free 127.0.0.1 port the app must listen on
#   LOAD         a function that puts one phase of load on the app ($1 = phase)
#   PHASES       how many load phases (a snapshot after each; default 3)
#   TYPE         the type to ask `graphleak path --type` about (optional)
#   RENDER       extra `graphleak render` arguments (default: --growth)
#   EXTRA        a function for more diagnosis, run after the rest (optional)
#
# It starts the app, waits until it answers, runs the load phases with a
# `graphleak dump --pid` after each, prints the diagnosis (suspects, growth,
# path), writes the picture and the HTML report, and stops the app: on every path, within a
# bounded time. Output goes to $GL_SAMPLE_OUT (default samples/$SAMPLE/out):
# the snapshots, suspects.json, growth.json, path.json, picture.svg and report.html.

set -euo pipefail
# A preloaded runtime (the sanitizer build's tests preload ASan so that an
# instrumented shim can be injected) is for the app's interpreter only: curl
# and ab hang or fail under it.
APP_PRELOAD=${LD_PRELOAD:-}
unset LD_PRELOAD
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$HERE/.." && pwd)
GL=${GRAPHLEAK:-$ROOT/build/graphleak}
PY=${PYTHON:-/usr/bin/python3}
PHASES=${PHASES:-3}
RENDER=${RENDER:---growth}
APP_PID=""

die() { echo "sample: $*" >&2; exit 1; }

cleanup() {
	if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
		kill "$APP_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$APP_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT INT TERM

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() { # url: until the app answers (bounded: 30 s)
	for _ in $(seq 300); do
		kill -0 "$APP_PID" 2>/dev/null || die "the app exited before it was ready (see $OUT/app.log)"
		curl -s -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	die "the app did not answer $1 within 30 s"
}

snap() { # n: snapshot number
	local f="$OUT/$SAMPLE-$1.snap"
	rm -f "$f"
	"$GL" dump --pid "$APP_PID" -o "$f" --timeout 30
	SNAPS+=("$f")
}

rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$APP_PID/status"; }

sample_main() {
	[ -x "$GL" ] || die "no graphleak at $GL: build it first (scripts/build)"
	OUT=${GL_SAMPLE_OUT:-$HERE/$SAMPLE/out}
	mkdir -p "$OUT"
	PORT=$(free_port)
	local cmd=()
	for a in "${APP[@]}"; do cmd+=("${a//\{port\}/$PORT}"); done
	echo "== $SAMPLE: starting ${cmd[*]}"
	(cd "$HERE/$SAMPLE" && LD_PRELOAD=$APP_PRELOAD exec "${cmd[@]}") > "$OUT/app.log" 2>&1 &
	APP_PID=$!
	wait_ready "${READY_URL:-http://127.0.0.1:$PORT/}"
	SNAPS=()
	for phase in $(seq "$PHASES"); do
		echo "== load phase $phase"
		LOAD "$phase"
		snap "$phase"
		echo "   app RSS now $(rss)"
	done
	cleanup
	APP_PID=""
	echo
	echo "== graphleak suspects $(basename "${SNAPS[-1]}")"
	"$GL" suspects "${SNAPS[-1]}" --min-share 5
	"$GL" suspects "${SNAPS[-1]}" --min-share 5 --json > "$OUT/suspects.json"
	echo
	echo "== graphleak growth (${#SNAPS[@]} snapshots)"
	"$GL" growth "${SNAPS[@]}" --limit 5
	"$GL" growth "${SNAPS[@]}" --json > "$OUT/growth.json"
	if [ -n "${TYPE:-}" ]; then
		echo
		echo "== graphleak path --type $TYPE"
		"$GL" path "${SNAPS[-1]}" --type "$TYPE" --limit 3
		"$GL" path "${SNAPS[-1]}" --type "$TYPE" --json > "$OUT/path.json"
	fi
	if declare -F EXTRA > /dev/null; then
		echo
		EXTRA
	fi
	echo
	if [ "$RENDER" = "--growth" ]; then
		"$GL" render --growth "${SNAPS[@]}" -o "$OUT/picture.svg"
	else
		# shellcheck disable=SC2086
		"$GL" render "${SNAPS[-1]}" $RENDER -o "$OUT/picture.svg"
	fi
	echo "== the picture: $OUT/picture.svg"
	"$GL" report "${SNAPS[@]}" -o "$OUT/report.html" > /dev/null
	echo "== the report: $OUT/report.html"
}
