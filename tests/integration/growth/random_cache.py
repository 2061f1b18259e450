"""The FastAPI story: a module-level cache keyed by random user ids."""
import random

import _grow

cache = {}
rng = random.Random(7)


def random_user(i):
    uid = rng.getrandbits(48)
    cache[uid] = {"id": uid, "name": "user-%x" % uid, "email": "%x@example.com" % uid}


_grow.serve(random_user)
