"""Deferred Graph runtime: observe Twisted's Deferreds inside the debugged program.

Public API (every function is guarded: nothing here raises into the program being debugged)::

    install(transport=None, record=None, flush_ms=None, buffer=None, start_sender=True)
    uninstall(); is_installed()
    id_of(d) -> int; label(d, name); mark(name); flush()
    snapshot() -> Batch
    debug_snapshot_json(frame_locals=None, frame_globals=None) -> str   # used at debugger stops

``install`` instruments ``twisted.internet.defer`` (see ``hooks``), registers the Deferreds that
already exist, and starts the sender (``sender.py``) that drains the emitter into a transport.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any, Optional

from . import clock, death, wire
from .emitter import Emitter, idle_snapshot_event
from .registry import Registry

__all__ = [
    "install",
    "uninstall",
    "is_installed",
    "id_of",
    "label",
    "mark",
    "flush",
    "snapshot",
    "debug_snapshot_json",
    "debug_snapshot_packed",
]


class _Runtime:
    """Everything one install created, so uninstall can take it all back."""

    def __init__(self, defer: Any, registry: Registry, emitter: Emitter, patcher: Any) -> None:
        self.defer = defer
        self.registry = registry
        self.emitter = emitter
        self.patcher = patcher
        self.sender: Any = None


_runtime: Optional[_Runtime] = None
_lock = threading.RLock()
last_error: Optional[str] = None  # why the last install/uninstall/sender start degraded


def _note_error(where: str, exc: BaseException) -> None:
    global last_error
    last_error = "%s: %s: %s" % (where, type(exc).__name__, exc)


def install(
    *,
    transport: Optional[str] = None,
    record: Optional[str] = None,
    flush_ms: Optional[int] = None,
    buffer: Optional[int] = None,
    start_sender: bool = True,
) -> bool:
    """Instrument Twisted's Deferreds and start sending events; True when installed.
    Idempotent: a second call returns True and changes nothing."""
    global _runtime
    with _lock:
        if _runtime is not None:
            return True
        try:
            from twisted.internet import defer
            from twisted.python.failure import Failure
        except Exception as exc:
            _note_error("install", exc)
            return False
        try:
            runtime = _create_runtime(defer, Failure)
        except Exception as exc:
            _note_error("install", exc)
            return False
        _runtime = runtime
        if start_sender:
            _start_sender(runtime, transport, record, flush_ms, buffer)
        return True


def _create_runtime(defer: Any, failure_type: type) -> _Runtime:
    from .hooks import install_hooks

    registry = Registry(
        getattr(defer.Deferred.__init__, "__code__", None)
        and defer.Deferred.__init__.__code__.co_filename
    )
    registry.deferred_type = defer.Deferred
    registry.failure_type = failure_type
    names = {"_deferred_graph_" + key: value for key, value in registry.hook_names().items()}
    names.update(
        {
            "_deferred_graph_mark": registry.dirty.add,
            "_deferred_graph_fired": registry.fired.__setitem__,
            "_deferred_graph_now": clock.now,
            "_deferred_graph_failure": registry.note_failure,
            "_deferred_graph_cancel": registry.note_cancel,
        }
    )
    patcher = install_hooks(defer, names)
    patcher.set_class_attr(
        defer.Deferred, "__del__", death.finaliser(registry, defer.Deferred.__dict__.get("__del__"))
    )
    if patcher.skipped:  # degraded, not failed: say what was not instrumented
        global last_error
        last_error = "hooks skipped: %s" % "; ".join(patcher.skipped)
    registry.scan_existing(defer.Deferred)
    from .jobs import ThreadWatch  # now if already imported, else right after its import

    registry.thread_watch = ThreadWatch(registry.note_thread_job)
    return _Runtime(defer, registry, Emitter(registry), patcher)


def _start_sender(
    runtime: _Runtime,
    transport: Optional[str],
    record: Optional[str],
    flush_ms: Optional[int],
    buffer: Optional[int],
) -> None:
    try:
        from .sender import SenderOptions, start_sender

        options = SenderOptions.from_env(
            transport=transport, record=record, flush_ms=flush_ms, buffer=buffer
        )
        runtime.sender = start_sender(runtime.emitter, options)
    except Exception as exc:  # no sender module yet, or no transport: events stay queued
        _note_error("sender", exc)


def uninstall() -> None:
    """Stop the sender (flushing what is pending) and restore every original attribute."""
    global _runtime
    with _lock:
        runtime, _runtime = _runtime, None
        if runtime is None:
            return
        try:
            if runtime.sender is not None:
                runtime.sender.stop()
        except Exception as exc:
            _note_error("uninstall", exc)
        try:
            runtime.patcher.restore()
            watch = runtime.registry.thread_watch
            if watch is not None:
                watch.undo()
        except Exception as exc:
            _note_error("uninstall", exc)


def is_installed() -> bool:
    """True between install() and uninstall()."""
    return _runtime is not None


def _is_deferred(runtime: _Runtime, obj: Any) -> bool:
    return issubclass(type(obj), runtime.defer.Deferred)


def id_of(d: Any) -> Optional[int]:
    """The serial id of a Deferred (registering it if needed); None if not installed or not a
    Deferred."""
    runtime = _runtime
    try:
        if runtime is None or not _is_deferred(runtime, d):
            return None
        return runtime.registry.ensure(d).serial
    except Exception:
        return None


def label(d: Any, name: str) -> None:
    """Give a Deferred a name shown in the view instead of ``Deferred #id``."""
    runtime = _runtime
    try:
        if runtime is None or not _is_deferred(runtime, d):
            return
        entry = runtime.registry.ensure(d)
        entry.label = str(name)
        runtime.registry.dirty.add(id(d))
    except Exception:
        pass


