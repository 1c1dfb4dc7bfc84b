"""Why a Deferred is pending: its ``blockedBy`` and the ``root`` of the wait.

Two speeds.  *Cheap* facts are read per Deferred whenever its state is read (every drain): the
Deferred it is chained to, a DeferredList's unfired members, the generator or coroutine driving
it (the line it is suspended at and what it awaits), a deferLater timer, a thread job noted by
``jobs``.  An *analysis* (``analyse``: at a debugger stop, a requested snapshot, or when the
program has sat idle with pending Deferreds) adds what needs the whole heap: every DelayedCall
(``timers``), Deferreds fired by another's callback (``chainDeferred``, a bound ``d.callback``),
a Cooperator task's slots, and for the rest who holds them (``holders``: connection, process,
lock, queue, orphan, or the holder's name).  Its verdicts are kept on the entry
(``last_why``) for the drains that follow, until the next analysis.

The root follows ``deferred``, ``list``, ``generator`` links (and a Cooperator slot's current
Deferred) to the first thing that is not a Deferred; its ``ids`` are the path.
"""

from __future__ import annotations

import gc
import sys
from typing import Any, Callable, Optional

from . import jobs, timers, wire
from .entries import Entry
from .framelocals import in_place
from .heap import OwnDict, OwnList
from .holders import (
    Holders,
    class_name,
    frame_locals_holding,
    is_instance,
)
from .registry import Registry
from .waiters import Waiters, scan_callbacks
from .whykinds import special_kind

FOLLOW = ("deferred", "list", "generator")
Block = tuple[wire.BlockedBy, list[int]]  # the blockedBy and the id()s of Deferreds it awaits
NOT_ANALYSED = "not analysed yet"  # until a stop, a request or an idle pass


def blocked(
    kind: str, text: str, ids: Optional[list[int]] = None, location: Optional[wire.Location] = None
) -> wire.BlockedBy:
    return {"kind": kind, "text": text, "ids": ids or [], "location": location}


def is_pending(attrs: dict[str, Any]) -> bool:
    """Without a result, or paused (waiting on another Deferred, or by ``pause()``)."""
    paused = attrs.get("paused", 0)
    return "result" not in attrs or (type(paused) is int and paused > 0)


def _serial(registry: Registry, obj: Any) -> int:
    return registry.ensure(obj).serial


def cheap(d: Any, attrs: dict[str, Any], entry: Entry, registry: Registry) -> Optional[Block]:
    """What the Deferred's own attributes and the runtime's records say it waits for."""
    dtype = registry.deferred_type
    chained = attrs.get("_chainedTo")
    if chained is not None and dtype is not None and is_instance(chained, dtype):
        return blocked("deferred", "chained", [_serial(registry, chained)]), [id(chained)]
    members = attrs.get("_deferredList")
    if type(members) is list and "result" not in attrs:
        ms = [m for m in list(members) if dtype is not None and is_instance(m, dtype)]
        unfired = [m for m in ms if is_pending(m.__dict__)]  # a chained member is not done
        text = "%d of %d fired" % (len(ms) - len(unfired), len(ms))
        return blocked("list", text, [_serial(registry, m) for m in unfired]), [
            id(m) for m in unfired
        ]
    link = entry.coroutine
    if link is not None:
        gen = link.gen()
        frame = getattr(gen, "gi_frame", None) or getattr(gen, "cr_frame", None)
        if frame is not None:
            status = link.status()
            awaited = getattr(status, "waitingOn", None) if status is not None else None
            where: wire.Location = {
                "file": frame.f_code.co_filename,
                "line": frame.f_lineno or frame.f_code.co_firstlineno,
                "function": link.name,
            }
            running = bool(getattr(gen, "gi_running", False) or getattr(gen, "cr_running", False))
            # Running, it awaits nothing (``waitingOn`` still names what it last awaited).
            if (
                not running
                and awaited is not None
                and dtype is not None
                and is_instance(awaited, dtype)
            ):
                text = "%s() %s" % (link.name, "awaits" if link.kind == "coroutine" else "yields")
                return blocked("generator", text, [_serial(registry, awaited)], where), [
                    id(awaited)
                ]
            text = "%s() %s" % (link.name, "running now" if running else "suspended")
            return blocked("generator", text, [], where), []
    call = timers.deferlater_call(attrs)
    if call is not None:
        return timers.timer_blocked(call, "deferLater", entry, attrs), []
    if entry.thread_job is not None:
        return jobs.describe(entry.thread_job, d), []
    if dtype is not None:
        index = registry.timer_index
        if index is None:  # once per drain (see Registry.timer_index)
            index = registry.timer_index = timers.fired_by_calls(timers.reactor_calls(), dtype)
        timer = index.get(id(d))
        if timer is not None:
            return timers.timer_blocked(timer[0], timer[1], entry, attrs), []
    return None


