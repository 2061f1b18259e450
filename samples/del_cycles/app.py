"""A chat service whose connections point at each other (a connection and its
peer) and define __del__ to close their socket. Every request opens a pair and
drops it: each pair is a reference cycle with finalizers.

With the collector running (the default) the cycles are freed at its next run
(PEP 442, Python 3.4+). Started with --gc-off, the process calls gc.disable(),
as some services do to avoid collection pauses: then every pair stays forever.

    python3 app.py PORT [--gc-off]
"""
import gc
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

closed = 0


class Connection:
    def __init__(self, user, peer=None):
        self.user = user
        self.peer = peer
        self.buffer = bytearray(2048)
        self.history = ["hello %s" % user] * 8

    def __del__(self):
        global closed
        closed += 1


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/chat"):
            a = Connection("alice")
            b = Connection("bob", peer=a)
            a.peer = b                     # the cycle; both are dropped here
        body = b"closed %d\n" % closed
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    if "--gc-off" in sys.argv:
        gc.disable()
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
