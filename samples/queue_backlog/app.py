"""A job service: request handlers (one thread each) put jobs on a queue that
one worker thread drains, slowly. Producers outpace the consumer, and job
tuples pile up in the queue: the multithreaded story.

    python3 app.py PORT
"""
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

jobs = queue.Queue()          # unbounded: nothing pushes back on producers
done = 0


def worker():
    global done
    while True:
        job = jobs.get()
        time.sleep(0.01)      # the slow part: an external API, say
        done += 1


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/submit"):
            n = int(self.path.rsplit("/", 1)[-1]) if self.path.count("/") > 1 else 0
            jobs.put(("resize", n, "https://example.com/images/%d.png" % n, b"\0" * 512))
        body = b"queued %d, done %d\n" % (jobs.qsize(), done)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    threading.Thread(target=worker, name="consumer", daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
