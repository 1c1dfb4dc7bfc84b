"""Who fired a Deferred: inlined notes in ``Deferred._startRunCallbacks``.

``callback()`` and ``errback()`` (and ``cancel()`` without a canceller) all go through
``_startRunCallbacks``, so a note there sees every caller.  Like the creation site, it keeps only
the caller's code object and instruction offset (resolved to a line when reported,
``entries.line_of``): C-level frame reads and dict stores, no Python call and no object the
cycle collector would count (a tuple per fire kept until a drain moved the program's automatic
collections).  The caller is the first frame outside Twisted's defer module, two frames up in
the common case (``_startRunCallbacks`` <- ``callback`` <- the program).

The first fire is noted where the instrumenter would note ``called = True`` (``FIRE_TEMPLATE``
replaces that note): the site, then the time, which also marks the Deferred for the drain; the
time goes last, so a drain that sees it finds the site.  A second ``callback()`` (Twisted then
raises AlreadyCalledError) is noted first in the ``if self.called:`` branch
(``SECOND_TEMPLATE``); the emitter moves it to the entry's ``fired_again``.
"""

from __future__ import annotations

FIRE = "_deferred_graph_fire_site"

# No loop after the frame walk: a backward jump, or a jump through the compiler's line-less
# jumps, is a line event for a tracer (debugpy), and the hooks add none.  Three steps out of
# defer.py cover callback() <- DeferredList/_runCallbacks <- callback().
_WALK = """
    _deferred_graph_f = _deferred_graph_getframe(2)
    if _deferred_graph_f.f_code.co_filename == _deferred_graph_file:
        _deferred_graph_f = _deferred_graph_f.f_back
        if _deferred_graph_f.f_code.co_filename == _deferred_graph_file:
            _deferred_graph_f = _deferred_graph_f.f_back
"""

# If anything in it fails, the plain fire note still marks the Deferred (no site).
FIRE_TEMPLATE = (
    "try:"
    + _WALK
    + """
    _deferred_graph_k = id(SELF)
    _deferred_graph_sites[_deferred_graph_k] = _deferred_graph_f.f_code
    _deferred_graph_lastis[_deferred_graph_k] = _deferred_graph_f.f_lasti
    _deferred_graph_fire_times[_deferred_graph_k] = _deferred_graph_now()
except Exception:
    _deferred_graph_fired(id(SELF), _deferred_graph_now())
"""
)

SECOND_TEMPLATE = (
    "try:"
    + _WALK
    + """
    _deferred_graph_second[id(SELF)] = (_deferred_graph_f.f_code, _deferred_graph_f.f_lasti)
except Exception:
    pass
"""
)

SITES_LIMIT = 4096  # sites kept without a fire time (a note cut short): dropped past this
