"""An upload service that keeps every uploaded body (a bytes object) in a
module-level list until a batch job that never runs picks them up.

bytes objects are not tracked by the garbage collector, so gc.get_objects()
and tools built on it (objgraph) never see them: objgraph shows a list that
grows by a few hundred items while the process grows by tens of megabytes.

    python3 app.py PORT
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The leak: pending uploads, waiting for a batch job that was switched off.
pending_uploads = []


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        pending_uploads.append(self.rfile.read(n))
        self._reply(b"stored %d\n" % len(pending_uploads))

    def do_GET(self):
        self._reply(b"pending %d\n" % len(pending_uploads))

    def _reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
