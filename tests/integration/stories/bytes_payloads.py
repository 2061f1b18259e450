"""Large bytes payloads kept in a list: untracked objects objgraph cannot see."""
import _story

payloads = []


def receive(i):
    payloads.append(bytes(64 * 1024))   # 64 KiB each


for i in range(200):
    receive(i)
# The list dominates the payloads: all but the one passed to finish() below,
# which the argument list on this frame's value stack holds too during the
# call (so the list retains 199 of the 200, 12.4 MiB).
_story.finish(targets=[("payload", payloads[7])],
              expect={"suspect_holder": "module __main__, global payloads", "min_retained": 199 * 64 * 1024})