def mark(name: str) -> None:
    """Put a named marker on the timeline, after the state as it is now."""
    runtime = _runtime
    try:
        if runtime is None:
            return
        if runtime.sender is not None:
            runtime.sender.flush(marker=str(name))
        else:
            runtime.emitter.record_marker(str(name))
    except Exception as exc:
        _note_error("mark", exc)


def flush() -> None:
    """Send everything pending now (returns when the sender has handed it to its transport)."""
    runtime = _runtime
    try:
        if runtime is not None and runtime.sender is not None:
            runtime.sender.flush()
    except Exception as exc:
        _note_error("flush", exc)


def emitter() -> Optional[Emitter]:
    """The running emitter (for the sender, tests and tools); None when not installed."""
    runtime = _runtime
    return runtime.emitter if runtime is not None else None


def snapshot(
    reason: str = "request",
    frame_names: Optional[dict[str, str]] = None,
    program_reprs: bool = False,
    analyse: bool = True,
) -> wire.Batch:
    """The full current state as a Batch holding one ``snapshot`` event.  Results are described
    without running the program's code unless ``program_reprs`` (only for a thread a debugger
    stopped in: see ``Emitter.snapshot_event``); ``analyse=False``: without the heap analysis
    behind ``blockedBy``, only the cheap facts."""
    runtime = _runtime
    try:
        if runtime is None:
            event = idle_snapshot_event(reason, frame_names)
        else:
            event = runtime.emitter.snapshot_event(reason, frame_names, program_reprs, analyse)
        return wire.make_batch(os.getpid(), 0, [event])
    except Exception as exc:
        _note_error("snapshot", exc)
        return wire.make_batch(os.getpid(), 0, [])


def debug_snapshot_json(
    frame_locals: Optional[Mapping[str, Any]] = None,
    frame_globals: Optional[Mapping[str, Any]] = None,
) -> str:
    """JSON of a snapshot Batch whose ``frameNames`` maps Deferred ids to the variable names
    of a debugger frame (locals first, then globals; one level into lists, tuples, dicts).

    Called at a stop in the paused thread, so results carry the program's own reprs."""
    try:
        names = _frame_names(frame_locals, frame_globals)
        # Compact: with 1,000 Deferreds the result is ~400 kB that debugpy escapes and relays
        # twice (pydevd -> adapter -> VS Code); the spaces alone were ~15% of it.
        batch = snapshot("stop", names, program_reprs=True)
        return json.dumps(batch, default=str, separators=(",", ":"))
    except Exception as exc:
        _note_error("debug_snapshot_json", exc)
        return json.dumps(wire.make_batch(os.getpid(), 0, []))


def debug_snapshot_packed(
    frame_locals: Optional[Mapping[str, Any]] = None,
    frame_globals: Optional[Mapping[str, Any]] = None,
) -> str:
    """:func:`debug_snapshot_json` packed (``wire.pack``) — what the extension evaluates at
    every stop.

    The JSON repeats the same keys and creation sites for every Deferred and deflates about
    12:1 (1,000 Deferreds: 398 kB -> 33 kB, ~3 ms). debugpy handles an evaluate result several
    times on its way (pydevd encodes it, the adapter decodes and re-encodes it, the editor
    decodes it), all while the stopped program's own events queue on the same connection."""
    text = debug_snapshot_json(frame_locals, frame_globals)
    try:
        return wire.pack(text.encode("utf-8"))
    except Exception as exc:
        _note_error("debug_snapshot_packed", exc)
        return text


def _frame_names(*scopes: Optional[Mapping[str, Any]]) -> dict[str, str]:
    runtime = _runtime
    names: dict[str, str] = {}
    if runtime is None:
        return names

    def note(obj: Any, name: str) -> None:
        if _is_deferred(runtime, obj):
            names.setdefault(str(runtime.registry.ensure(obj).serial), name)

    for scope in scopes:
        if not scope:
            continue
        items = [
            (var, value)
            for var, value in list(dict(scope).items())
            if isinstance(var, str) and not (var.startswith("__") and var.endswith("__"))
        ]
        for var, value in items:  # direct names win over container items of the same scope
            note(value, var)
        for var, value in items:
            try:
                kind = type(value)
                if kind in (list, tuple):
                    for index, item in enumerate(value[:1000]):
                        note(item, "%s[%d]" % (var, index))
                elif kind is dict:
                    for key, item in list(value.items())[:1000]:
                        if type(key) in (str, int):
                            note(item, "%s[%r]" % (var, key))
            except Exception:
                continue
    return names
