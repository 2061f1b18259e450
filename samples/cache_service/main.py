"""Drives the service with simulated requests from many distinct users.

Run it under graphleak to see what holds the memory:
    graphleak run -o service.snap --at-exit -- python3 samples/cache_service/main.py
"""
import random
import sys

import service


def main():
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rng = random.Random(42)
    for i in range(requests):
        user_id = f"user-{rng.randrange(1_000_000)}"
        service.handle_request(user_id, rng)
    print(f"served {requests} requests; cache holds {len(service.cache)} profiles")


if __name__ == "__main__":
    main()
