"""A FastAPI service, served by uvicorn, with a module-level cache of users
keyed by user id. /users/random makes up a new user on every call and caches
it: the cache only grows. (The story is usually told with Faker; Debian has
none, so the fake users come from the standard library.)

    python3 -m uvicorn app:app --port PORT
"""
import random
import string

from fastapi import FastAPI

app = FastAPI()

# The leak: a cache with no eviction, keyed by something unbounded.
cache = {}

_rng = random.Random()
_first = ["Ada", "Alan", "Grace", "Linus", "Guido", "Barbara", "Ken", "Margaret"]
_last = ["Lovelace", "Turing", "Hopper", "Torvalds", "Rossum", "Liskov", "Thompson"]


def fake_user():
    uid = _rng.getrandbits(40)
    first, last = _rng.choice(_first), _rng.choice(_last)
    return {
        "id": uid,
        "name": "%s %s" % (first, last),
        "email": "%s.%s%d@example.com" % (first.lower(), last.lower(), uid % 1000),
        "address": "%d %s Street" % (_rng.randrange(1, 999), "".join(_rng.choices(string.ascii_letters, k=8))),
        "bio": " ".join(_rng.choices(_first + _last, k=60)),
    }


@app.get("/")
def index():
    return {"ok": True}


@app.get("/users/random")
def random_user():
    user = fake_user()
    cache[user["id"]] = user
    return user
