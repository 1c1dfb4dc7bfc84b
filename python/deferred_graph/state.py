"""Read one Deferred's state from Twisted's real attributes, in the wire schema.

This runs off the hot path (the emitter, a snapshot at a stop) and reads exactly what Twisted
itself would answer: ``hasattr(d, "result")``, ``len(d.callbacks)``, ``d.paused``,
``d._chainedTo``, ``d.called``.  It reads the instance ``__dict__`` directly, so 26.4's deprecated
``callbacks`` property is never touched (no DeprecationWarning) and no user ``__getattr__`` runs.
Related Deferreds (a Deferred result, ``_chainedTo``, ``_CONTINUE`` pairs, DeferredList members,
what a coroutine awaits) are named by their serial id, registering them on the way if needed.
Never raises.
"""

from __future__ import annotations

import types
from typing import Any, Callable, Optional

from . import saferepr, wire
from .registry import Entry, Registry, code_location, creation_location, fire_location
from .why import why_of

_NAME_LIMIT = 200


def read_state(
    d: Any, entry: Entry, registry: Registry, limit: Optional[int] = None, analysis: Any = None
) -> wire.DeferredState:
    """The wire ``DeferredState`` of ``d`` now (``analysis``: a ``why.Analysis`` of this
    moment, at a stop; otherwise its "why" comes from cheap facts and the last analysis)."""
    try:
        limit = saferepr.repr_limit() if limit is None else limit
        return _read(d, entry, registry, limit, analysis)
    except Exception as exc:  # a Deferred subclass with a hostile __dict__, say
        return _minimal(entry, "<state failed: %s>" % type(exc).__name__)


def _minimal(entry: Entry, note: Optional[str] = None) -> wire.DeferredState:
    """A state built from the entry alone (the Deferred is gone or unreadable)."""
    result: Optional[wire.Result] = entry.unhandled
    if result is None and note is not None:
        result = {"kind": "value", "typeName": "?", "repr": note, "truncated": False}
    return {
        "id": entry.serial,
        "type": entry.type_name,
        "label": entry.label,
        "called": entry.fired_at is not None or result is not None,
        "hasResult": result is not None,
        "result": result,
        "callbacks": [],
        "paused": 0,
        "waitingOn": None,
        "cancelled": entry.cancelled,
        "created": creation_location(entry),
        "createdAt": entry.created_at,
        "firedAt": entry.fired_at,
        "members": None,
        "coroutine": None,
        "timer": None,
        "blockedBy": None,
        "root": None,
        "firedBy": fire_location(entry),
        "firedAgainBy": entry.fired_again,
        "running": False,
    }


def dead_state(entry: Entry) -> wire.DeferredState:
    """State for a Deferred reported only after its death (it died with an unhandled Failure)."""
    return _minimal(entry)


def _read(
    d: Any, entry: Entry, registry: Registry, limit: int, analysis: Any
) -> wire.DeferredState:
    attrs = d.__dict__
    blocked_by, root = why_of(d, attrs, entry, registry, analysis)
    id_of = _id_getter(registry)
    has_result = "result" in attrs
    result = _result(attrs["result"], registry, limit) if has_result else None
    chained = attrs.get("_chainedTo")
    entry.type_name = type(d).__name__  # kept for a report after its death
    return {
        "id": entry.serial,
        "type": entry.type_name,
        "label": entry.label,
        "called": bool(attrs.get("called", False)),
        "hasResult": has_result,
        "result": result,
        "callbacks": _callbacks(attrs, id_of),
        "paused": _int(attrs.get("paused", 0)),
        "waitingOn": id_of(chained) if chained is not None else None,
        "cancelled": entry.cancelled,
        "created": creation_location(entry),
        "createdAt": entry.created_at,
        "firedAt": entry.fired_at,
        "members": _members(attrs, id_of),
        "coroutine": _coroutine(entry, id_of),
        "timer": _timer(attrs),
        "blockedBy": blocked_by,
        "root": root,
        "firedBy": _fired_by(entry, registry, id(d), attrs),
        "firedAgainBy": entry.fired_again,
        "running": attrs.get("_runningCallbacks") is True,
    }


def _fired_by(entry: Entry, registry: Registry, key: int, attrs: dict[str, Any]) -> Any:
    """The caller of callback()/errback(): taken by a drain, or still in the hooks' dict."""
    if entry.fire_site is None and attrs.get("called"):
        site = registry.sites.get(key)
        if site is not None:
            return code_location(site[0], site[1])
    return fire_location(entry)


def _id_getter(registry: Registry) -> Callable[[Any], Optional[int]]:
    dtype = registry.deferred_type

    def id_of(obj: Any) -> Optional[int]:
        if dtype is not None and not issubclass(type(obj), dtype):
            return None
        return registry.ensure(obj).serial

    return id_of


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def _result(value: Any, registry: Registry, limit: int) -> wire.Result:
    dtype = registry.deferred_type
    if dtype is not None and issubclass(type(value), dtype):
        return {"kind": "deferred", "id": registry.ensure(value).serial}
    failure_type = registry.failure_type
    if failure_type is not None and issubclass(type(value), failure_type):
        return saferepr.failure_result(value, limit)
    text, truncated = saferepr.safe_repr(value, limit, (dtype,) if dtype is not None else ())
    return {
        "kind": "value",
        "typeName": saferepr.type_name(type(value)),
        "repr": text,
        "truncated": truncated,
    }


