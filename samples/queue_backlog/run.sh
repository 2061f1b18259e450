#!/usr/bin/env bash
# queue_backlog: 3 x 2,000 job submissions with ab against one slow
# consumer, a snapshot after each, then what holds the backlog.
SAMPLE=queue_backlog
source "$(dirname "$0")/../lib/sample.sh"
APP=("$PY" app.py "{port}")
TYPE=tuple
LOAD() { ab -q -l -n 2000 -c 8 "http://127.0.0.1:$PORT/submit/$1" | grep -E "^(Complete|Failed) requests"; }
sample_main
