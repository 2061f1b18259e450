"""json_schema.py - checks graphleak --json outputs against docs/json/graphleak.schema.json.

    python3 json_schema.py FILE...      each FILE one command's --json output ("-": stdin)

The output's "schema" member ("graphleak.top/1") names the definition it must
follow ($defs/top); a missing or unknown one is an error. Prints one line per
file; exit 1 if any does not validate. Needs python3-jsonschema (Debian's
package: scripts/install-deps installs it).
"""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "docs", "json", "graphleak.schema.json")


def check(doc, schema):
    """None if doc follows its schema, else the reason."""
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), str):
        return "no \"schema\" member naming the output's schema"
    tag = doc["schema"]
    if not tag.startswith("graphleak.") or "/" not in tag:
        return "bad schema tag %r" % tag
    name, version = tag[len("graphleak."):].rsplit("/", 1)
    if version != "1":
        return "schema version %s, the documented one is 1" % version
    if name not in schema["$defs"]:
        return "no schema %r in docs/json/graphleak.schema.json" % name
    sub = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/" + name}
    v = jsonschema.Draft202012Validator(sub)
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    if errs:
        e = errs[0]
        return "%s at %s (%d error(s))" % (e.message[:300], "/".join(str(p) for p in e.path) or "(root)", len(errs))
    return None


def main():
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    bad = 0
    for name in sys.argv[1:]:
        try:
            text = sys.stdin.read() if name == "-" else open(name).read()
            doc = json.loads(text)
        except (OSError, ValueError) as e:
            print("FAIL %s: not JSON: %s" % (name, e))
            bad += 1
            continue
        why = check(doc, schema)
        if why:
            print("FAIL %s (%s): %s" % (name, doc.get("schema") if isinstance(doc, dict) else "?", why))
            bad += 1
        else:
            print("ok %s (%s)" % (name, doc["schema"]))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
