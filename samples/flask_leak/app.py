"""A Flask service whose user-data fetch keeps every result in a module-level
list "for later analytics". Every request adds about 20 KB that is never
freed: 10,000 requests take the process from tens of MB to hundreds.

    python3 app.py PORT
"""
import os
import sys

from flask import Flask, jsonify

app = Flask(__name__)

# The leak: meant to be flushed to an analytics store, never is.
results = []


def fetch_user_data(user_id):
    """Pretend to load a user's profile and recent activity from a database."""
    return {
        "id": user_id,
        "name": "user%d" % user_id,
        "activity": ["event-%d-%d" % (user_id, i) for i in range(40)],
        "avatar": os.urandom(16 * 1024),
    }


@app.route("/")
def index():
    return "ok"


@app.route("/user/<int:user_id>")
def user(user_id):
    data = fetch_user_data(user_id)
    results.append(data)
    return jsonify(id=data["id"], name=data["name"], events=len(data["activity"]))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
