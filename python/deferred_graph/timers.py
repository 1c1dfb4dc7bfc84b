"""Timers: which DelayedCall will fire a pending Deferred, and in how long.

Nothing is added to any hot path.  A ``deferLater`` Deferred's canceller closes over its
DelayedCall (read per Deferred, cheaply, while running); the reactor's own pending calls are
mapped once per drain that needs them (``reactor_calls``), so a callLater, LoopingCall or
addTimeout of the reactor is known at once too; at an analysis every DelayedCall in the
process is found in one pass — the instances of ``twisted.internet.base.DelayedCall`` are the
objects that refer to that class (``gc.get_referrers``), whether a reactor or a ``task.Clock``
holds them — and mapped to the Deferreds it will fire: ``d.callback``/``d.errback``/``d.cancel``
bound methods (callLater, deferLater), a function closing over a Deferred (``addTimeout``'s
``timeItOut``), a ``LoopingCall`` (its ``_deferred``), Deferred arguments.

Time left is reactor time: ``call.time`` against the clock the call reads (a ``task.Clock``'s
``rightNow``, or ``time.time`` for the real reactor; any other clock is not called, it could
be program code).
"""

from __future__ import annotations

import os
import sys
import time
import types
from typing import Any, Optional

from . import described, wire
from .entries import Entry, creation_location
from .holders import closure_values, has_base, instance_dict, is_instance


def _clock_now(call: Any) -> Optional[float]:
    seconds = call.__dict__.get("seconds")
    # A bound method's own slots only: anything else's getattr could run program code.
    if type(seconds) is types.MethodType:
        owner, func = seconds.__self__, seconds.__func__
    else:
        owner, func = None, seconds
    if owner is not None and has_base(owner, "twisted.internet.task", "Clock"):
        attrs = instance_dict(owner) or {}
        value = attrs.get("rightNow", described.own_attr(type(owner), "rightNow") or 0.0)
        return float(value) if type(value) in (int, float) else None
    if func is time.time or (
        type(func) is types.FunctionType and func.__module__ == "twisted.python.runtime"
    ):
        return time.time()
    return None


def _in_text(left: Optional[float]) -> str:
    if left is None:
        return "at reactor time ?"
    if left < 0:
        return "overdue by %s" % _seconds(-left)
    return "in %s" % _seconds(left)


def _seconds(value: float) -> str:
    return "%d ms" % round(value * 1000) if value < 1 else "%.1f s" % value


def call_text(call: Any, how: str) -> str:
    """``in 1.8 s · deferLater`` / ``overdue by 3.0 s · callLater`` / ``… · cancelled``."""
    try:
        attrs = call.__dict__
        at = attrs.get("time")
        now = _clock_now(call)
        left = float(at) - now if type(at) in (int, float) and now is not None else None
        state = ""
        if attrs.get("cancelled"):
            state = " · cancelled"
        elif attrs.get("called"):
            state = " · ran"
        return "%s · %s%s" % (_in_text(left), how, state)
    except Exception:
        return how


def deferlater_call(attrs: dict[str, Any]) -> Any:
    """The DelayedCall a ``deferLater`` canceller closes over, while it is reachable."""
    for value in closure_values(attrs.get("_canceller")):
        if described.name(type(value)) == "DelayedCall":
            return value
    return None


def reactor_calls() -> list[Any]:
    """The installed reactor's DelayedCalls not yet run (its own lists, copied in C)."""
    reactor = sys.modules.get("twisted.internet.reactor")
    attrs = instance_dict(reactor) if reactor is not None else None
    out: list[Any] = []
    for name in ("_pendingTimedCalls", "_newTimedCalls"):
        calls = attrs.get(name) if attrs is not None else None
        if type(calls) is list:
            out += [c for c in list(calls) if described.name(type(c)) == "DelayedCall"]
    return out


