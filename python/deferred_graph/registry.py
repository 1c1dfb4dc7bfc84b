"""Which Deferreds exist, under which serial id, and which changed since the emitter last looked.

The hooks write only here, and only cheaply: ``dirty.add(id(d))`` (a bound C method),
``fired[id(d)] = time()``, and one Python call per Deferred creation (``register``).  Entries are
keyed by ``id(obj)`` and are themselves weak references whose collection callback is the C-level
``deque.append`` of ``collected``, so garbage collection in any thread costs almost nothing.

No strong reference to a Deferred, its ``__dict__``, its result or its Failure is kept: holding
one would delay ``DebugInfo.__del__`` (Twisted's "Unhandled error in Deferred" log) and keep
reference cycles alive.  What must survive the Deferred (its unhandled Failure) is summarised
into plain strings when Twisted records it.
"""

from __future__ import annotations

import gc
import itertools
import sys
import threading
import time
import weakref
from collections import deque
from typing import Any, Deque, Dict, Optional, Set

from . import saferepr

_getframe = sys._getframe


class CoroutineLink:
    """The generator or coroutine behind an inlineCallbacks / ensureDeferred Deferred (weakly)."""

    __slots__ = ("gen", "status", "kind", "name", "file", "line")

    def __init__(self, gen: Any, status: Any) -> None:
        self.gen = _weak(gen)
        self.status = _weak(status)
        code = getattr(gen, "gi_code", None) or getattr(gen, "cr_code", None)
        self.kind = "coroutine" if hasattr(gen, "cr_code") else "inlineCallbacks"
        self.name = getattr(code, "co_qualname", None) or getattr(code, "co_name", "?")
        self.file = getattr(code, "co_filename", None)
        self.line = getattr(code, "co_firstlineno", None)


def _weak(obj: Any) -> Any:
    """A callable returning ``obj`` while it lives (``None`` for None or unweakrefable objects,
    which we then simply do not follow)."""
    if obj is None:
        return _none
    try:
        return weakref.ref(obj)
    except TypeError:
        return _none


def _none() -> None:
    return None


class Entry(weakref.ref):
    """What the runtime knows about one Deferred.  Being a weak reference, ``entry()`` returns
    the Deferred while it lives; its collection callback queues the entry itself.

    No Python ``__init__``: entries are made for every Deferred, so ``new_entry`` sets the
    fields right after the C-level weakref constructor (a Python ``__init__`` doubled the cost).
    """

    __slots__ = ("serial", "key", "code", "line", "created_at", "fired_at", "label", "cancelled",
                 "unhandled", "coroutine", "reported", "type_name")


def new_entry(obj: Any, callback: Any, serial: int, code: Any, line: int, now: float) -> Entry:
    """An entry with every field set (for the slow paths; ``register`` inlines this)."""
    entry = Entry(obj, callback)
    entry.serial = serial
    entry.key = id(obj)
    entry.code = code
    entry.line = line
    entry.created_at = now
    entry.type_name = type(obj).__name__
    entry.fired_at = entry.label = entry.unhandled = entry.coroutine = None
    entry.cancelled = entry.reported = False
    return entry


