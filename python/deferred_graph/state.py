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

import functools
import types
from typing import Any, Callable, Optional, cast

from . import described, saferepr, wire
from .entries import Entry, code_location, creation_location, fire_location
from .registry import Registry
from .why import why_of

_NAME_LIMIT = 200
ABSENT = object()
"""What an attribute missing from an instance dict reads as (one read, never two)."""


Described = list[tuple[wire.DeferredState, Any]]
"""States whose result was described without the program's own repr/str, with their Deferred."""


def read_state(
    d: Any,
    entry: Entry,
    registry: Registry,
    limit: Optional[int] = None,
    described_out: Optional[Described] = None,
    analysis: Any = None,
) -> wire.DeferredState:
    """The wire ``DeferredState`` of ``d`` now, running no code of the program (a result is
    described as ``saferepr`` says); when the result text is not the program's own repr or
    str, the state and ``d`` are appended to ``described_out`` (see ``retake_result``).
    ``analysis``: a ``why.Analysis`` of this moment, at a stop; otherwise its "why" comes from
    cheap facts and the last analysis."""
    try:
        limit = saferepr.repr_limit() if limit is None else limit
        state, exact = _read(d, entry, registry, limit, analysis)
        if not exact and described_out is not None:
            described_out.append((state, d))
        return state
    except Exception as exc:  # a Deferred subclass with a hostile __dict__, say
        return _minimal(entry, "<state failed: %s>" % type(exc).__name__)


def retake_result(
    state: wire.DeferredState, d: Any, registry: Registry, limit: Optional[int] = None
) -> None:
    """Put the result as the program's own ``__repr__``/``__str__`` give it into ``state``:
    only at a debugger stop, in the paused thread, where the program's code may run (as in VS
    Code's Variables view).  Never raises."""
    try:
        attrs = d.__dict__
        if "result" in attrs:
            limit = saferepr.repr_limit() if limit is None else limit
            state["result"] = _result(attrs["result"], registry, limit, full=True)[0]
    except Exception:
        pass


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
    """State for a Deferred reported only after its death (it died with an unhandled Failure):
    what was captured after its last change, else what the entry alone knows."""
    return state_at_death(entry) or _minimal(entry)


def state_at_death(entry: Entry) -> Optional[wire.DeferredState]:
    """The state captured after the Deferred's last change since it was last read (see
    ``death``), with the facts the entry itself keeps brought up to date; None when nothing
    changed since that read, whose state then stands."""
    final = entry.final
    if final is None:
        return None
    state = dict(final)
    result = state.get("result")
    if isinstance(result, dict) and result.get("kind") == "failure" and entry.unhandled:
        # The failure note came after the capture of the write that set the result (the note's
        # summary is the one Twisted's unhandled-error log will print).
        state["result"] = entry.unhandled
    state["id"] = entry.serial
    state["label"] = entry.label
    state["cancelled"] = entry.cancelled
    state["firedAt"] = entry.fired_at
    return cast(wire.DeferredState, state)


def forget_capture(entry: Entry) -> None:
    """Called before a drain or snapshot reads ``entry`` afresh: a capture made before the read
    is older than it.  (Cleared first, so a capture made while the read runs is kept.)"""
    entry.final = None
    entry.final_unknown = False


