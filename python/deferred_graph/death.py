"""What a shown Deferred looked like after its latest change, kept in case it dies before a drain.

A Deferred that fires and is collected between two drains would otherwise keep the state read
before it fired: its weak reference's callback runs once the object is gone, when nothing of it
can be read.  So the hooks in Twisted's code, after every run of writes to a Deferred that the
emitter already knows (one that has an entry), call :func:`capture`, which keeps a *final state*
on the entry.  When the Deferred dies, its ``collected`` event carries that state; while it
lives, the drain reads the full state instead and forgets the capture.

A capture runs on the program's own thread in the middle of Twisted's callback loop, so it runs
no code of the program (callbacks are named as ``state.callable_info`` names them, from their
types), and it is kept cheap: a result is its repr only for builtin scalars, ``<Type object>``
otherwise. Nothing captured holds a strong reference to a result, a Failure or a callback:
their lifetimes stay the program's.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from . import clock, saferepr, wire
from .failures import failure_frames, raised_by
from .registry import Entry, Registry, code_location, creation_location, fire_location
from .state import callable_info, callback_pairs, coroutine_info, describe_result, members_of

_NAMED_LIMIT = 64  # Deferreds one capture names and captures in turn (a long chain names many)
_HEADROOM = 80  # frames a capture may need (read_state, reprlib, type descriptions)


def _near_recursion_limit() -> bool:
    """True when fewer than ``_HEADROOM`` frames are left below the recursion limit (one C walk
    up the stack; a capture deeper than that could hit RecursionError where the program would
    not)."""
    try:
        sys._getframe(sys.getrecursionlimit() - _HEADROOM)
    except ValueError:
        return False
    return True


def capture(registry: Registry, obj: Any) -> None:
    """Hook after a write to ``obj``: when it has an entry (it may already be shown), keep its
    state as of now and mark it dirty.  A Deferred without an entry is reported by the next
    drain anyway; one at the address of a dead Deferred whose entry is not yet forgotten is not
    that entry's (the identity check), so address reuse never mixes two Deferreds."""
    key = id(obj)
    entries = registry.entries
    entry = entries.get(key)
    if entry is None:
        return
    if entry() is not obj:
        # A dead Deferred's entry, waiting in the collected queue for the drain: take it out of
        # ``entries`` now, or every note at this address (CPython hands it to the next Deferred
        # at once, in a loop every time) would land here until the drain.
        with registry.entries_lock:
            if entries.get(key) is entry and entry() is None:
                del entries[key]
        return
    registry.dirty.add(key)
    if _near_recursion_limit():
        # Reading would take frames the program does not have: the row says it does not know,
        # unless a drain reads the Deferred alive.
        entry.final = None
        entry.final_unknown = True
        return
    named: list[Entry] = []
    registry.named = named
    try:
        entry.final = final_state(obj, entry, registry)
        # The Deferreds its state names but nobody was shown yet (born since the last drain, or
        # never a Deferred's own write away from a capture): their rows must exist even if they
        # die first, so they are captured too — a bounded walk, never a recursion.
        done = 0
        while named and done < _NAMED_LIMIT:
            other = named.pop()
            target = other()
            if target is not None and other.final is None and not other.reported:
                other.final = final_state(target, other, registry)
                done += 1
    except Exception:
        entry.final = None
        entry.final_unknown = True
    finally:
        registry.named = None


def final_state(d: Any, entry: Entry, registry: Registry) -> wire.DeferredState:
    """The wire state of ``d`` now, cheaply: a capture runs after every change of a Deferred
    already known (hundreds of thousands in a crawl): a result described as a live row shows
    it, a Failure by the summary the failure note made; no timer."""
    attrs = d.__dict__
    called = attrs.get("called", False) is True
    if called and entry.fired_at is None:
        entry.fired_at = clock.wire_now()
    has_result = "result" in attrs
    chained = attrs.get("_chainedTo")
    paused = attrs.get("paused", 0)

    def id_of(obj: Any) -> Optional[int]:
        dtype = registry.deferred_type
        if dtype is None or not issubclass(type(obj), dtype):
            return None
        return registry.ensure(obj).serial

    return {
        # Filled in when it is reported (state_at_death): a capture gives no id, so a Deferred
        # nobody was shown and nothing names dies counted, not reported.
        "id": 0,
        "type": entry.type_name,
        "label": entry.label,
        "called": called,
        "hasResult": has_result,
        "result": _result(attrs["result"], entry, registry) if has_result else None,
        "callbacks": callback_pairs(attrs, id_of, callable_info),
        "paused": paused if type(paused) is int else 0,
        "waitingOn": id_of(chained) if chained is not None else None,
        "cancelled": entry.cancelled,
        "created": creation_location(entry),
        "createdAt": entry.created_at,
        "firedAt": entry.fired_at,
        "members": members_of(attrs, id_of),
        "coroutine": coroutine_info(entry, id_of),
        "timer": None,  # read through the DelayedCall: left to the drains
        # What it waited for ends with it (and reading it is the drains' work, not a hot path's).
        "blockedBy": None,
        "root": None,
        "firedBy": _fired_by(entry, registry, id(d), called),
        "firedAgainBy": entry.fired_again,
        "running": attrs.get("_runningCallbacks") is True,
    }


def _fired_by(entry: Entry, registry: Registry, key: int, called: bool) -> Optional[wire.Location]:
    """The caller of callback()/errback(): still in the prologue's dict until a drain takes it."""
    if entry.fire_site is None and called:
        site = registry.sites.get(key)
        if site is not None:
            return code_location(site[0], site[1])
    return fire_location(entry)


def _result(value: Any, entry: Entry, registry: Registry) -> wire.Result:
    kind = type(value)
    dtype, ftype = registry.deferred_type, registry.failure_type
    if dtype is not None and issubclass(kind, dtype):
        return {"kind": "deferred", "id": registry.ensure(value).serial}
    if ftype is not None and issubclass(kind, ftype):
        noted = entry.unhandled  # the summary the failure note made of this same Failure
        if noted is not None:
            return noted
        exc_type = getattr(value, "__dict__", {}).get("type")
        name = saferepr.type_name(exc_type if isinstance(exc_type, type) else kind)
        return {
            "kind": "failure",
            "excType": name,
            "message": "",
            "truncated": False,
            "frames": (frames := failure_frames(value)),
            "raisedBy": raised_by(frames),
        }
    # A value as a live row shows it while the program runs (no code of the program).
    return describe_result(value, registry, saferepr.repr_limit())
