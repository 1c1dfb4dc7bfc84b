"""The kinds a holder of a pending Deferred can make it: connection, process, lock, queue,
a Cooperator slot, a LoopingCall.

Each test reads attributes from instance dictionaries (``holders.instance_dict``) and compares
classes by identity with Twisted's own, already imported ones (``holders.has_base``): no
program method, property or ``__eq__`` runs.
"""

from __future__ import annotations

import types
from typing import Any, Callable, Optional

from . import described, jobs, wire
from .holders import Holders, class_name, has_base, instance_dict

Block = tuple[wire.BlockedBy, list[int]]
_TEXT_LIMIT = 200


def _b(
    kind: str, text: str, ids: Optional[list[int]] = None, location: Any = None
) -> wire.BlockedBy:
    return {"kind": kind, "text": text[:_TEXT_LIMIT], "ids": ids or [], "location": location}


def _owners(ref: Any, holders: Holders) -> list[tuple[Any, str]]:
    """(owner object, attribute) pairs the referrer stands for: an instance (its own dict or
    inline attributes) or a list/dict held in an instance attribute."""
    out: list[tuple[Any, str]] = []
    kind = type(ref)
    if kind is dict:
        owner = holders.owner_of_dict(ref)
        if owner is not None:
            out.append((owner, ""))
    elif kind in (list, tuple):
        where = holders.owner(ref)
        if where is not None and type(where[0]) is not str:
            out.append((where[0], where[1]))
    elif kind not in (types.CellType, types.MethodType, types.FrameType, set):
        out.append((ref, ""))
    return out


def _attr(obj: Any, name: str) -> Any:
    attrs = instance_dict(obj)
    return attrs.get(name) if attrs is not None else None


def _address(value: Any) -> Optional[str]:
    if type(value) is tuple and len(value) >= 2 and type(value[1]) is int:
        host = value[0]  # never str() of it: a str subclass's __str__ is program code
        return "%s:%d" % (host[:80] if type(host) is str else "?", value[1])
    host, port = _attr(value, "host"), _attr(value, "port")
    if type(host) is str and type(port) is int:
        return "%s:%d" % (host[:80], port)
    return None


def _connection(owner: Any, holders: Holders) -> Optional[wire.BlockedBy]:
    """A protocol, factory, transport or connector holding the Deferred."""
    if has_base(owner, "twisted.internet.protocol", "Factory"):
        for parent in holders.of(owner) + [
            g for p in holders.of(owner) if type(p) is dict for g in holders.of(p)
        ]:
            if has_base(parent, "twisted.internet.base", "BaseConnector"):
                state = _attr(parent, "state")
                address = _address(parent) or "?"
                return _b(
                    "connection",
                    "%s → %s · %s"
                    % (class_name(owner), address, state if type(state) is str else "?"),
                )
        return _b(
            "connection",
            "%s (no connector found: listening, or not connecting)" % class_name(owner),
        )
    if has_base(owner, "twisted.internet.protocol", "Protocol"):
        transport = _attr(owner, "transport")
        peer = None
        for key in ("realAddress", "addr", "client"):
            peer = peer or _address(_attr(transport, key)) if transport is not None else None
        connected = _attr(owner, "connected")
        return _b(
            "connection",
            "%s ↔ %s · %s"
            % (class_name(owner), peer or "?", "connected" if connected else "not connected"),
        )
    if has_base(owner, "twisted.internet.base", "BaseConnector"):
        return _b(
            "connection", "connector → %s · %s" % (_address(owner) or "?", _attr(owner, "state"))
        )
    return None


def _process(owner: Any) -> Optional[wire.BlockedBy]:
    if not has_base(owner, "twisted.internet.protocol", "ProcessProtocol"):
        return None
    transport = _attr(owner, "transport")
    pid = _attr(transport, "pid") if transport is not None else None
    command = "?"
    if type(pid) is int:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as fh:
                raw = fh.read(400)
            command = " ".join(p.decode("utf-8", "replace") for p in raw.split(b"\0") if p)
        except OSError:
            pass
    status = "pid %d" % pid if type(pid) is int else "ended"
    return _b("process", "%s · %s · %s" % (command[:150], status, class_name(owner)))