class Registry:
    """Entries by ``id(obj)``, the dirty-id set, fire times and the collected queue."""

    def __init__(self, defer_file: Optional[str]) -> None:
        self.entries: Dict[int, Entry] = {}
        self.dirty: Set[int] = set()
        self.fired: Dict[int, float] = {}
        self.collected: Deque[Entry] = deque()
        self.defer_file = defer_file
        # Set by install: what counts as a Deferred / a Failure when reading state.
        self.deferred_type: Optional[type] = None
        self.failure_type: Optional[type] = None
        self.serials = itertools.count(1)
        # Serialises ``ensure`` (check-then-insert) between threads; the hot paths take no lock.
        self.entries_lock = threading.Lock()
        self.register = self._make_register()

    def _make_register(self) -> Any:
        """Build the per-creation hook as a closure over locals: it runs for every Deferred."""
        entries, serials, defer_file = self.entries, self.serials, self.defer_file
        collected_append, now = self.collected.append, time.time

        def register(obj: Any) -> None:
            try:
                frame = _getframe(2)
                while frame.f_code.co_filename == defer_file:
                    frame = frame.f_back
                entry = Entry(obj, collected_append)
                entry.serial = next(serials)
                entry.key = key = id(obj)
                entry.code = frame.f_code
                entry.line = frame.f_lineno
                entry.created_at = now() * 1000.0
                entry.type_name = type(obj).__name__
                entry.fired_at = entry.label = entry.unhandled = entry.coroutine = None
                entry.cancelled = entry.reported = False
                # No lock: a dict store is atomic; see ``forget`` for reused ids.
                entries[key] = entry
            except Exception:  # no frame outside defer.py (or a hostile subclass): slow path
                self.ensure(obj)

        return register

    def lookup(self, obj: Any) -> Optional[Entry]:
        """The live entry of ``obj``, or None (never registers)."""
        entry = self.entries.get(id(obj))
        if entry is not None and entry() is obj:
            return entry
        return None

    def ensure(self, obj: Any) -> Entry:
        """The entry of ``obj``, registering it now (creation site unknown) if it predates
        install or bypassed ``Deferred.__init__``; a new entry is marked dirty to be reported."""
        entry = self.lookup(obj)
        if entry is not None:
            return entry
        entry = new_entry(obj, self.collected.append, next(self.serials), None, 0,
                          time.time() * 1000.0)
        with self.entries_lock:
            current = self.entries.get(entry.key)
            if current is not None and current() is obj:
                return current
            self.entries[entry.key] = entry
        self.dirty.add(entry.key)
        return entry

    def forget(self, entry: Entry) -> None:
        """Drop a collected entry unless a new object has taken its key already.

        Lock-free because ``register`` (every Deferred creation) must not take a lock: pop,
        and if what we popped is a newer entry for a reused id, put it straight back."""
        popped = self.entries.pop(entry.key, None)
        if popped is not None and popped is not entry:
            self.entries.setdefault(entry.key, popped)

    def note_failure(self, deferred: Any) -> None:
        """Hook for ``X._debugInfo.failResult = ...``: keep a summary of the Failure Twisted will
        log as "Unhandled error in Deferred" if nobody handles it before collection."""
        try:
            entry = self.ensure(deferred)
            info = deferred.__dict__.get("_debugInfo")
            fail = getattr(info, "failResult", None) if info is not None else None
            entry.unhandled = saferepr.failure_result(fail) if fail is not None else None
            self.dirty.add(entry.key)
        except Exception:
            pass

    def note_cancel(self, deferred: Any) -> None:
        """Hook run first in ``cancel()``: a Deferred cancelled before it fired is cancelled."""
        try:
            if not deferred.called:
                entry = self.ensure(deferred)
                entry.cancelled = True
                self.dirty.add(entry.key)
        except Exception:
            pass

    def link_coroutine(self, deferred: Any, gen: Any, status: Any) -> None:
        """Associate the Deferred of an inlineCallbacks/coroutine with its generator."""
        try:
            entry = self.ensure(deferred)
            entry.coroutine = CoroutineLink(gen, status)
            self.dirty.add(entry.key)
        except Exception:
            pass

    def scan_existing(self, deferred_type: type) -> int:
        """Register Deferreds that exist already (install after start, e.g. attach); uses
        ``type()`` only, so no user ``__class__``/``__getattr__`` runs."""
        count = 0
        for obj in gc.get_objects():
            if issubclass(type(obj), deferred_type) and self.lookup(obj) is None:
                self.ensure(obj)
                count += 1
        return count

    def live_entries(self) -> list:
        """A copy of the entries (safe to iterate while hooks keep registering)."""
        with self.entries_lock:
            return list(self.entries.values())


def creation_location(entry: Entry) -> dict:
    """The wire ``Location`` of an entry's creation site (resolved lazily from its code)."""
    code = entry.code
    if code is None:
        return {"file": "", "line": 0, "function": "<before install>"}
    name = getattr(code, "co_qualname", None) or code.co_name
    return {"file": code.co_filename, "line": entry.line or 0, "function": name}
