"""The show_growth story: SQLAlchemy queries built with a huge IN list keep
their BindParameter objects in a module-level list of statements."""
import sqlalchemy as sa

import _grow

meta = sa.MetaData()
users = sa.Table("users", meta, sa.Column("id", sa.Integer, primary_key=True))
statements = []


def query(i):
    if i % 20 == 0:
        statements.append(sa.select(users).where(users.c.id.in_([sa.bindparam("p%d_%d" % (i, k), k)
                                                                  for k in range(25)])))


# one query before the first snapshot: SQLAlchemy imports some of its modules
# lazily on first use, and sys.modules growing between the first two
# snapshots (seen under ASan, where the first round is slow) is not the story
query(0)
_grow.serve(query, per_round=200)
