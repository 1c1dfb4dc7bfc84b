"""What the runtime knows about each Deferred it has seen: ``Entry`` (a weak reference with the
Deferred's creation site, serial id and what the drains and the finaliser learned), the
coroutine link of an inlineCallbacks/ensureDeferred Deferred, and the source locations made of
code objects and instruction offsets (resolved only when reported).
"""

from __future__ import annotations

import functools
import itertools
import types
import weakref
from typing import Any, Literal, Optional

from . import clock, described, wire

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect


class CoroutineLink:
    """The generator or coroutine behind an inlineCallbacks / ensureDeferred Deferred (weakly).

    Made off the hot path from what the inlined link in ``_cancellableInlineCallbacks`` kept: a
    weak reference to the generator and its code object (taken there, so the function's name
    survives a generator that finished and was freed before the drain).  ``code`` is None for
    a coroutine-like object of the program's own type, which is never asked anything."""

    __slots__ = ("gen", "status", "kind", "name", "file", "line")

    def __init__(self, gen: Any, code: Optional[types.CodeType], status: Any) -> None:
        self.gen = gen
        self.status = _weak(status)
        is_coroutine = code is None or bool(code.co_flags & _CO_COROUTINE)
        self.kind: Literal["inlineCallbacks", "coroutine"] = (
            "coroutine" if is_coroutine else "inlineCallbacks"
        )
        self.name: str = (getattr(code, "co_qualname", None) or code.co_name) if code else "?"
        self.file: Optional[str] = code.co_filename if code else None
        self.line: Optional[int] = code.co_firstlineno if code else None


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


_SERIALS = itertools.count(1)  # process-wide: ids stay unique across install/uninstall cycles


class Entry(weakref.ref[Any]):
    """What the runtime knows about one Deferred it has seen.  Being a weak reference,
    ``entry()`` returns the Deferred while it lives; its collection callback queues the entry
    itself.

    Entries are made when a drain first takes in a Deferred (from its birth record, see
    ``Registry``) or when one is first met otherwise; everything beyond the creation site
    defaults on the class and lands in the instance ``__dict__`` only when it first differs.
    The serial id is taken on first use.
    """

    # code/lasti: where it was created (the instruction, resolved to a line only when reported),
    # born_at: clock.now() then.  ``key`` is id(obj).
    __slots__ = ("code", "lasti", "born_at", "__dict__")
    code: Optional[types.CodeType]
    lasti: int
    born_at: float
    key: Optional[int] = None  # set on every entry when it is made
    fired_at: Optional[float] = None
    label: Optional[str] = None
    cancelled = False
    unhandled: Optional[wire.FailureResult] = None
    coroutine: Optional[CoroutineLink] = None
    # Who fired it (code, lasti of the caller of callback()/errback()); the second caller
    # after an AlreadyCalledError; the thread job that fires it; the last analysed "why".
    fire_site: Optional[tuple[types.CodeType, int]] = None
    fired_again: Optional[wire.Location] = None
    thread_job: Any = None
    last_why: Any = None
    reported = False
    type_name = "Deferred"
    # The state it died in, read by the finaliser (see ``death``); ``final_unknown`` when that
    # read could not be made; ``died`` once the finaliser ran for it (a cleared weak reference
    # without it is a collection still finalising, or a subclass with a ``__del__`` of its own).
    final: Optional[wire.DeferredState] = None
    final_unknown = False
    died = False
    died_in: Optional[tuple[int, ...]] = None  # the collection it died in (see death)

    @property
    def serial(self) -> int:
        """The Deferred's id on the wire, assigned the first time anyone asks."""
        attrs = self.__dict__
        serial: Optional[int] = attrs.get("_serial")
        if serial is None:
            serial = attrs.setdefault("_serial", next(_SERIALS))
        return serial

    @property
    def created_at(self) -> float:
        """Milliseconds since the epoch when the Deferred was created (or first seen)."""
        return clock.to_wire(self.born_at)


def new_entry(obj: Any, callback: Any) -> Entry:
    """An entry for a Deferred first seen now (its creation site is unknown)."""
    entry = Entry(obj, callback)
    entry.key = id(obj)
    entry.code = None
    entry.lasti = 0
    entry.born_at = clock.now()
    entry.type_name = described.name(type(obj))
    return entry


def creation_location(entry: Entry) -> wire.Location:
    """The wire ``Location`` of an entry's creation site (resolved lazily from its code and
    instruction offset: reading ``f_lineno`` at creation costs more than the rest together)."""
    code, lasti = entry.code, entry.lasti
    if code is None:
        return {"file": "", "line": 0, "function": "<before install>"}
    return code_location(code, lasti)


def code_location(code: types.CodeType, lasti: int) -> wire.Location:
    """The wire ``Location`` of the instruction at ``lasti`` in ``code``."""
    name = getattr(code, "co_qualname", None) or code.co_name
    return {"file": code.co_filename, "line": line_of(code, lasti), "function": name}


def fire_location(entry: Entry) -> Optional[wire.Location]:
    """Where ``callback()``/``errback()`` was called for this entry's Deferred, if seen."""
    site = entry.fire_site
    return code_location(site[0], site[1]) if site is not None else None


@functools.lru_cache(maxsize=4096)
def line_of(code: types.CodeType, lasti: int) -> int:
    """The source line of the instruction at byte offset ``lasti`` in ``code``."""
    try:
        for start, end, line in code.co_lines():
            if start <= lasti < end:
                return line or code.co_firstlineno
    except Exception:
        pass
    return code.co_firstlineno
