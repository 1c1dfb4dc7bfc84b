"""What a shown Deferred looked like when it died, read by a finaliser as it dies.

A Deferred that fires and is collected between two drains would otherwise keep the state read
before it fired: its weak reference's callback runs once the object is gone, when nothing of it
can be read.  So while the runtime is installed ``Deferred`` has a ``__del__`` (:func:`finaliser`;
Twisted defines none), which CPython calls with every attribute intact: before the weak
references are cleared when reference counting frees the Deferred, after they are cleared but
before anything is torn down when the cycle collector does.  For a Deferred the emitter already
knows (it has an entry) it keeps a *final state* on the entry, which the ``collected`` event
carries.

Why at death and not after every change: a capture after each write of a known Deferred was one
Python call per change (~1,600 per page of a Scrapy crawl, 9x the crawl's CPU time); a finaliser
is one call per Deferred, which returns at once for the many that die unseen.

The finaliser runs on whatever thread drops the last reference, in the middle of the program's
code, so it runs no code of the program (callbacks are named as ``state.callable_info`` names
them, from their types), takes no lock the program could hold, raises nothing (``__del__``
errors would be printed into the program's stderr) and keeps no strong reference to a result, a
Failure or a callback: their lifetimes stay the program's.
"""

from __future__ import annotations

import gc
import sys
from typing import Any, Callable, Optional

from . import clock, described, saferepr, wire
from .entries import Entry
from .failures import FRAME_ATTRS, failure_frames, raised_by
from .registry import Registry
from .state import ABSENT, build_state, describe_result

_NAMED_LIMIT = 64  # Deferreds one capture names and captures in turn (a long chain names many)
_HEADROOM = 80  # frames a capture may need (read_state, reprlib, type descriptions)


def current_collection() -> tuple[int, ...]:
    """Which collection this is: CPython counts a collection when it ends, after its
    finalisers, so every finaliser of one collection reads the same counts."""
    return tuple(stats["collections"] for stats in gc.get_stats())


def _near_recursion_limit() -> bool:
    """True when fewer than ``_HEADROOM`` frames are left below the recursion limit (one C walk
    up the stack; a capture deeper than that could hit RecursionError where the program would
    not)."""
    try:
        sys._getframe(sys.getrecursionlimit() - _HEADROOM)
    except ValueError:
        return False
    return True


def finaliser(
    registry: Registry, original: Optional[Callable[[Any], None]]
) -> Callable[[Any], None]:
    """The ``__del__`` installed on ``Deferred``: a plain function (CPython calls a class's
    ``__del__`` through the descriptor protocol, so a partial would get no ``self``), calling
    the class's own ``__del__`` after it if a Twisted to come defines one."""
    get = registry.entries.get
    born_pop = registry.born.pop
    unseen = registry.unseen.append
    graveyard = registry.graveyard

    def __del__(self: Any) -> None:
        try:  # even a C call raises RecursionError at the program's limit; nothing may print
            if graveyard:  # Deferreds a thread of the runtime held last: freed here, in the program
                graveyard.clear()
            key = id(self)
            if born_pop(key, None) is not None:
                # Born since the last drain and never seen: count it; its record goes with it.
                unseen(None)
                return
            entry = get(key)
            if entry is not None:
                _capture_at_death(registry, entry, self)
        except BaseException:  # noqa: B036
            pass
        if original is not None:
            original(self)

    return __del__


def _capture_at_death(registry: Registry, entry: Entry, d: Any) -> None:
    """Keep ``d``'s state on ``entry`` if the entry is ``d``'s.

    Reference counting: ``entry()`` is still ``d``.  Cycle collection: the weak reference was
    cleared just before (``entry()`` is None) and the entry has not died yet; an entry whose
    Deferred died already is a predecessor's at this address, whose drain has not come."""
    try:
        current = entry()
        if current is not d and (current is not None or entry.died):
            return
        entry.died = True
        collecting = current is None  # the cycle collector's: see described.instance_attrs
        if collecting:
            entry.died_in = current_collection()
        key = id(d)
        if not (registry.reading or key in registry.dirty or key in registry.fired):
            # Unchanged since a drain read it: that state stands, and nothing is allocated (a
            # kept state is an object the program's collections would count towards their
            # next run, moving them from where they happen without the runtime).
            return
        if _near_recursion_limit():
            # Reading would take frames the program may not have: the row says it does not know.
            entry.final = None
            entry.final_unknown = True
            return
        outer = registry.named
        named: list[Entry] = []
        registry.named = named
        try:
            entry.final = final_state(d, entry, registry, collecting)
            # The Deferreds its state names but nobody was shown yet: their rows must exist even
            # if they die in the same collection, so they are captured too — a bounded walk.
            done = 0
            while named and done < _NAMED_LIMIT:
                other = named.pop()
                target = other()
                if target is not None and other.final is None and not other.reported:
                    other.final = final_state(target, other, registry, collecting)
                    done += 1
        finally:
            registry.named = outer
    except BaseException:  # noqa: B036 — a finaliser's error would be printed into the program
        entry.final = None
        entry.final_unknown = True


# What final_state reads of a Deferred (both versions' names for the callback list).
_STATE_ATTRS: tuple[str, ...] = ("called", "result", "callbacks", "_callbacks", "paused")
_STATE_ATTRS += ("_chainedTo", "_runningCallbacks", "_deferredList")


