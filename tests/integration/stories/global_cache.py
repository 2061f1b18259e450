"""A module-level dict cache filled per request and never evicted."""
import _story

cache = {}


class Response:
    def __init__(self, user, body):
        self.user = user
        self.body = body


def handle(user_id):
    key = "user-%d" % user_id
    if key not in cache:
        cache[key] = Response(key, "<html>%s</html>" % ("x" * 200))
    return cache[key]


for i in range(5000):
    handle(i)
_story.finish(targets=[("cached response", cache["user-42"])],
              expect={"type": "Response", "count": 5000, "holder": "module __main__, global cache"})
