"""A user-profile service with the most common leak there is: a module-level
cache that is filled on every request and never evicted."""
import hashlib
import random
import string

# Meant as a small memo of recent lookups; nothing ever removes an entry.
cache = {}


class Profile:
    def __init__(self, user_id, name, email, avatar):
        self.user_id = user_id
        self.name = name
        self.email = email
        self.avatar = avatar          # raw image bytes: the bulk of the memory
        self.tags = ["new", "web"]


def _fake_name(rng):
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(8)).title()


def load_profile(user_id, rng):
    """Pretend to fetch a profile from a database."""
    name = _fake_name(rng)
    avatar = hashlib.sha256(user_id.encode()).digest() * 64  # 2 KiB per user
    return Profile(user_id, name, f"{name.lower()}@example.com", avatar)


def handle_request(user_id, rng):
    profile = cache.get(user_id)
    if profile is None:
        profile = load_profile(user_id, rng)
        cache[user_id] = profile       # the leak: every new user stays forever
    return {"id": profile.user_id, "name": profile.name}
