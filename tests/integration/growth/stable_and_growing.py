"""A large cache filled once and never changed, beside a small list that grows:
only the list may be reported."""
import _grow

settings_cache = {"key-%d" % i: ("value-%d" % i) * 8 for i in range(100000)}
audit_log = []
_grow.serve(lambda i: audit_log.append(("audit", i)), per_round=150)
