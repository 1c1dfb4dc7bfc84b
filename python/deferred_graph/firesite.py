"""Who fired a Deferred: the inlined note first in ``Deferred._startRunCallbacks``.

``callback()`` and ``errback()`` (and ``cancel()`` without a canceller) all go through
``_startRunCallbacks``, so one prologue there sees every caller.  Like the creation site, it
keeps only the caller's code object and instruction offset (resolved to a line when reported,
``registry.line_of``): two C-level frame reads and a dict store, no Python call.  The caller is
the first frame outside Twisted's defer module, two frames up in the common case
(``_startRunCallbacks`` <- ``callback`` <- the program).

A second ``callback()`` (Twisted then raises AlreadyCalledError) is noted under the key plus
one; the emitter moves it to the entry's ``fired_again``.
"""

from __future__ import annotations

FIRE = "_deferred_graph_fire_site"

# No loop and no branch after the frame walk: a backward jump, or a jump through the
# compiler's line-less jumps, is a line event for a tracer (debugpy), and the hooks add none.
# Three steps out of defer.py cover callback() <- DeferredList/_runCallbacks <- callback().
# The key is ``id(self) + self.called``: object addresses are even, so a second call (Twisted
# raises AlreadyCalledError) lands beside the first instead of over it.
FIRE_TEMPLATE = """
try:
    _deferred_graph_f = _deferred_graph_getframe(2)
    if _deferred_graph_f.f_code.co_filename == _deferred_graph_file:
        _deferred_graph_f = _deferred_graph_f.f_back
        if _deferred_graph_f.f_code.co_filename == _deferred_graph_file:
            _deferred_graph_f = _deferred_graph_f.f_back
    _deferred_graph_sites[id(SELF) + SELF.called] = (
        _deferred_graph_f.f_code,
        _deferred_graph_f.f_lasti,
    )
except Exception:
    pass
"""

SITES_LIMIT = 4096  # unclaimed sites kept (a fire noted just before a drain waits one round)