def build_state(
    attrs: dict[str, Any],
    entry: Entry,
    registry: Registry,
    id_of: Callable[[Any], Optional[int]],
    *,
    key: int,
    serial: int,
    has_result: bool,
    result: Optional[wire.Result],
    timer: Optional[wire.TimerInfo],
    blocked_by: Optional[wire.BlockedBy],
    root: Optional[wire.BlockedBy],
) -> wire.DeferredState:
    """The one wording of a Deferred on the wire, from its attributes (``attrs``: its
    ``__dict__``, or what the finaliser could read of it) and its entry; what differs between a
    live read and a read at death is passed in.  ``has_result`` is passed, not read here: the
    program's thread may set ``result`` while the sender reads, and the row must say "has a
    result" exactly when it carries one."""
    called = attrs.get("called", False) is True
    chained = attrs.get("_chainedTo")
    return {
        "id": serial,
        "type": entry.type_name,
        "label": entry.label,
        "called": called,
        "hasResult": has_result,
        "result": result,
        "callbacks": callback_pairs(attrs, id_of, callable_info),
        "paused": _int(attrs.get("paused", 0)),
        "waitingOn": id_of(chained) if chained is not None else None,
        "cancelled": entry.cancelled,
        "created": creation_location(entry),
        "createdAt": entry.created_at,
        "firedAt": entry.fired_at,
        "members": members_of(attrs, id_of),
        "coroutine": coroutine_info(entry, id_of),
        "timer": timer,
        "blockedBy": blocked_by,
        "root": root,
        "firedBy": fired_by(entry, registry, key, called),
        "firedAgainBy": entry.fired_again,
        "running": attrs.get("_runningCallbacks") is True,
    }


def _read(
    d: Any, entry: Entry, registry: Registry, limit: int, analysis: Any = None
) -> tuple[wire.DeferredState, bool]:
    attrs = d.__dict__
    blocked_by, root = why_of(d, attrs, entry, registry, analysis)
    id_of = _id_getter(registry)
    value = attrs.get("result", ABSENT)  # read once: the program's thread may set it meanwhile
    has_result = value is not ABSENT
    result, exact = _result(value, registry, limit) if has_result else (None, True)
    entry.type_name = described.name(type(d))  # kept for a report after its death
    state = build_state(
        attrs,
        entry,
        registry,
        id_of,
        key=id(d),
        serial=entry.serial,
        has_result=has_result,
        result=result,
        timer=_timer(attrs),
        blocked_by=blocked_by,
        root=root,
    )
    return state, exact


def fired_by(entry: Entry, registry: Registry, key: int, called: Any) -> Optional[wire.Location]:
    """The caller of callback()/errback(): taken by a drain, or still in the hooks' dict (for
    a live read and for the finaliser's)."""
    if entry.fire_site is None and called:
        site = registry.pending_fire_site(key)
        if site is not None:
            return code_location(site[0], site[1])
    return fire_location(entry)


def _id_getter(registry: Registry) -> Callable[[Any], Optional[int]]:
    dtype = registry.deferred_type

    def id_of(obj: Any) -> Optional[int]:
        if dtype is not None and not described.inherits(type(obj), dtype):
            return None
        return registry.ensure(obj).serial

    return id_of


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def _result(
    value: Any, registry: Registry, limit: int, full: bool = False
) -> tuple[wire.Result, bool]:
    """The wire result and whether it is exact (False: described without the program's own
    repr or str; a Failure's message always counts as described)."""
    dtype = registry.deferred_type
    if dtype is not None and described.inherits(type(value), dtype):
        return {"kind": "deferred", "id": registry.ensure(value).serial}, True
    failure_type = registry.failure_type
    if failure_type is not None and described.inherits(type(value), failure_type):
        return saferepr.failure_result(value, limit, full), full
    by_identity = (dtype,) if dtype is not None else ()
    text, truncated, exact = saferepr.repr_exact(value, limit, by_identity, full)
    result: wire.ValueResult = {
        "kind": "value",
        "typeName": saferepr.type_name(type(value)),
        "repr": text,
        "truncated": truncated,
    }
    return result, exact


def describe_result(value: Any, registry: Registry, limit: int) -> wire.Result:
    """A result as a live row shows it while the program runs (described, no code of the
    program): for a capture of the state at death."""
    return _result(value, registry, limit)[0]


