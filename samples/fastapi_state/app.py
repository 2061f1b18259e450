"""A FastAPI service, served by uvicorn, that keeps a cart per visitor in
app.state, the place FastAPI's docs suggest for shared state. Carts are
never dropped. The sessions are reached through a plain `def` dependency,
which Starlette runs in an AnyIO worker thread; that thread's idle frame
keeps the dependency's last result, the sessions dict itself, in a local.
Two holders keep the carts: app.state and the worker thread. A tool that
names only one of them sends you to the wrong place.

    python3 -m uvicorn app:app --port PORT
"""
import itertools

from fastapi import Depends, FastAPI, Request

app = FastAPI()
app.state.sessions = {}
_ids = itertools.count()


class Cart:
    def __init__(self, uid):
        self.uid = uid
        self.items = []


def get_sessions(request: Request):
    return request.app.state.sessions


@app.get("/")
def index():
    return {"ok": True}


@app.get("/cart/add")
def add_to_cart(sessions=Depends(get_sessions)):
    uid = "visitor-%d" % next(_ids)        # every request a new visitor
    cart = sessions.setdefault(uid, Cart(uid))
    cart.items.append({"sku": "sku-%d" % (len(cart.items) + 1), "qty": 1, "note": "x" * 200})
    return {"uid": uid, "items": len(cart.items)}