def _loop_callable(call: Any) -> Any:
    """The function a LoopingCall's DelayedCall will run (the LoopingCall's ``f``)."""
    func = (instance_dict(call) or {}).get("func")  # the LoopingCall itself, or its method
    owner = func.__self__ if type(func) is types.MethodType else func
    if owner is None or described.name(type(owner)) != "LoopingCall":
        return None
    target = (instance_dict(owner) or {}).get("f") if owner is not None else None
    if type(target) is types.MethodType:
        target = target.__func__
    return target if type(target) is types.FunctionType else None


def _later_callable(attrs: dict[str, Any]) -> Any:
    """The function a deferLater will call (its first callback closes over it)."""
    chain = attrs.get("callbacks")
    if type(chain) is not list:
        chain = attrs.get("_callbacks")
    if type(chain) is not list or not chain:
        return None
    try:
        first = chain[0][0][0]
    except Exception:
        return None
    for value in closure_values(first):
        if type(value) is types.FunctionType:
            return value
    return None


def timer_blocked(call: Any, how: str, entry: Entry, attrs: dict[str, Any]) -> wire.BlockedBy:
    """The ``timer`` blockedBy, located where the Deferred was made when that is the
    program's line, else (a deferLater made in Twisted's task.py) at the function it calls."""
    where: Optional[wire.Location] = creation_location(entry)
    text = call_text(call, how)
    later = None
    if how == "deferLater":
        later = _later_callable(attrs)
    elif how == "LoopingCall":
        later = _loop_callable(call)
    if later is not None:
        code = later.__code__
        text = "%s(%s)" % (text, getattr(code, "co_qualname", code.co_name))
        if where is None or _in_twisted(where["file"]) or not where["line"]:
            where = {
                "file": code.co_filename,
                "line": code.co_firstlineno,
                "function": code.co_name,
            }
    if where is not None and not where["line"]:
        where = None
    return {"kind": "timer", "text": text, "ids": [], "location": where}


def _in_twisted(file: str) -> bool:
    return (os.sep + "twisted" + os.sep) in file


def _deferreds_in(value: Any, dtype: type, depth: int = 0) -> list[tuple[Any, str]]:
    """Deferreds a DelayedCall's function or argument will fire, with how it was scheduled."""
    out: list[tuple[Any, str]] = []
    kind = type(value)
    if is_instance(value, dtype):
        return [(value, "callLater")]
    if kind is types.MethodType:
        owner = value.__self__
        if is_instance(owner, dtype):
            return [(owner, "callLater")]
        if described.name(type(owner)) == "LoopingCall":
            inner = (instance_dict(owner) or {}).get("_deferred")
            if inner is not None and is_instance(inner, dtype):
                return [(inner, "LoopingCall")]
        return out
    if described.name(type(value)) == "LoopingCall":
        inner = (instance_dict(value) or {}).get("_deferred")
        if inner is not None and is_instance(inner, dtype):
            return [(inner, "LoopingCall")]
        return out
    if kind is types.FunctionType and depth < 2:
        for contents in closure_values(value):
            if is_instance(contents, dtype):
                how = "addTimeout" if value.__name__ == "timeItOut" else "callLater"
                out.append((contents, how))
    return out


def delayed_calls(delayed_call_type: Optional[type], referrers: list[Any]) -> list[Any]:
    """The DelayedCall instances among the referrers of the DelayedCall class."""
    if delayed_call_type is None:
        return []
    return [r for r in referrers if type(r) is delayed_call_type]


def fired_by_calls(calls: list[Any], dtype: type) -> dict[int, tuple[Any, str]]:
    """id(Deferred) -> (DelayedCall, how) for every call not run and not cancelled."""
    out: dict[int, tuple[Any, str]] = {}
    for call in calls:
        attrs = getattr(call, "__dict__", None)
        if type(attrs) is not dict or attrs.get("called") or attrs.get("cancelled"):
            continue
        found = _deferreds_in(attrs.get("func"), dtype)
        for arg in attrs.get("args") or ():
            found += _deferreds_in(arg, dtype, 2)
        for deferred, how in found:
            if how == "callLater" and getattr(deferred, "__dict__", {}).get("_canceller"):
                if deferlater_call(deferred.__dict__) is call:
                    how = "deferLater"
            out.setdefault(id(deferred), (call, how))
    return out
