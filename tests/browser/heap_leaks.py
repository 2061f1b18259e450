"""Three leaks of different sizes, held in three different ways, and keys
no name should be: for test_heapsnapshot.js. Run under `graphleak run`; dumps
itself to $GL_SNAP with its globals alive."""
import os

import graphleak


class Session:
    def __init__(self, user, page):
        self.user = user
        self.page = page


# the largest: a module global dict, one Session per user (about 8 MB)
CACHE = {}
for i in range(4000):
    CACHE["user-%d" % i] = Session("user-%d" % i, "<html>%s</html>" % ("x" * 1800) + str(i))


# the middle one: a class attribute (about 4 MB)
class Registry:
    items = []


for i in range(3500):
    Registry.items.append(bytes(1100) + i.to_bytes(4, "little"))


# the smallest: a default argument (about 2.5 MB)
def remember(value, _seen=[]):
    _seen.append(value)


for i in range(2000):
    remember("y" * 1200 + str(i))

# keys that must come out as property names, escaped: quotes, backslashes,
# a closing script tag, NUL and other controls, bidi overrides, a lone
# surrogate (invalid UTF-8 once encoded), and non-str keys
HOSTILE_KEY = 'q"uote \\back </script> \x00nul \x1b[31m \u202eevil\u202c \ud800 \u00e9\U0001f600'
HOSTILE = {HOSTILE_KEY: "hostile value", b"\xff\xfe</script>": 1, (1, 2): 2, 42: 3}
setattr(Session, 'attr "name" </script>', Session("attr", "page"))

del i
graphleak.dump(os.environ["GL_SNAP"])