def _callbacks(
    attrs: dict[str, Any], id_of: Callable[[Any], Optional[int]]
) -> list[wire.CallbackPair]:
    chain = attrs.get("callbacks")
    if not isinstance(chain, list):
        chain = attrs.get("_callbacks")
    if not isinstance(chain, list):
        return []
    pairs: list[wire.CallbackPair] = []
    for item in list(chain):
        try:
            (cb, cb_args, _kw), (eb, _eb_args, _ekw) = item
        except Exception:
            pairs.append({"callback": None, "errback": None, "continues": None})
            continue
        if _is_continue(cb):
            waiting = cb_args[0] if cb_args else None
            pairs.append({"callback": None, "errback": None, "continues": id_of(waiting)})
        else:
            pairs.append(
                {"callback": callable_info(cb), "errback": callable_info(eb), "continues": None}
            )
    return pairs


def _is_continue(value: Any) -> bool:
    return type(value).__name__ == "_Sentinel" and getattr(value, "name", None) == "_CONTINUE"


def callable_info(func: Any) -> wire.CallableInfo:
    """Name and source location of a callback (unwrapping bound methods and partials)."""
    try:
        target = func
        for _ in range(4):
            inner = getattr(target, "func", None)  # functools.partial
            if inner is None or not callable(inner):
                break
            target = inner
        code = getattr(getattr(target, "__func__", target), "__code__", None)
        if not isinstance(code, types.CodeType):
            # Not a callability test: the class's __call__ is where a callable object's code is.
            call = getattr(type(target), "__call__", None)  # noqa: B004
            code = getattr(call, "__code__", None)
        name = getattr(target, "__qualname__", None)
        if not isinstance(name, str):
            name = getattr(code, "co_qualname", None) or saferepr.type_name(type(target))
        if isinstance(code, types.CodeType):
            return {
                "name": name[:_NAME_LIMIT],
                "file": code.co_filename,
                "line": code.co_firstlineno,
            }
        return {"name": name[:_NAME_LIMIT], "file": None, "line": None}
    except Exception:
        return {"name": "?", "file": None, "line": None}


def _members(attrs: dict[str, Any], id_of: Callable[[Any], Optional[int]]) -> Optional[list[int]]:
    members = attrs.get("_deferredList")
    if not isinstance(members, list):
        return None
    return [i for i in (id_of(m) for m in list(members)) if i is not None]


def _coroutine(entry: Entry, id_of: Callable[[Any], Optional[int]]) -> Optional[wire.CoroutineInfo]:
    link = entry.coroutine
    if link is None:
        return None
    gen = link.gen()
    frame = None
    if gen is not None:
        frame = (
            getattr(gen, "gi_frame", None)
            if link.kind == "inlineCallbacks"
            else getattr(gen, "cr_frame", None)
        )
    finished = gen is None or frame is None
    running = bool(getattr(gen, "gi_running", False) or getattr(gen, "cr_running", False))
    waiting_on: Optional[int] = None
    if not finished and not running:
        status = link.status()
        awaited = getattr(status, "waitingOn", None) if status is not None else None
        if awaited is not None:
            waiting_on = id_of(awaited)
    return {
        "kind": link.kind,
        "name": link.name,
        "file": link.file,
        "line": frame.f_lineno if frame is not None else link.line,
        "finished": finished,
        "waitingOn": waiting_on,
    }


def _timer(attrs: dict[str, Any]) -> Optional[wire.TimerInfo]:
    """The DelayedCall a ``deferLater`` canceller closes over, when still reachable."""
    canceller = attrs.get("_canceller")
    for cell in getattr(canceller, "__closure__", None) or ():
        try:
            call = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if hasattr(call, "getTime") and hasattr(call, "active") and hasattr(call, "func"):
            try:
                at = float(call.getTime())
                seconds = getattr(call, "seconds", None)
                now = float(seconds()) if callable(seconds) else at
                return {
                    "callAt": at,
                    "delay": at - now,
                    "function": callable_info(call.func)["name"],
                    "active": bool(call.active()),
                }
            except Exception:
                return None
    return None


def find_cancellation_status(deferred: Any, depth: int = 2) -> Any:
    """The inlineCallbacks ``_CancellationStatus`` reachable from the Deferred's canceller
    closure (a lambda on 26.4, ``cancel`` -> ``handleCancel`` on 22.4), or None."""
    todo = [(getattr(deferred, "__dict__", {}).get("_canceller"), 0)]
    while todo:
        func, level = todo.pop()
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if type(value).__name__ == "_CancellationStatus":
                return value
            if level < depth and isinstance(value, types.FunctionType):
                todo.append((value, level + 1))
    return None
