"""Turn what the hooks noted into wire events, off the hot path.

``drain()`` is called by the sender's pump thread (or a test) while the reactor thread keeps
running hooks.  It reads the current state of every Deferred written since the last drain, once,
however many times it was written (coalescing), so events carry state as of the drain.  A
Deferred is reported ``created`` the first time, ``changed`` afterwards, and ``collected`` when
it is garbage-collected.  A Deferred born and collected between two drains is only counted
(``ephemeral``) unless it died holding an unhandled Failure: that one is worth seeing, so it is
reported ``created`` (from what the registry kept) and ``collected``.

One lock makes drains, markers and snapshots atomic with respect to each other; ``seq`` is
process-wide and strictly increasing in emission order.
"""

from __future__ import annotations

import itertools
import operator
import os
import platform
import sys
import threading
from typing import Any, Optional

from . import clock, jobs, wire
from .death import current_collection
from .entries import Entry
from .idle import IdleWatch
from .registry import Registry
from .state import (
    Described,
    dead_state,
    forget_capture,
    read_state,
    retake_result,
    state_at_death,
)
from .why import Analysis

_BORN_AT = operator.attrgetter("born_at")
_MAX_ROUNDS = 3  # drain rounds for Deferreds discovered while reading others' state
_JOBS_LIMIT = 256  # thread jobs whose phase one drain looks at
_PENDING_LIMIT = 10000  # events kept for a later drain when no sender runs
# How long a snapshot at a stop may spend in the program's own reprs (each is run to its end;
# the results after the budget keep their description).
STOP_REPR_BUDGET_S = 1.0

EventDict = dict[str, Any]
"""A ``wire.Event``, built field by field (the TypedDicts there say which fields each has)."""