def callback_pairs(
    attrs: dict[str, Any],
    id_of: Callable[[Any], Optional[int]],
    describe: Callable[[Any], wire.CallableInfo],
) -> list[wire.CallbackPair]:
    """The pending pairs of a Deferred's ``__dict__`` (``callbacks`` on 22.4, ``_callbacks``
    on 26.4; only a plain list, whose iteration runs no code of the program), each half named
    by ``describe``, a ``_CONTINUE`` pair by the id of the Deferred it resumes."""
    chain = attrs.get("callbacks")
    if type(chain) is not list:
        chain = attrs.get("_callbacks")
    if type(chain) is not list:
        return []
    pairs: list[wire.CallbackPair] = []
    for item in list(chain):
        try:
            (cb, cb_args, _kw), (eb, _eb_args, _ekw) = item
        except Exception:
            pairs.append({"callback": None, "errback": None, "continues": None})
            continue
        if is_continue(cb):
            waiting = cb_args[0] if cb_args else None
            pairs.append({"callback": None, "errback": None, "continues": id_of(waiting)})
        else:
            pairs.append({"callback": describe(cb), "errback": describe(eb), "continues": None})
    return pairs


def is_continue(value: Any) -> bool:
    """Twisted's ``_CONTINUE`` sentinel (its class is private, so it is known by name)."""
    return described.is_class(type(value), "twisted.internet.defer", "_Sentinel") and (
        getattr(value, "name", None) == "_CONTINUE"
    )


def callable_info(func: Any) -> wire.CallableInfo:
    """Name and source location of a callback (unwrapping partials and bound methods), read
    from the function objects and classes involved, never from a callable instance itself."""
    try:
        target = func
        for _ in range(4):
            if type(target) is not functools.partial:
                break
            target = target.func
        if type(target) is types.MethodType:
            target = target.__func__
        kind = type(target)
        if kind is types.FunctionType:
            code = target.__code__
            name = target.__qualname__
        elif issubclass(kind, type):  # a class called as a callback
            code, name = None, described.qualname(target)
        elif described.is_one_of(kind, _BUILTIN_CALLABLES):
            code, name = None, str(target.__qualname__)
        else:  # an instance: where its class's __call__ is
            where = described.owner(kind, "__call__")
            call = described.own_attr(where, "__call__") if where is not None else None
            code = call.__code__ if type(call) is types.FunctionType else None
            name = (getattr(code, "co_qualname", None) or code.co_name) if code else ""
            name = name or saferepr.type_name(kind)
        if code is not None:
            return {
                "name": name[:_NAME_LIMIT],
                "file": code.co_filename,
                "line": code.co_firstlineno,
            }
        return {"name": name[:_NAME_LIMIT], "file": None, "line": None}
    except Exception:
        return {"name": "?", "file": None, "line": None}


_BUILTIN_CALLABLES = (
    types.BuiltinFunctionType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
)


def members_of(attrs: dict[str, Any], id_of: Callable[[Any], Optional[int]]) -> Optional[list[int]]:
    members = attrs.get("_deferredList")
    if not isinstance(members, list):
        return None
    return [i for i in (id_of(m) for m in list(members)) if i is not None]


def coroutine_info(
    entry: Entry, id_of: Callable[[Any], Optional[int]]
) -> Optional[wire.CoroutineInfo]:
    """What drives the Deferred (from its entry's weak links alone) and what that awaits now."""
    link = entry.coroutine
    if link is None:
        return None
    gen = link.gen()
    kind = type(gen)
    frame, running = None, False
    if kind is types.GeneratorType:
        frame, running = gen.gi_frame, gen.gi_running
    elif kind is types.CoroutineType:
        frame, running = gen.cr_frame, gen.cr_running
    # A coroutine-like object of the program's own type is never asked: alive means pending.
    finished = gen is None or (frame is None and link.file is not None)
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
        "finished": bool(finished),
        "waitingOn": waiting_on,
    }


def _timer(attrs: dict[str, Any]) -> Optional[wire.TimerInfo]:
    """The DelayedCall a ``deferLater`` canceller closes over, when still reachable.  Only a
    function's closure is looked into, and only Twisted's DelayedCall is asked anything (a
    program's canceller may close over objects with side-effecting attribute lookups)."""
    canceller = attrs.get("_canceller")
    if type(canceller) is not types.FunctionType:
        return None
    for cell in canceller.__closure__ or ():
        try:
            call = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if described.is_class(type(call), "twisted.internet.base", "DelayedCall"):
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
