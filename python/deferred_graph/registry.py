"""Which Deferreds exist, under which serial id, and which changed since the emitter last looked.

The hooks write only here, and only cheaply: ``dirty.add(id(d))`` (a bound C method), the fire
time and site by ``id(d)`` (see firesite), and for each new Deferred a birth record stored in
``born`` by code inlined in ``Deferred.__init__``.  Entries (see ``entries``) are keyed by
``id(obj)`` and are themselves weak references whose collection callback is the C-level
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
import types
import weakref
from collections import deque
from typing import Any, Optional

from . import described, saferepr
from .entries import CoroutineLink, Entry, code_location, new_entry
from .firesite import SITES_LIMIT

_getframe = sys._getframe
_getrefcount = sys.getrefcount


# (weak reference, creation code, instruction offset, clock.now()): see Registry.
BirthRecord = tuple[Any, Optional[types.CodeType], int, float]


class Registry:
    """Birth records, entries by ``id(obj)``, the dirty-id set, fire times and the collected
    queue.

    The registration inlined in ``Deferred.__init__`` stores a *birth record* in ``born`` under
    ``id(obj)``: (weak reference, creation code, instruction, time), one dict store.  ``absorb``
    (first in every drain, and on a ``lookup`` miss) turns the records of living Deferreds into
    entries.  A Deferred that dies before that takes its record out of ``born`` in its
    finaliser (see ``death``) and counts in ``unseen``: the record goes with the Deferred, so
    short-lived Deferreds leave nothing behind for the cycle collector to count (a program that
    creates and drops Deferreds runs its automatic collections when it would without the
    runtime) and nothing for the drains."""

    def __init__(self, defer_file: Optional[str]) -> None:
        self.entries: dict[int, Entry] = {}
        self.born: dict[int, BirthRecord] = {}
        self.unseen: list[None] = []  # one item per Deferred that died with only a birth record
        # Deferreds a thread of the runtime held last (see ``release``); a finaliser, on a
        # thread of the program, empties it.
        self.graveyard: list[Any] = []
        self.dirty: set[int] = set()
        self.fired: dict[int, float] = {}
        # Who fired what (see firesite): the caller's code and instruction by id, taken by the
        # drains with the fire times; the second callers of Deferreds called twice.
        self.sites: dict[int, types.CodeType] = {}
        self.lastis: dict[int, int] = {}
        self.second: dict[int, tuple[types.CodeType, int]] = {}
        self.collected: deque[Entry] = deque()
        # (weakref to the Deferred, weakref to the generator, its code) appended by the inlined
        # link in ``_cancellableInlineCallbacks``; consumed by ``absorb``.
        self.links: list[tuple[Any, Any, Optional[types.CodeType]]] = []
        self.defer_file = defer_file
        # Set by install: what counts as a Deferred / a Failure when reading state.
        self.deferred_type: Optional[type] = None
        self.failure_type: Optional[type] = None
        # While a capture runs (see death): the entries it named (gave an id) that were never
        # reported, so it captures them too; a row that names #N then always has a row #N.
        self.named: Optional[list[Entry]] = None
        self.reading = False  # a drain is between taking the dirty ids and reading them
        self.thread_watch: Optional[Any] = None  # a jobs.ThreadWatch, set by install
        # Keys of Deferreds a thread job will fire -> the job's phase when last read (see the
        # emitter: a job that starts or ends changes the row with no write to the Deferred).
        self.jobs: dict[int, Any] = {}
        # id(Deferred) -> (DelayedCall, how) for the reactor's pending calls, made by the first
        # read of a drain that needs it and dropped when the next drain starts.
        self.timer_index: Optional[dict[int, Any]] = None
        # Serialises ``ensure`` and ``absorb`` between threads; the hot paths take no lock.
        self.entries_lock = threading.RLock()

    def hook_names(self) -> dict[str, Any]:
        """The objects the inlined registration in ``Deferred.__init__`` and the inlined link in
        ``_cancellableInlineCallbacks`` use (see ``rewrite``)."""
        return {
            "born": self.born,
            "file": self.defer_file,
            "getframe": _getframe,
            "register": self.register,
            "link": self.links.append,
            "ref": weakref.ref,
            "generator": types.GeneratorType,
            "coroutine": types.CoroutineType,
            "sites": self.sites,
            "lastis": self.lastis,
            "fire_times": self.fired,
            "second": self.second,
        }

    def register(self, obj: Any) -> None:
        """Slow-path registration (the inlined one failed: no frame outside defer.py...)."""
        try:
            self.ensure(obj)
        except Exception:
            pass

    def absorb(self) -> list[int]:
        """Make entries of the living Deferreds born since the last absorb and attach the
        coroutine links noted since; returns their keys (to be reported)."""
        born = self.born
        if not born and not self.links:
            return []
        with self.entries_lock:
            items = list(born.items())  # one C copy: the hot paths keep storing meanwhile
            entries = self.entries
            live = []
            for key, record in items:
                obj = record[0]()
                # Whoever takes the record out of ``born`` decides: this absorb (an entry, a row)
                # or the Deferred's finaliser, which may be running on another thread now
                # (then it counted itself unseen).  The entry is in place before the record is
                # taken, so a finaliser that finds no record finds the entry.
                if obj is None:
                    popped = born.pop(key, None)  # a collection, or a subclass's own __del__
                    if popped is record:
                        self.unseen.append(None)
                    elif popped is not None:
                        born.setdefault(key, popped)  # a newer Deferred's, at the same address
                    continue
                entry = Entry(obj, self.collected.append)
                entry.key = key
                _, entry.code, entry.lasti, entry.born_at = record
                previous = entries.get(key)
                entries[key] = entry
                if born.pop(key, None) is record:
                    live.append(key)
                elif entries.get(key) is entry:  # its finaliser took the record first
                    if previous is not None:
                        entries[key] = previous
                    else:
                        entries.pop(key, None)
                self.release(obj)
                obj = None
            if self.links:
                live.extend(self._absorb_links())
            return live

    def release(self, obj: Any) -> None:
        """Let go of a Deferred this thread took from a weak reference to read.  If the program
        dropped its last reference meanwhile, letting go here would free it on this thread —
        its result's and callbacks' teardown, their ``__del__`` among it, would run on a thread
        of the runtime — so it is kept in ``graveyard`` for the next finaliser, which runs on a
        thread of the program, to free.  (The caller's reference, this one and getrefcount's:
        3 means no other.)"""
        if _getrefcount(obj) <= 3:
            self.graveyard.append(obj)

    def take_unseen(self) -> int:
        """How many Deferreds died with only a birth record since the last call."""
        unseen = self.unseen
        count = len(unseen)
        del unseen[:count]  # appends made meanwhile stay for the next call
        return count

    def _absorb_links(self) -> list[int]:
        """Attach each noted link to its Deferred's entry (the link is always noted after the
        Deferred was born, so its entry was absorbed before); keys of the linked Deferreds."""
        links = self.links
        count = len(links)
        items = links[:count]
        del links[:count]
        linked = []
        for deferred_ref, gen_ref, code in items:
            deferred = deferred_ref()
            if deferred is None:
                continue  # died unseen: counted as ephemeral with its entry
            key = id(deferred)
            entry = self.entries.get(key)
            if entry is None or entry() is not deferred:
                entry = self.entries[key] = new_entry(deferred, self.collected.append)
            entry.coroutine = CoroutineLink(gen_ref, code, find_cancellation_status(deferred))
            linked.append(key)
        return linked

    def lookup(self, obj: Any) -> Optional[Entry]:
        """The live entry of ``obj``, or None (never registers)."""
        entry = self.entries.get(id(obj))
        if entry is None or entry() is not obj:
            if not self.born:
                return None
            # Absorbed here rather than by a drain: mark them so the next drain reports them.
            self.dirty.update(self.absorb())
            entry = self.entries.get(id(obj))
        if entry is not None and entry() is obj:
            return entry
        return None

    def ensure(self, obj: Any) -> Entry:
        """The entry of ``obj``, registering it now (creation site unknown) if it predates
        install or bypassed ``Deferred.__init__``; a new entry is marked dirty to be reported."""
        entry = self.lookup(obj)
        if entry is not None:
            if self.named is not None and not entry.reported and entry.final is None:
                self.named.append(entry)
            return entry
        entry = new_entry(obj, self.collected.append)
        if self.named is not None:
            self.named.append(entry)
        key = id(obj)
        with self.entries_lock:
            current = self.entries.get(key)
            if current is not None and current() is obj:
                return current
            self.entries[key] = entry
        self.dirty.add(key)
        return entry

    def forget(self, entry: Entry) -> None:
        """Drop a collected entry unless a new object has taken its key already.

        Lock-free because ``register`` (every Deferred creation) must not take a lock: pop,
        and if what we popped is a newer entry for a reused id, put it straight back."""
        key = entry.key  # None: born and died before any absorb
        if key is None:
            return
        popped = self.entries.pop(key, None)
        if popped is not None and popped is not entry:
            self.entries.setdefault(key, popped)

    def note_failure(self, deferred: Any) -> None:
        """Hook for ``X._debugInfo.failResult = ...``: keep a summary of the Failure Twisted will
        log as "Unhandled error in Deferred" if nobody handles it before collection."""
        try:
            entry = self.ensure(deferred)
            info = deferred.__dict__.get("_debugInfo")
            fail = getattr(info, "failResult", None) if info is not None else None
            entry.unhandled = saferepr.failure_result(fail) if fail is not None else None
            self.dirty.add(id(deferred))
        except Exception:
            pass

    def take_fires(
        self,
    ) -> tuple[dict[int, float], dict[int, Optional[types.CodeType]], dict[int, Optional[int]]]:
        """The fire times, sites and instructions noted since the last call, by id (their ids
        count as dirty too); in C whatever their number (most are of Deferreds that died
        unseen).  The hooks store the time last, so every id taken has its site taken too."""
        fired = self.fired
        if not fired:
            return {}, {}, {}
        keys = list(fired)
        times = dict(zip(keys, map(fired.pop, keys)))
        none = itertools.repeat(None)
        codes = dict(zip(keys, map(self.sites.pop, keys, none)))
        lastis = dict(zip(keys, map(self.lastis.pop, keys, none)))
        if len(self.sites) > SITES_LIMIT:  # sites whose note was cut short before its time
            self.sites.clear()
            self.lastis.clear()
        return times, codes, lastis

    def pending_fire_site(self, key: int) -> Optional[tuple[types.CodeType, int]]:
        """The fire site noted under ``key`` that no drain has taken yet."""
        code, lasti = self.sites.get(key), self.lastis.get(key)
        return (code, lasti) if code is not None and lasti is not None else None

    def take_second_calls(self) -> None:
        """Second ``callback()`` callers (see firesite): keep them on the entry beside the
        first and mark it for the drain."""
        second = self.second
        for key in list(second):
            site = second.pop(key, None)
            entry = self.entries.get(key)
            if site is None or entry is None or entry.cancelled:
                continue  # a cancelled Deferred's later callback() is suppressed, not an error
            entry.fired_again = code_location(site[0], site[1])
            self.dirty.add(key)

    def note_thread_job(self, deferred: Any, job: Any) -> None:
        """A deferToThreadPool job will fire ``deferred`` (noted in the call, see ``jobs``)."""
        try:
            entry = self.ensure(deferred)
            entry.thread_job = job
            self.jobs[id(deferred)] = None  # its phase, once a drain has read it
            self.dirty.add(id(deferred))
        except Exception:
            pass

    def note_cancel(self, deferred: Any, where: str = "Deferred") -> None:
        """Hook run first in ``cancel()`` of class ``where``: flag the Deferred cancelled exactly
        when that method acts.  ``Deferred.cancel`` acts before it fired and, once called, while
        its result is a Deferred (it waits on one: the cancel is forwarded there, and the timeout
        of ``addTimeout`` is such a cancel); ``DeferredList.cancel`` only before it fired."""
        try:
            attrs = deferred.__dict__
            dtype = self.deferred_type
            waiting = (
                where == "Deferred"
                and dtype is not None
                and issubclass(type(attrs.get("result")), dtype)
            )
            if not attrs.get("called", False) or waiting:
                entry = self.ensure(deferred)
                entry.cancelled = True
                self.dirty.add(id(deferred))
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

    def live_entries(self) -> list[Entry]:
        """A copy of the entries (safe to iterate while hooks keep registering)."""
        with self.entries_lock:
            return list(self.entries.values())


def find_cancellation_status(deferred: Any, depth: int = 2) -> Any:
    """The inlineCallbacks ``_CancellationStatus`` reachable from the Deferred's canceller
    closure (a lambda on 26.4, ``cancel`` -> ``handleCancel`` on 22.4), or None.  Reads only
    closure cells of Twisted's own functions and the types of what they hold."""
    todo = [(getattr(deferred, "__dict__", {}).get("_canceller"), 0)]
    while todo:
        func, level = todo.pop()
        if type(func) is not types.FunctionType:
            continue
        for cell in func.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if described.name(type(value)) == "_CancellationStatus":
                return value
            if level < depth and type(value) is types.FunctionType:
                todo.append((value, level + 1))
    return None