class Emitter:
    """Events since the last drain, markers and snapshots for one registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.ephemeral = 0
        self._ephemeral_sent = 0
        # Collected entries waiting one drain for their finaliser (see _drain_collected).
        self._unfinalised: list[Entry] = []
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._pending: list[EventDict] = []
        self._idle = IdleWatch(registry)
        # serial -> {serial: entry} of the Deferreds whose wait (blockedBy, or the path to its
        # root) goes through that Deferred, as last read; serial -> the serials it was under.
        self._waiters: dict[int, dict[int, Entry]] = {}
        self._waits_on: dict[int, tuple[int, ...]] = {}
        # serial -> what of its row the Deferreds waiting through it read (see _wait_signature)
        self._signatures: dict[int, Any] = {}

    def _event(self, kind: str, **fields: Any) -> EventDict:
        event: dict[str, Any] = {"kind": kind, "seq": next(self._seq), "t": clock.wire_now()}
        event.update(fields)
        return event

    def drain(self) -> list[EventDict]:
        """Events since the last drain (plus markers recorded while no sender ran)."""
        with self._lock:
            events, self._pending = self._pending, []
            try:
                for _ in range(_MAX_ROUNDS):
                    if not self._drain_dirty(events):
                        break
                self._drain_collected(events)
                self._drop_timer_index()
                self._idle.after_drain(bool(events))
                self._drop_timer_index()
            except Exception:  # a bug here must not kill the pump; the next drain resyncs
                pass
            return events

    def _drain_dirty(self, events: list[EventDict]) -> bool:
        """Report every live Deferred born or written since the last round (its state as of
        now, once however often it was written); False when there was nothing to do.  While it
        runs, a Deferred may have left ``dirty`` without being read yet: ``reading`` tells the
        finaliser to keep the state of any that dies meanwhile (see death)."""
        reg = self.registry
        reg.reading = True
        try:
            return self._read_dirty(events)
        finally:
            reg.reading = False

    def _read_dirty(self, events: list[EventDict]) -> bool:
        reg = self.registry
        self._drop_timer_index()
        if reg.jobs:
            self._note_job_phases()
        born = reg.absorb()
        if reg.second:
            reg.take_second_calls()
        times, codes, lastis = reg.take_fires()
        keys = reg.dirty.copy()
        if not keys and not born and not times:
            return False
        reg.dirty.difference_update(keys)
        keys.update(times)
        keys &= reg.entries.keys()  # in C: drops the many ids of Deferreds that died unseen
        keys.update(born)
        entries_get = reg.entries.get
        live = []
        for key in keys:
            entry = entries_get(key)
            if entry is None:
                continue
            if entry() is None:
                # Its own fire was captured (see death); a time under its key now may be that of
                # a newer Deferred at its address that died unseen, and so may a fire site.
                continue
            when = times.get(key)
            # A time before the entry's birth belongs to an earlier object at the same address.
            if when is not None and entry.fired_at is None and when >= entry.born_at:
                entry.fired_at = clock.to_wire(when)
                code, lasti = codes.get(key), lastis.get(key)
                if code is not None and lasti is not None:
                    entry.fire_site = (code, lasti)
            live.append(entry)
        live.sort(key=_BORN_AT)  # creation order, so serials follow it
        for entry in live:
            # Held only while it is read (see Registry.release); one that died since was
            # captured by its finaliser (``reading`` is set).
            obj = entry()
            if obj is None:
                continue
            kind = "changed" if entry.reported else "created"
            entry.reported = True
            forget_capture(entry)
            state = read_state(obj, entry, reg)
            events.append(self._event(kind, deferred=state))
            reg.release(obj)
            obj = None
            signature = _wait_signature(state)
            changed = self._signatures.get(entry.serial, signature) != signature
            self._index_wait(entry, state)
            waiters = self._waiters.get(entry.serial)
            if waiters and changed:
                # Their "why" is read through this one, whose own wait or end changed (not a
                # mere new callback: N awaiters of one Deferred would re-read each other): read
                # them again (the next round), though nothing of theirs was written.
                reg.dirty.update(
                    w.key for w in waiters.values() if w.key is not None and w.key not in keys
                )
        return True

    def _index_wait(self, entry: Entry, state: wire.DeferredState) -> None:
        """Index ``entry`` under every Deferred its wait goes through, as ``state`` says."""
        through: tuple[int, ...] = ()
        for why in (state["blockedBy"], state["root"]):
            if why is not None:
                through += tuple(why["ids"])
        serial = entry.serial
        through = tuple(i for i in set(through) if i != serial)
        self._unindex_wait(serial)
        self._signatures[serial] = _wait_signature(state)
        if through:
            self._waits_on[serial] = through
            for other in through:
                self._waiters.setdefault(other, {})[serial] = entry

    def _unindex_wait(self, serial: int) -> None:
        self._signatures.pop(serial, None)
        for other in self._waits_on.pop(serial, ()):
            waiters = self._waiters.get(other)
            if waiters is not None:
                waiters.pop(serial, None)
                if not waiters:
                    del self._waiters[other]

    def _drop_timer_index(self) -> None:
        """Forget the reactor calls mapped for the last reads (their ids may be reused); a
        finaliser on a thread of the program frees them (a call that ran may hold the last
        reference to its Deferred, see Registry.release)."""
        reg = self.registry
        index, reg.timer_index = reg.timer_index, None
        if index:
            reg.graveyard.append(index)

    def _note_job_phases(self) -> None:
        """Mark the Deferreds whose thread job started or finished since the last read."""
        reg = self.registry
        for key, last in list(reg.jobs.items())[:_JOBS_LIMIT]:
            entry = reg.entries.get(key)
            obj = entry() if entry is not None else None
            if entry is None or obj is None or "result" in obj.__dict__ or not entry.thread_job:
                reg.jobs.pop(key, None)
                obj = None
                continue
            now = jobs.phase(entry.thread_job, obj)
            reg.release(obj)
            obj = None
            if now != last:
                reg.jobs[key] = now
                if last is not None:
                    reg.dirty.add(key)

    def _drain_collected(self, events: list[EventDict]) -> None:
        """Report collected Deferreds that were reported (or died with an unhandled Failure);
        count the others.  The common case — thousands that died unseen, with only a birth
        record — never reaches this queue: their finalisers counted them (see registry)."""
        reg = self.registry
        queue = reg.collected
        seen = list(itertools.islice(iter(queue.popleft, None), len(queue)))
        self.ephemeral += reg.take_unseen()
        waited, self._unfinalised = self._unfinalised, []
        waited_ids = {id(entry) for entry in waited}  # these waited one drain already
        collection = current_collection() if waited or seen else ()
        for entry in itertools.chain(waited, seen):
            if (not entry.died and id(entry) not in waited_ids) or entry.died_in == collection:
                # Its weak reference was cleared by a collection still running (its finalisers
                # run one by one, and this thread may get the GIL in between): a Deferred dying
                # in it may still name this one, whose entry must then still be found in
                # ``entries`` (see death); one drain later it has its final state.
                self._unfinalised.append(entry)
                continue
            # Reported, or named by another's state (it has an id), or holding a Failure nobody
            # handled: it gets a row, posthumously if need be.
            shown = entry.reported or entry.unhandled is not None or "_serial" in entry.__dict__
            reg.forget(entry)
            if "_serial" in entry.__dict__:
                self._unindex_wait(entry.serial)
            if shown:
                if not entry.reported:
                    events.append(self._event("created", deferred=dead_state(entry)))
                events.append(
                    self._event(
                        "collected",
                        id=entry.serial,
                        unhandledFailure=entry.unhandled,
                        firedAt=entry.fired_at,
                        final=state_at_death(entry),
                        # No finaliser ran (a subclass's own ``__del__``, a Deferred revived
                        # and collected again): what it died in is not known.
                        finalUnknown=entry.final is None
                        and (entry.final_unknown or not entry.died),
                    )
                )
            else:
                self.ephemeral += 1
        if self.ephemeral != self._ephemeral_sent:
            # Counted in the stream, not only in snapshots: a recording states it too.
            self._ephemeral_sent = self.ephemeral
            events.append(self._event("counts", ephemeral=self.ephemeral))

    def marker(self, name: str) -> list[EventDict]:
        """``drain()`` then a marker event, so the marker follows the state it marks.  (No
        heap analysis here: ``mark()`` runs on the program's thread, and must stay cheap.)"""
        with self._lock:
            events = self.drain()
            events.append(self._event("marker", name=str(name)))
            return events

    def record_marker(self, name: str) -> None:
        """Keep a marker (and the state before it) for the next drain: used when no sender
        runs, so a later consumer still sees it in order."""
        with self._lock:
            events = self.marker(name)
            self._pending = events[-_PENDING_LIMIT:]

    def snapshot_event(
        self,
        reason: str,
        frame_names: Optional[dict[str, str]] = None,
        program_reprs: bool = False,
        analyse: bool = True,
    ) -> EventDict:
        """The full current state of every live Deferred.  Unless the snapshot was merely
        requested (``reason == "request"``, which may never reach the event stream's consumer),
        the Deferreds in it count as reported: later writes are ``changed``, death ``collected``.

        ``program_reprs``: the caller is the thread a debugger stopped in, where the program's
        own ``__repr__``/``__str__`` may run (as in VS Code's Variables view); results described
        without them are retaken with them — after the lock is released, so the sender never
        waits on the program's code, and for at most ``STOP_REPR_BUDGET_S``."""
        described: Optional[Described] = [] if program_reprs else None
        with self._lock:
            reg = self.registry
            self._drop_timer_index()  # the calls mapped at the last drain may have run since
            states: list[wire.DeferredState] = []
            done: set[int] = set()
            kept: list[Entry] = []
            reg.dirty.update(reg.absorb())
            analysis = Analysis(reg, at_stop=reason in ("stop", "request")) if analyse else None
            if analysis is not None:
                analysis.remember()
            for _ in range(_MAX_ROUNDS):
                # Absorbed here, reported by the next drain unless this snapshot reports them.
                reg.dirty.update(reg.absorb())
                todo = [e for e in reg.live_entries() if id(e) not in done]
                if not todo:
                    break
                todo.sort(key=lambda e: e.born_at)
                kept.extend(todo)  # keeps ids in ``done`` from being reused meanwhile
                for entry in todo:
                    done.add(id(entry))
                    obj = entry()
                    if obj is None:
                        continue
                    if reason != "request":
                        entry.reported = True
                        forget_capture(entry)
                    states.append(
                        read_state(obj, entry, reg, described_out=described, analysis=analysis)
                    )
            states.sort(key=lambda s: s["id"])
            event = self._event(
                "snapshot",
                reason=reason,
                deferreds=states,
                ephemeral=self.ephemeral,
                frameNames=frame_names,
            )
        deadline = clock.now() + STOP_REPR_BUDGET_S
        for state, deferred in described or ():
            if clock.now() > deadline:
                break
            retake_result(state, deferred, reg)
        return event

    def hello_event(self, transport: str) -> EventDict:
        """The first event of a stream: protocol version and who is talking."""
        twisted = sys.modules.get("twisted")
        version = getattr(twisted, "__version__", None) if twisted is not None else None
        with self._lock:
            return self._event(
                "hello",
                protocolVersion=wire.PROTOCOL_VERSION,
                pid=os.getpid(),
                python=platform.python_version(),
                twisted=str(version) if version is not None else None,
                argv=[str(a) for a in sys.argv],
                transport=transport,
            )

    def dropped_event(self, count: int, total: int) -> EventDict:
        """``count`` events a channel could not deliver since its last report (``total`` since
        start); the channel sends a resync snapshot right after it."""
        with self._lock:
            return self._event("dropped", count=count, total=total)


def idle_snapshot_event(reason: str, frame_names: Optional[dict[str, str]] = None) -> EventDict:
    """The snapshot when the runtime is not installed: nothing known, and outside any event
    stream (``seq`` and ``t`` 0), so no consumer orders it against real events."""
    return {
        "kind": "snapshot",
        "seq": 0,
        "t": 0.0,
        "reason": reason,
        "deferreds": [],
        "ephemeral": 0,
        "frameNames": frame_names,
    }


def _wait_signature(state: wire.DeferredState) -> Any:
    """What a Deferred waiting through this one reads of it: whether it is still pending and
    what it waits for (kind, ids, text), not its callbacks."""
    why = state["blockedBy"]
    key = (why["kind"], tuple(why["ids"]), why["text"]) if why is not None else None
    return (state["hasResult"], state["paused"], key)
