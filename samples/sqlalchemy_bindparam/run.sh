#!/usr/bin/env bash
# sqlalchemy_bindparam: 3 x 400 batch lookups with ab, a snapshot after each,
# then who keeps the BindParameter objects.
SAMPLE=sqlalchemy_bindparam
source "$(dirname "$0")/../lib/sample.sh"
APP=("$PY" app.py "{port}")
TYPE=BindParameter
RENDER="--backrefs BindParameter"
LOAD() { ab -q -l -n 400 -c 4 "http://127.0.0.1:$PORT/orders/batch" | grep -E "^(Complete|Failed) requests"; }
sample_main
