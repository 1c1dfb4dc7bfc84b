"""What a shown Deferred looked like after its latest change, kept in case it dies before a drain.

A Deferred that fires and is collected between two drains would otherwise keep the state read
before it fired: its weak reference's callback runs once the object is gone, when nothing of it
can be read.  So the hooks in Twisted's code, after every run of writes to a Deferred that the
emitter already knows (one that has an entry), call :func:`capture`, which keeps a *final state*
on the entry.  When the Deferred dies, its ``collected`` event carries that state; while it
lives, the drain reads the full state instead and forgets the capture.

A capture runs on the program's own thread in the middle of Twisted's callback loop, so it runs
no code of the program: no ``repr``, no ``str``, no ``getattr`` on the program's objects.  A
result is shown by its builtin repr only for the scalar builtins (whose repr is C code), by its
type name otherwise (an ``opaque`` result); a Failure by the summary Twisted's own failure note
already made, else its exception type; callbacks by the names of plain functions and methods.
Nothing captured holds a strong reference to a result, a Failure or a callback: their lifetimes
stay the program's.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Optional

from . import clock, saferepr, wire
from .registry import Entry, Registry, creation_location
from .state import callback_pairs, coroutine_info

_SCALARS = (int, float, bool, complex, type(None))
_TEXTS = (str, bytes)


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
    try:
        entry.final = final_state(obj, entry, registry)
    except Exception:
        entry.final = None
        entry.final_unknown = True


def failure_noted(registry: Registry, obj: Any) -> None:
    """Hook for ``X._debugInfo.failResult = ...``: Twisted's unhandled-failure bookkeeping, then
    a capture (the failure note is the last write of a failing chain)."""
    registry.note_failure(obj)
    capture(registry, obj)


def final_state(d: Any, entry: Entry, registry: Registry) -> wire.DeferredState:
    """The wire state of ``d`` now, read without running any of the program's code."""
    attrs = d.__dict__
    called = attrs.get("called", False) is True
    if called and entry.fired_at is None:
        entry.fired_at = clock.wire_now()
    has_result = "result" in attrs
    chained = attrs.get("_chainedTo")
    paused = attrs.get("paused", 0)
    return {
        "id": entry.serial,
        "type": entry.type_name,
        "label": entry.label,
        "called": called,
        "hasResult": has_result,
        "result": _result(attrs["result"], entry, registry) if has_result else None,
        "callbacks": callback_pairs(attrs, lambda obj: _serial(registry, obj), plain_callable),
        "paused": paused if type(paused) is int else 0,
        "waitingOn": _serial(registry, chained) if chained is not None else None,
        "cancelled": entry.cancelled,
        "created": creation_location(entry),
        "createdAt": entry.created_at,
        "firedAt": entry.fired_at,
        "members": _members(attrs, registry),
        "coroutine": coroutine_info(entry, lambda obj: _serial(registry, obj)),
        "timer": None,  # the DelayedCall's state is read through its methods: not here
    }


def _serial(registry: Registry, obj: Any) -> Optional[int]:
    dtype = registry.deferred_type
    if dtype is None or not issubclass(type(obj), dtype):
        return None
    return registry.ensure(obj).serial


def _result(value: Any, entry: Entry, registry: Registry) -> wire.Result:
    kind = type(value)
    dtype, ftype = registry.deferred_type, registry.failure_type
    if dtype is not None and issubclass(kind, dtype):
        return {"kind": "deferred", "id": registry.ensure(value).serial}
    if ftype is not None and issubclass(kind, ftype):
        noted = entry.unhandled  # the summary note_failure made of this same Failure
        if noted is not None:
            return noted
        exc_type = getattr(value, "__dict__", {}).get("type")
        return {
            "kind": "failure",
            "excType": saferepr.type_name(exc_type if isinstance(exc_type, type) else kind),
            "message": "",
            "truncated": False,
        }
    limit = saferepr.repr_limit()
    # By identity: ``in`` would compare with ``==``, which a metaclass of the program may define.
    text_kind = any(kind is t for t in _TEXTS)
    if text_kind or any(kind is t for t in _SCALARS):
        try:
            text = repr(value[: limit + 1] if text_kind else value)
        except ValueError:  # an int too long to convert to text
            return {"kind": "opaque", "typeName": kind.__name__}
        truncated = len(text) > limit or (text_kind and len(value) > limit)
        return {
            "kind": "value",
            "typeName": kind.__name__,
            "repr": text[:limit],
            "truncated": truncated,
        }
    return {"kind": "opaque", "typeName": saferepr.type_name(kind)}


def plain_callable(func: Any) -> wire.CallableInfo:
    """Name and source of a callback, from the attributes of builtin types only (a function's
    code, a method's function, a partial's function); any other callable by its type name."""
    target = func
    for _ in range(4):
        if type(target) is types.MethodType:
            target = target.__func__
        elif type(target) is functools.partial:
            target = target.func
        else:
            break
    if type(target) is types.FunctionType:
        code = target.__code__
        return {"name": target.__qualname__, "file": code.co_filename, "line": code.co_firstlineno}
    if type(target) is types.BuiltinFunctionType:
        return {"name": target.__qualname__, "file": None, "line": None}
    return {"name": saferepr.type_name(type(target)), "file": None, "line": None}


def _members(attrs: dict[str, Any], registry: Registry) -> Optional[list[int]]:
    members = attrs.get("_deferredList")
    if type(members) is not list:
        return None
    return [i for i in (_serial(registry, m) for m in list(members)) if i is not None]