class Analysis:
    """One analysis of every pending Deferred: id(obj) -> Block, plus the objects by id."""

    def __init__(self, registry: Registry, at_stop: bool) -> None:
        self.registry = registry
        self.blocks: dict[int, Block] = {}
        self.objs: dict[int, Any] = OwnDict()
        self.explained: list[int] = []  # keys explained beyond the cheap facts
        try:
            self._run(at_stop)
        except Exception:  # an analysis that fails leaves the cheap facts
            self.blocks = {}
            self.explained = []
        self.objs = OwnDict()  # hold no Deferred past the analysis

    def remember(self) -> list[int]:
        """Keep each verdict beyond the cheap facts on its entry (for the drains until the
        next analysis); returns the keys whose verdict changed."""
        changed = []
        for key in self.explained:
            entry = self.registry.entries.get(key)
            if entry is not None and entry.last_why != self.blocks[key]:
                entry.last_why = self.blocks[key]
                changed.append(key)
        return changed

    def _run(self, at_stop: bool) -> None:
        reg = self.registry
        dtype = reg.deferred_type
        if dtype is None:
            return
        objs = self.objs
        for entry in reg.live_entries():
            obj = entry()
            if obj is not None:
                objs[id(obj)] = obj
        rest: list[Any] = OwnList()
        for key, obj in objs.items():
            attrs = obj.__dict__
            if not is_pending(attrs):
                continue
            entry = reg.ensure(obj)
            block = cheap(obj, attrs, entry, reg)
            if block is not None:
                self.blocks[key] = block
            else:
                rest.append(obj)
        if rest:
            self._explain(rest, at_stop)

    def _explain(self, rest: list[Any], at_stop: bool) -> None:
        reg = self.registry
        dtype = reg.deferred_type
        assert dtype is not None
        fired_by, held, task_awaits = scan_callbacks(OwnList(self.objs.values()), dtype)
        dc_type = getattr(sys.modules.get("twisted.internet.base"), "DelayedCall", None)
        calls = [r for r in gc.get_referrers(dc_type) if type(r) is dc_type] if dc_type else []
        by_timer = timers.fired_by_calls(calls, dtype)
        unknown: list[Any] = OwnList()
        self.explained = [id(o) for o in rest]
        for obj in rest:
            timer = by_timer.get(id(obj))
            waiter = fired_by.get(id(obj))
            if timer is not None:
                block = timers.timer_blocked(timer[0], timer[1], reg.ensure(obj), obj.__dict__)
                self.blocks[id(obj)] = block, []
            elif waiter is not None:
                text = "fired by a callback of it"
                ids = [_serial(reg, waiter)]
                self.blocks[id(obj)] = blocked("deferred", text, ids), [id(waiter)]
            elif id(obj) in held:
                ids = [_serial(reg, held[id(obj)])]
                self.blocks[id(obj)] = blocked("unknown", "held by a callback of it", ids), []
            else:
                unknown.append(obj)
        if not unknown:
            return
        exclude = {id(self.objs), id(self.blocks), id(fired_by), id(held), id(task_awaits)}
        exclude.update((id(unknown), id(rest)))
        waiters = Waiters(self.objs, reg)
        exclude.update((id(waiters.dict_owner), id(waiters.awaiting)))
        skip = set(waiters.dict_owner)
        skip.update(self.objs)
        holders = Holders(unknown, exclude, skip, waiters.no_climb())
        targets = OwnDict((id(o), o) for o in unknown)
        attr_holders = waiters.attribute_holders(targets)
        at_stop = at_stop or in_place()  # frames readable without f_locals: orphans too
        frames = frame_locals_holding(targets) if at_stop else {}
        del targets
        try:
            self._name_all(unknown, holders, frames, waiters, task_awaits, attr_holders, at_stop)
        finally:
            # What an analysis holds must be gone when it ends: a later analysis would find it
            # as a referrer of the Deferreds it names (and hide an orphan behind it).
            holders.parents.clear()
            holders.keys.clear()
            waiters.clear()
            task_awaits.clear()
            fired_by.clear()
            held.clear()

    def _name_all(
        self,
        unknown: list[Any],
        holders: Holders,
        frames: dict[int, wire.Location],
        waiters: Waiters,
        task_awaits: dict[int, Any],
        attr_holders: dict[int, str],
        at_stop: bool,
    ) -> None:
        for obj in unknown:
            extra = attr_holders.get(id(obj))
            if extra is not None:
                self.blocks[id(obj)] = blocked("unknown", "held by " + extra), []
                continue
            self.blocks[id(obj)] = self._holder_block(
                obj, holders, frames, waiters, task_awaits, at_stop
            )

    def _holder_block(
        self,
        obj: Any,
        holders: Holders,
        frames: dict[int, wire.Location],
        waiters: Waiters,
        task_awaits: dict[int, Any],
        at_stop: bool,
    ) -> Block:
        reg = self.registry
        refs = [r for r in holders.of(obj) if not waiters.waits(r, obj)]
        for ref in refs:
            found = special_kind(obj, ref, holders, lambda o: _serial(reg, o), task_awaits)
            if found is not None:
                return found
        if id(obj) in frames:
            where = frames[id(obj)]
            return blocked("unknown", "a local of %s" % where["function"], [], where), []
        if refs:
            names = sorted({holders.name(obj, r) for r in refs})
            return blocked("unknown", "held by " + ", ".join(names[:3]), []), []
        if at_stop:
            return blocked("orphan", "nothing can fire it: only its waiters refer to it"), []
        return blocked("unknown", "only its waiters found; frames are checked at a stop"), []