def final_state(
    d: Any, entry: Entry, registry: Registry, collecting: bool = False
) -> wire.DeferredState:
    """The wire state of ``d`` as it dies, cheaply (one per known Deferred of the program): a
    result described as a live row shows it, a Failure by the summary the failure note made; no
    timer."""
    attrs = described.instance_attrs(d, _STATE_ATTRS) if collecting else d.__dict__
    called = attrs.get("called", False) is True
    if called and entry.fired_at is None:
        entry.fired_at = clock.wire_now()
    value = attrs.get("result", ABSENT)  # read once (see build_state)
    has_result = value is not ABSENT

    def id_of(obj: Any) -> Optional[int]:
        dtype = registry.deferred_type
        if dtype is None or not described.inherits(type(obj), dtype):
            return None
        return _entry_of(registry, obj).serial

    return build_state(
        attrs,
        entry,
        registry,
        id_of,
        key=id(d),
        # Filled in when it is reported (state_at_death): a capture gives no id, so a Deferred
        # nobody was shown and nothing names dies counted, not reported.
        serial=0,
        has_result=has_result,
        result=_result(value, entry, registry, collecting) if has_result else None,
        timer=None,  # read through the DelayedCall: left to the drains
        # What it waited for ends with it (and reading it is the drains' work, not a hot path's).
        blocked_by=None,
        root=None,
    )


def _entry_of(registry: Registry, obj: Any) -> Entry:
    """The entry of a Deferred the dying one names.  In a collection of a cycle every member's
    weak reference is cleared before any finaliser runs: an entry at its address whose weak
    reference is cleared is its own if its finaliser has not run or ran in this same collection
    (a fresh one would give it a second row); one that died before is a predecessor's at the
    address, and the named Deferred, never taken in, gets an entry of its own."""
    entry = registry.entries.get(id(obj))
    if (
        entry is not None
        and entry() is None
        and (not entry.died or entry.died_in == current_collection())
    ):
        named = registry.named
        if named is not None and not entry.reported and entry.final is None:
            named.append(entry)
        return entry
    return registry.ensure(obj)


def _result(value: Any, entry: Entry, registry: Registry, collecting: bool) -> wire.Result:
    kind = type(value)
    dtype, ftype = registry.deferred_type, registry.failure_type
    if dtype is not None and described.inherits(kind, dtype):
        return {"kind": "deferred", "id": _entry_of(registry, value).serial}
    if ftype is not None and described.inherits(kind, ftype):
        noted = entry.unhandled  # the summary the failure note made of this same Failure
        if noted is not None:
            return noted
        fields = (
            described.instance_attrs(value, ("type", "value") + FRAME_ATTRS) if collecting else None
        )
        attrs = fields or getattr(value, "__dict__", {})
        exc_type = attrs.get("type")
        name = saferepr.type_name(exc_type if isinstance(exc_type, type) else kind)
        message, truncated = _message(attrs.get("value"), _LIMIT[0])
        return {
            "kind": "failure",
            "excType": name,
            "message": message,
            "truncated": truncated,
            "frames": (frames := failure_frames(value, fields)),
            "raisedBy": raised_by(frames),
        }
    # A value as a live row shows it while the program runs (no code of the program); a small
    # builtin one by the builtin repr itself, which is C: the bounded repr is reprlib, Python
    # frames a debugger would step into from the finaliser.
    text = _small_builtin_repr(value, _LIMIT[0])
    if text is not None:
        return {
            "kind": "value",
            "typeName": saferepr.type_name(kind),
            "repr": text,
            "truncated": False,
        }
    return describe_result(value, registry, _LIMIT[0])


def _message(exc: Any, limit: int) -> tuple[str, bool]:
    """``str(exc)`` as a live row's Failure shows it, for the exceptions whose ``str`` is
    builtin C code or their one str argument (``described.plain_message``); ("", True) — said
    to be cut short — for the rest, whose message the finaliser does not take (reprlib
    frames)."""
    text = described.plain_message(exc) if exc is not None else None
    if text is None:
        return "", True
    if len(text) <= limit:
        return text, False
    return text[: max(0, limit - 3)] + "...", True


_LIMIT = [saferepr.repr_limit()]  # read at import: os.environ is a Python mapping
_SMALL = 64  # items a small builtin value may hold, all levels together


def _small_builtin_repr(value: Any, limit: int) -> Optional[str]:
    """``repr(value)`` for a builtin scalar or a small builtin container of such (at most
    ``_SMALL`` items in all, three levels), when it fits in ``limit``; else None."""
    todo, seen = [(value, 0)], 0
    while todo:
        item, depth = todo.pop()
        kind = type(item)
        if not described.is_builtin_value_type(kind):
            return None
        if described.is_container_type(kind):
            seen += len(item)
            if depth >= 3 or seen > _SMALL:
                return None
            pairs = dict.items(item) if kind is dict else ()
            todo.extend((part, depth + 1) for pair in pairs for part in pair)
            if kind is not dict:
                todo.extend((part, depth + 1) for part in item)
        elif (kind is str or kind is bytes or kind is bytearray) and len(item) > limit:
            return None
    try:
        text = repr(value)
    except Exception:  # an int too long for its decimal repr
        return None
    return text if len(text) <= limit else None
