"""The runtime's diagnostics: one line per problem on the raw stderr descriptor, only when asked.

Every module that swallows an error to keep the program unchanged may say what it swallowed
here; nothing is written unless ``DEFERRED_GRAPH_DEBUG=1``.
"""

from __future__ import annotations

import os

DEBUG_ENV = "DEFERRED_GRAPH_DEBUG"


def debug_log(message: str) -> None:
    """Write one diagnostic line to file descriptor 2 when DEFERRED_GRAPH_DEBUG=1.

    The raw descriptor, not ``sys.stderr``: the program's own stderr object (captured, replaced
    or buffered) must see nothing from us."""
    if os.environ.get(DEBUG_ENV) == "1":
        try:
            os.write(2, ("[deferred_graph] %s\n" % message).encode("utf-8", "replace"))
        except Exception:
            pass


__all__ = ["DEBUG_ENV", "debug_log"]
