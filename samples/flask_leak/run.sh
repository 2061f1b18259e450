#!/usr/bin/env bash
# flask_leak: start the app, 3 x 3,000 requests with ab, a snapshot after
# each, then what holds the memory and the picture of it.
SAMPLE=flask_leak
source "$(dirname "$0")/../lib/sample.sh"
APP=("$PY" app.py "{port}")
TYPE=dict
LOAD() { ab -q -l -n 3000 -c 8 "http://127.0.0.1:$PORT/user/$((41 + $1))" | grep -E "^(Complete|Failed) requests"; }
sample_main
