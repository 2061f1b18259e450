"""Globals that are objects, not containers: the list that grows is an
attribute of an attribute. The holder is named by its full path from the
global (module __main__, global QUERY_LOG.statements), and two containers
under one global are told apart (STORE.by_id, STORE.recent)."""
import _story


class QueryLog:
    def __init__(self):
        self.statements = []
        self.enabled = True


class Store:
    def __init__(self):
        self.by_id = {}
        self.recent = []


class Statement:
    def __init__(self, i):
        self.sql = "SELECT * FROM orders WHERE id = %d" % i
        self.params = {"id": i, "pad": bytes(400)}


class Order:
    def __init__(self, i):
        self.id = i
        self.lines = [bytes(300)]


QUERY_LOG = QueryLog()
STORE = Store()
for i in range(6000):
    QUERY_LOG.statements.append(Statement(i))
for i in range(3000):
    o = Order(i)
    STORE.by_id[i] = o
    if i % 3 == 0:
        STORE.recent.append(Order(-i))
del o
_story.finish(targets=[("statement", QUERY_LOG.statements[10]), ("by_id", STORE.by_id), ("recent", STORE.recent)],
              expect={"type": "Statement", "count": 6000, "holder": "module __main__, global QUERY_LOG.statements",
                      "suspect_holder": "module __main__, global QUERY_LOG.statements", "min_retained": 2000000,
                      "path_id_holders": {"by_id": ["module __main__, global STORE.by_id"],
                                          "recent": ["module __main__, global STORE.recent"]}})
