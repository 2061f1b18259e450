"""Two classes of one short name (string.Formatter and logging.Formatter),
and a third of the program's own: a short name that means several types is
refused with the full names, never counted as one."""
import logging
import string

import _story


class Formatter:
    pass


keep = ([string.Formatter() for _ in range(30)] + [logging.Formatter() for _ in range(20)]
        + [Formatter() for _ in range(10)])
_story.finish(expect={"ambiguous": {"name": "Formatter",
                                    "full": {"string.Formatter": 30, "logging.Formatter": 20,
                                             "__main__.Formatter": 10}}})
