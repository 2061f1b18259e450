#!/usr/bin/env bash
# fastapi_state: uvicorn serving the app, 3 x 3,000 requests to /cart/add
# with ab, a snapshot after each, then every holder of the carts.
SAMPLE=fastapi_state
source "$(dirname "$0")/../lib/sample.sh"
APP=("$PY" -m uvicorn app:app --host 127.0.0.1 --port "{port}" --log-level warning)
TYPE=Cart
LOAD() { ab -q -l -n 3000 -c 8 "http://127.0.0.1:$PORT/cart/add" | grep -E "^(Complete|Failed) requests"; }
sample_main