def _waiting_line(owner: Any, ref: Any, obj: Any) -> Optional[wire.BlockedBy]:
    waiting = _attr(owner, "waiting")
    if waiting is not ref or type(ref) is not list:
        return None
    place = next((i for i, item in enumerate(list(ref)) if item is obj), -1) + 1
    line = "%d of %d in line" % (place, len(ref))
    if has_base(owner, "twisted.internet.defer", "DeferredSemaphore"):
        tokens, limit = _attr(owner, "tokens"), _attr(owner, "limit")
        return _b(
            "lock", "DeferredSemaphore waiter %s · %s of %s tokens free" % (line, tokens, limit)
        )
    if has_base(owner, "twisted.internet.defer", "DeferredLock"):
        held = "held" if _attr(owner, "locked") else "free"
        return _b("lock", "DeferredLock waiter %s · lock %s" % (line, held))
    if has_base(owner, "twisted.internet.defer", "DeferredQueue"):
        pending = _attr(owner, "pending")
        size = len(pending) if type(pending) is list else "?"
        return _b("queue", "DeferredQueue.get() waiter %s · %s items queued" % (line, size))
    return None


def _cooperator(
    owner: Any, ref: Any, serial_of: Callable[[Any], int], task_awaits: dict[int, Any]
) -> Optional[Block]:
    if (
        not has_base(owner, "twisted.internet.task", "CooperativeTask")
        or _attr(owner, "_deferreds") is not ref
    ):
        return None
    iterator = _attr(owner, "_iterator")
    is_gen = type(iterator) is types.GeneratorType  # a program's iterator is asked nothing
    code = iterator.gi_code if is_gen else None
    frame = iterator.gi_frame if is_gen else None
    name = getattr(code, "co_qualname", None) or described.qualname(type(iterator))
    coop = _attr(owner, "_cooperator")
    tasks = _attr(coop, "_tasks") if coop is not None else None
    slot = next((i for i, t in enumerate(list(tasks or [])) if t is owner), -1)
    location = None
    if frame is not None and code is not None:
        location = {
            "file": code.co_filename,
            "line": frame.f_lineno or code.co_firstlineno,
            "function": name,
        }
    awaited = task_awaits.get(id(owner))
    slot_text = "slot %d of %d" % (slot + 1, len(tasks)) if slot >= 0 and tasks else "paused"
    if awaited is not None:
        text = "Cooperator task over %s · %s · waiting on the Deferred it yielded" % (
            name,
            slot_text,
        )
        return _b("queue", text, [serial_of(awaited)], location), [id(awaited)]
    return _b("queue", "Cooperator task over %s · %s" % (name, slot_text), [], location), []


def _thread_job(obj: Any, on_result: Any, holders: Holders) -> wire.BlockedBy:
    """A job queued before the runtime wrapped deferToThreadPool: read it back from the
    thread pool's ``inContext`` (whose ``onResult`` closes over the Deferred and whose
    ``theWork`` closes over the function and its arguments)."""
    for attrs in holders.of(on_result):
        for in_context in holders.of(attrs):
            if type(attrs) is not dict or type(in_context) is not types.FunctionType:
                continue
            work = attrs.get("theWork")
            cells = {}
            if type(work) is not types.FunctionType:
                continue  # only a function's own slots: a program callable is asked nothing
            for name, cell in zip(work.__code__.co_freevars, work.__closure__ or ()):
                try:
                    cells[name] = cell.cell_contents
                except ValueError:
                    continue
            func = cells.get("func")
            if func is not None:
                job = jobs.ThreadJob(
                    func, jobs.args_text(cells.get("args") or (), cells.get("kw") or {}), None
                )
                return jobs.describe(job, obj, known_since=False)
    return _b("thread", "a deferToThreadPool job")


def special_kind(
    obj: Any,
    ref: Any,
    holders: Holders,
    serial_of: Callable[[Any], int],
    task_awaits: dict[int, Any],
) -> Optional[Block]:
    """The connection/process/lock/queue/timer kind ``ref`` (a referrer of ``obj``) gives."""
    if type(ref) is types.CellType:
        for closure in holders.of(ref):
            for func in holders.of(closure):
                if (
                    type(func) is types.FunctionType
                    and func.__qualname__ == "deferToThreadPool.<locals>.onResult"
                ):
                    return _thread_job(obj, func, holders), []
    for owner, _key in _owners(ref, holders):
        coop = _cooperator(owner, ref, serial_of, task_awaits)
        if coop is not None:
            return coop
        for found in (_waiting_line(owner, ref, obj), _process(owner), _connection(owner, holders)):
            if found is not None:
                return found, []
        if type(owner).__name__ == "LoopingCall" and _attr(owner, "_deferred") is obj:
            call = _attr(owner, "call")
            interval = _attr(owner, "interval")
            text = "LoopingCall every %s s · %s" % (
                interval,
                "running" if call is not None else "stopped",
            )
            return _b("timer", text), []
    return None
