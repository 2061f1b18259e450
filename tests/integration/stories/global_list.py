"""A module-level list appended to on every request."""
import _story

request_log = []


def handle(i):
    request_log.append({"path": "/items/%d" % i, "status": 200, "headers": [("x-id", str(i))]})


for i in range(4000):
    handle(i)
_story.finish(targets=[("logged request", request_log[1234])],
              expect={"type": "dict", "holder": "module __main__, global request_log", "min_count": 4000})
