"""Two readings of every live Deferred that an analysis (``why``) needs.

``Waiters``: which referrers of a Deferred are its own waiters, so they can never fire it — a
Deferred chained to it (or holding it as its result until ``_runCallbacks`` chains them), a
DeferredList's member list, an inlineCallbacks status or a coroutine awaiting it.

``scan_callbacks``: what the pending callbacks of every Deferred say about others — a bound
``d.callback`` (``chainDeferred``) will fire ``d``; a Deferred in a closure or the arguments is
held by that callback; a Cooperator task in a closure is waiting on that Deferred.
"""

from __future__ import annotations

import types
from typing import Any

from . import described
from .heap import OwnDict
from .holders import closure_values, has_base, instance_dict, is_instance
from .registry import Registry


class Waiters:
    """Which referrers of a Deferred are its own waiters (they can never fire it)."""

    def __init__(self, objs: dict[int, Any], registry: Registry) -> None:
        self.dict_owner: dict[int, Any] = OwnDict()
        self.objs = objs
        self.registry = registry
        self.member_lists: set[int] = set()
        self.awaiting: dict[int, Any] = OwnDict()  # id(status or generator) -> what it awaits
        self.defer_file = registry.defer_file
        for obj in objs.values():
            attrs = obj.__dict__
            self.dict_owner[id(attrs)] = obj
            members = attrs.get("_deferredList")
            if type(members) is list:
                self.member_lists.add(id(members))
            entry = registry.lookup(obj)
            link = entry.coroutine if entry is not None else None
            status = link.status() if link is not None else None
            if status is not None:
                self.awaiting[id(status)] = getattr(status, "waitingOn", None)
                self.awaiting[id(instance_dict(status))] = getattr(status, "waitingOn", None)

    def no_climb(self) -> set[int]:
        """Referrers that are waiters need no owner to be named: never climbed from."""
        return set(self.member_lists) | set(self.awaiting)

    def clear(self) -> None:
        self.dict_owner.clear()
        self.awaiting.clear()
        self.objs = OwnDict()

    def attribute_holders(self, targets: dict[int, Any]) -> dict[int, str]:
        """The live Deferreds are left out of the heap pass: read their attributes here.
        ``_chainedTo`` and ``result`` are a waiter's; any other attribute holding a target is a
        holder (``Deferred #3.extra``) that could fire it."""
        out: dict[int, str] = {}
        for owner in self.dict_owner.values():
            for key, value in list(owner.__dict__.items()):
                if (
                    id(value) in targets
                    and targets[id(value)] is value
                    and key not in ("_chainedTo", "result")
                ):
                    entry = self.registry.lookup(owner)
                    name = "Deferred #%d" % entry.serial if entry is not None else "a Deferred"
                    out.setdefault(
                        id(value), "%s.%s" % (name, key[:60] if type(key) is str else "?")
                    )
        return out

    def waits(self, ref: Any, target: Any) -> bool:
        kind = type(ref)
        attrs = None
        if kind is dict and id(ref) in self.dict_owner:
            attrs = ref
        elif id(ref) in self.objs:
            attrs = ref.__dict__
        if attrs is not None:
            # chained to it, or holding it as its result until _runCallbacks chains them
            return attrs.get("_chainedTo") is target or attrs.get("result") is target
        if kind is list and id(ref) in self.member_lists:
            return True
        if self.awaiting.get(id(ref)) is target:
            return True
        if kind in (types.GeneratorType, types.CoroutineType):
            code = getattr(ref, "gi_code", None) or getattr(ref, "cr_code", None)
            if code is not None and code.co_filename == self.defer_file:
                return True  # Deferred.__iter__/__await__ of an awaiting coroutine (26.4)
            awaited = getattr(ref, "cr_await", None) or getattr(ref, "gi_yieldfrom", None)
            return awaited is target
        return False


def scan_callbacks(
    objs: list[Any], dtype: type
) -> tuple[dict[int, Any], dict[int, Any], dict[int, Any]]:
    """From every Deferred's pending callbacks: id(D) -> the Deferred whose callback will fire
    D (a bound ``D.callback``/``D.errback``: ``chainDeferred``), id(D) -> the Deferred whose
    callback holds D (in a closure or the arguments: it may fire D, or only return it), and
    id(CooperativeTask) -> the Deferred its slot waits on (``lambda: self.resume()``)."""
    fired_by: dict[int, Any] = OwnDict()
    held: dict[int, Any] = OwnDict()
    task_awaits: dict[int, Any] = OwnDict()
    for owner in objs:
        attrs = owner.__dict__
        chain = attrs.get("callbacks")
        if type(chain) is not list:
            chain = attrs.get("_callbacks")
        if type(chain) is not list or not chain:
            continue
        for item in list(chain):
            try:
                (cb, cb_args, _k), (eb, eb_args, _ek) = item
            except Exception:
                continue
            if described.name(type(cb)) == "_Sentinel":
                continue
            for value in (cb, eb, *cb_args[:4], *eb_args[:4]):
                for found, fires in _referenced(value, dtype):
                    if found is owner:
                        continue
                    if not is_instance(found, dtype):
                        task_awaits.setdefault(id(found), owner)
                    elif fires:
                        fired_by.setdefault(id(found), owner)
                    else:
                        held.setdefault(id(found), owner)
    return fired_by, held, task_awaits


def _referenced(value: Any, dtype: type) -> list[tuple[Any, bool]]:
    """(object, fires) for the Deferreds and Cooperator tasks a callback value refers to."""
    kind = type(value)
    if is_instance(value, dtype):
        return [(value, False)]
    if kind is types.MethodType:
        owner = value.__self__
        func = value.__func__  # a bound method forwards other names to it
        fires = type(func) is types.FunctionType and func.__name__ in ("callback", "errback")
        return [(owner, True)] if fires and is_instance(owner, dtype) else []
    if kind is types.FunctionType:
        out = []
        for contents in closure_values(value):
            if is_instance(contents, dtype):
                out.append((contents, False))
            elif has_base(contents, "twisted.internet.task", "CooperativeTask"):
                out.append((contents, False))
        return out
    return []
