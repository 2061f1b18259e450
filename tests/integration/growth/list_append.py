"""The Flask story: every request's user data appended to a module-level list."""
import _grow

results = []


def fetch_user(i):
    results.append({"id": i, "name": "user %d" % i, "roles": ["reader"]})


_grow.serve(fetch_user)
