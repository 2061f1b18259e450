#!/usr/bin/env bash
# fastapi_cache: uvicorn serving the app, 3 x 3,000 requests to /users/random
# with ab, a snapshot after each, then what holds the memory.
SAMPLE=fastapi_cache
source "$(dirname "$0")/../lib/sample.sh"
APP=("$PY" -m uvicorn app:app --host 127.0.0.1 --port "{port}" --log-level warning)
TYPE=dict
LOAD() { ab -q -l -n 3000 -c 8 "http://127.0.0.1:$PORT/users/random" | grep -E "^(Complete|Failed) requests"; }
sample_main
