"""An order-lookup service on SQLAlchemy 1.4 and SQLite. Each request looks
up a batch of orders with a query built from a huge list of ids, one bound
parameter per id, the way older code often spells `IN` with `or_`; and every
statement is kept in a module-level list of recent queries "for debugging".
BindParameter objects pile up: objgraph.show_growth() shows them growing,
but not who keeps them.

    python3 app.py PORT
"""
import random
import sys

import sqlalchemy as sa
from flask import Flask, jsonify

engine = sa.create_engine("sqlite://")
meta = sa.MetaData()
orders = sa.Table("orders", meta,
                  sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("customer", sa.String(40)),
                  sa.Column("total", sa.Integer))
meta.create_all(engine)
with engine.begin() as conn:
    conn.execute(orders.insert(), [{"id": i, "customer": "c%d" % (i % 97), "total": i % 1000}
                                   for i in range(5000)])

# The leak: kept "to debug slow queries", never trimmed.
recent_queries = []
_rng = random.Random(3)
app = Flask(__name__)


@app.route("/")
def index():
    return "ok"


@app.route("/orders/batch")
def batch():
    ids = _rng.sample(range(5000), 150)
    stmt = sa.select(orders).where(sa.or_(*(orders.c.id == i for i in ids)))
    recent_queries.append(stmt)
    with engine.connect() as conn:
        rows = conn.execute(stmt).fetchall()
    return jsonify(count=len(rows), total=sum(r.total for r in rows))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
