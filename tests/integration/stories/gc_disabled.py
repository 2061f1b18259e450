"""gc.disable() with cycles piling up: nothing ever frees them."""
import gc

import _story

gc.disable()


class Node:
    def __init__(self):
        self.parent = None
        self.children = []


for i in range(2000):
    root = Node()
    child = Node()
    child.parent = root
    root.children.append(child)
del root, child
_story.finish(expect={"garbage_min_objects": 4000, "gc_disabled": True})
