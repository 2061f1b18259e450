"""A class-level registry of every instance ever created."""
import _story


class Widget:
    _instances = []

    def __init__(self, name):
        self.name = name
        self.data = bytearray(256)
        Widget._instances.append(self)


def render_page(i):
    Widget("button-%d" % i)   # dropped by the caller, kept by the class


for i in range(3000):
    render_page(i)
_story.finish(targets=[("widget", Widget._instances[100])],
              expect={"type": "Widget", "count": 3000, "holder": "class Widget, attribute _instances"})