def root(
    obj: Any,
    block: Block,
    block_of: Callable[[int], Optional[Block]],
    serial_of: Callable[[int], Optional[int]],
    own: int,
) -> wire.BlockedBy:
    """Follow ``deferred``/``list``/``generator`` links (and a Cooperator slot's Deferred) to
    the first thing that is not a Deferred; ``ids`` is the path, this Deferred first."""
    path = [own]
    seen = {id(obj)}
    current = block
    for _ in range(1000):
        b, nxt = current
        follows = b["kind"] in FOLLOW or (b["kind"] == "queue" and nxt)
        if not follows or not nxt:
            break
        key = nxt[0]
        if key in seen:
            return blocked("unknown", "a cycle of Deferreds waiting on each other", path)
        seen.add(key)
        serial = serial_of(key)
        if serial is not None:
            path.append(serial)
        following = block_of(key)
        if following is None:
            break
        current = following
    b = current[0]
    return {"kind": b["kind"], "text": b["text"], "ids": path, "location": b["location"]}


__all__ = ["Analysis", "cheap", "root", "blocked", "is_pending", "class_name", "NOT_ANALYSED"]


def why_of(
    d: Any, attrs: dict[str, Any], entry: Entry, registry: Registry, analysis: Optional[Analysis]
) -> tuple[Optional[wire.BlockedBy], Optional[wire.BlockedBy]]:
    """(blockedBy, root) of one Deferred; (None, None) once it has a result and no pause."""
    try:
        if not is_pending(attrs):
            return None, None
        block = _block_at(id(d), registry, analysis, d)
        if block is None:
            return None, None

        def serial_of(key: int) -> Optional[int]:
            found = registry.entries.get(key)
            return found.serial if found is not None and found() is not None else None

        path_root = root(
            d, block, lambda key: _block_at(key, registry, analysis, None), serial_of, entry.serial
        )
        return block[0], path_root
    except Exception:
        return None, None


def _block_at(
    key: int, registry: Registry, analysis: Optional[Analysis], obj: Any
) -> Optional[Block]:
    if analysis is not None and key in analysis.blocks:
        return analysis.blocks[key]
    entry = registry.entries.get(key)
    if obj is None:
        obj = entry() if entry is not None else None
        if obj is None:
            return None
    if entry is None or entry() is not obj:
        entry = registry.ensure(obj)
    attrs = obj.__dict__
    if not is_pending(attrs):
        return None
    block = cheap(obj, attrs, entry, registry)
    if block is not None:
        return block
    if entry.last_why is not None:
        return entry.last_why  # type: ignore[no-any-return]
    return blocked("unknown", NOT_ANALYSED), []


def idle_pass(registry: Registry) -> int:
    """An analysis while the program idles: keep each verdict on its entry and mark the
    Deferreds whose verdict changed, so the next drain reports them.  Returns how many."""
    changed = Analysis(registry, at_stop=False).remember()
    registry.dirty.update(changed)
    return len(changed)
