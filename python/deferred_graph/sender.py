"""The pump between the emitter and the transports: drain, batch, serialise, deliver.

The hooks only mark Deferreds dirty; everything slow (reading state, repr, JSON, I/O) happens
here, on one daemon thread that wakes every ``flush_ms``.  Each transport gets a *channel*
(``outbox.py``) with a bounded outbox, its drop accounting and its resync.  A new connection is
greeted with ``hello``, then the backlog; a reconnect (or a first connection after events were
missed) also gets ``snapshot(reason="connect")``, so a consumer that comes back starts from
exact state.

The pump is a bare interpreter thread (``_thread``, not ``threading.Thread``): the program
never meets it in ``threading.enumerate()`` or ``active_count()``, so a shutdown that joins
every other thread does not wait on it forever.  It is started with the interpreter's own
``start_new_thread``, not the one pydevd (debugpy 1.6 and 1.8) puts in its place, so pydevd
neither traces nor suspends it: events keep flowing while the program is stopped at a
breakpoint.  Nothing on it may call ``threading.current_thread()``, which would register it
with ``threading`` after all (a ``_DummyThread``); it is told apart by its ident.

Nothing here may raise into, block, or change the debugged program: every failure is counted in
:attr:`Sender.errors` and, with ``DEFERRED_GRAPH_DEBUG=1``, logged to the raw stderr descriptor.
"""

from __future__ import annotations

import _thread
import atexit
import gc
import os
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import gcwindow, wire
from .debuglog import debug_log
from .outbox import Batcher, Channel, EmitterLike
from .recording import RecordingTransport
from .transports import make_live_transport

TRANSPORT_CHOICES = ("auto", "dap", "socket", "none")
FLUSH_WAIT_S = 0.1  # how long flush()/mark() may wait for bytes to leave a socket
STOP_WAIT_S = 1.5  # the same at exit, so recordings and consumers get the tail
LOCK_WAIT_S = 2.0  # most flush()/stop() wait for a pump cycle stuck (in a transport, a __del__)


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


@dataclass
class SenderOptions:
    """Where events go and how often: from the environment, overridden by ``install()`` keywords."""

    transport: str = "auto"
    record: Optional[str] = None
    socket: Optional[str] = None
    token: Optional[str] = None
    flush_ms: int = 50
    buffer: int = 20000

    @classmethod
    def from_env(
        cls, environ: Optional[Mapping[str, str]] = None, **overrides: Any
    ) -> SenderOptions:
        """Read ``wire.ENV_*``; an override that is None is ignored, and so are keys this class
        does not know (``install()`` passes its own options through).  Bad values fall back to
        the defaults rather than raising: the environment is not the program's fault."""
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {
            "transport": env.get(wire.ENV_TRANSPORT),
            "record": env.get(wire.ENV_RECORD) or None,
            "socket": env.get(wire.ENV_SOCKET) or None,
            "token": env.get(wire.ENV_TOKEN) or None,
            "flush_ms": env.get(wire.ENV_FLUSH_MS),
            "buffer": env.get(wire.ENV_BUFFER),
        }
        for key, value in overrides.items():
            if key in raw and value is not None:
                raw[key] = value
        transport = str(raw["transport"] or "auto").strip().lower()
        return cls(
            transport=transport if transport in TRANSPORT_CHOICES else "auto",
            record=str(raw["record"]) if raw["record"] else None,
            socket=str(raw["socket"]) if raw["socket"] else None,
            token=str(raw["token"]) if raw["token"] else None,
            flush_ms=_positive_int(raw["flush_ms"], cls.flush_ms),
            buffer=_positive_int(raw["buffer"], cls.buffer),
        )


_live_senders: weakref.WeakSet[Sender] = weakref.WeakSet()


def _untrace_this_thread() -> None:
    """No tracer or profiler on the calling thread.  Under pydevd through its own SetTrace:
    pydevd replaces ``sys.settrace`` with one that prints a warning into the program's stderr."""
    tracing = sys.modules.get("pydevd_tracing") if "pydevd" in sys.modules else None
    set_trace = getattr(tracing, "SetTrace", None)
    try:
        if callable(set_trace):
            set_trace(None)
        else:
            sys.settrace(None)
        sys.setprofile(None)
    except Exception:  # a debugger's hook refusing: the pump runs traced, as before
        pass


class Sender:
    """The pump thread and its channels; see the module docstring."""

    def __init__(self, emitter: EmitterLike, options: SenderOptions) -> None:
        self.emitter = emitter
        self.options = options
        self.errors = 0
        self.batches_sent = 0
        self._batcher = Batcher(self._count_error)
        self._channels: list[Channel] = []
        self._stopped = False  # the pump thread should end
        self._closed = False  # transports closed: nothing more is sent
        self._pump: Optional[int] = None  # the pump thread's ident, once started
        self._pump_done = threading.Event()
        self._gc_window = gcwindow.GcWindow()
        self._reset_sync()
        live = make_live_transport(options.transport, options.socket, options.token)
        if live is not None:
            self._channels.append(Channel(live, options.buffer))
        if options.record:
            self._channels.append(Channel(RecordingTransport(options.record), options.buffer))

    def _reset_sync(self) -> None:
        self._fork_locked = False
        self._lock = threading.Lock()
        self._owner: Optional[int] = None

    # -- the cycle -----------------------------------------------------------------------

    def _count_error(self, what: str) -> None:
        self.errors += 1
        debug_log(what)

    def _cycle(self, marker: Optional[str], wait: float) -> None:
        """Connect, drain (with a marker if asked), queue, deliver — under one lock.

        Re-entry from the same thread (a GC callback or ``__del__`` calling ``mark()``
        while we drain) returns at once instead of deadlocking; a caller other than the pump
        (``flush``, ``stop``) waits at most LOCK_WAIT_S for a cycle stuck in user code."""
        if self._closed or self._owner == threading.get_ident():
            return
        pump = threading.get_ident() == self._pump
        if not self._lock.acquire(timeout=-1 if pump else LOCK_WAIT_S):
            self._count_error("gave up waiting for a running cycle")
            return
        self._owner = threading.get_ident()
        try:
            emitter, batcher = self.emitter, self._batcher
            for channel in self._channels:
                channel.connect(emitter, batcher)
            events = emitter.drain() if marker is None else emitter.marker(marker)
            batches, unsendable = batcher.make_batches(events) if events else ([], 0)
            for channel in self._channels:
                channel.lose(unsendable)
                channel.offer(batches)
            for channel in self._channels:
                channel.deliver(emitter, batcher)
                if wait:
                    channel.transport.wait_sent(wait)
            self.batches_sent += len(batches)
        except Exception:
            self._count_error("cycle failed:\n" + traceback.format_exc())
        finally:
            self._owner = None
            self._lock.release()

    def _run(self) -> None:
        interval = self.options.flush_ms / 1000.0
        # A tracer or profiler set for every thread (debugpy's pydevd through threading.settrace,
        # a coverage tool) would be called for each of the pump's own frames: under debugpy that
        # was most of the runtime's extra cost, and the program's tools have no business here.
        _untrace_this_thread()
        window = self._gc_window
        try:
            self._pump = threading.get_ident()
            while not self._stopped:
                # A plain sleep, not an Event's wait: it allocates nothing the collector
                # tracks, so no collection can start here between two windows (see gcwindow).
                time.sleep(interval)
                if self._stopped:
                    break
                window.hold()  # no collection of the program's garbage starts on the pump
                try:
                    self._cycle(None, 0.0)
                finally:
                    window.release()
        except BaseException:  # interpreter shutdown tears modules down under daemon threads
            pass
        finally:
            self._pump_done.set()

    # -- public --------------------------------------------------------------------------

    def start(self) -> Sender:
        """Start the pump thread (see the module docstring: bare, and unknown to pydevd)."""
        start_thread = getattr(_thread, "_original_start_new_thread", _thread.start_new_thread)
        self._pump_done = threading.Event()
        self._gc_window = gcwindow.GcWindow()
        self._pump = start_thread(self._run, ())
        return self

    def flush(self, marker: Optional[str] = None) -> None:
        """Drain now and deliver synchronously (``mark()``, ``flush()``); never raises."""
        try:
            self._cycle(marker, FLUSH_WAIT_S)
        except Exception:
            self._count_error("flush failed:\n" + traceback.format_exc())

    def flush_at_shutdown(self) -> None:
        """The flush at interpreter shutdown, while the debugger connection still exists."""
        try:
            _without_collection(self._cycle, None, STOP_WAIT_S)
        except Exception:
            self._count_error("shutdown flush failed:\n" + traceback.format_exc())

    def stop(self) -> None:
        """Final flush, then close every transport.  Idempotent."""
        if self._stopped:
            return
        try:
            self._stopped = True
            if self._pump is not None and self._pump != threading.get_ident():
                self._pump_done.wait(STOP_WAIT_S)
            _without_collection(self._cycle, None, STOP_WAIT_S)
            self._closed = True
            for channel in self._channels:
                channel.transport.close()
        except Exception:
            self._count_error("stop failed:\n" + traceback.format_exc())

    def _before_fork(self) -> None:
        """Hold the cycle lock across fork so no drain is half done (with the emitter's lock
        taken) at the moment the child is copied; bounded, as fork must not hang on us."""
        if self._owner != threading.get_ident() and self._lock.acquire(timeout=1.0):
            self._fork_locked = True

    def _after_fork_in_parent(self) -> None:
        if self._fork_locked:
            self._fork_locked = False
            self._lock.release()

    def _after_fork_in_child(self) -> None:
        self._gc_window.after_fork_in_child()
        self._reset_sync()
        self._batcher.count = 0
        for channel in self._channels:
            channel.forget_after_fork()
        if self._pump is not None and not self._stopped:
            self.start()


def _for_each_sender(method: str) -> Callable[[], None]:
    def hook() -> None:
        for sender in list(_live_senders):
            try:
                getattr(sender, method)()
            except Exception:
                debug_log("%s failed:\n%s" % (method, traceback.format_exc()))

    return hook


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_for_each_sender("_before_fork"),
        after_in_parent=_for_each_sender("_after_fork_in_parent"),
        after_in_child=_for_each_sender("_after_fork_in_child"),
    )


def start_sender(emitter: EmitterLike, options: Optional[SenderOptions] = None) -> Sender:
    """Create the channels and start the pump; registers the final flushes at exit.

    Two of them: ``atexit`` (after everything, for recordings and sockets), and before that
    ``threading._register_atexit`` — run when the main thread's code is done but before it is
    marked stopped, which is the last moment pydevd's writer is alive: its CheckAliveThread
    tears the DAP connection down as soon as no program thread is left, ahead of ``atexit``."""
    sender = Sender(emitter, options or SenderOptions.from_env())
    _live_senders.add(sender)
    atexit.register(sender.stop)
    register_thread_atexit = getattr(threading, "_register_atexit", None)
    if register_thread_atexit is not None:
        try:
            register_thread_atexit(sender.flush_at_shutdown)
        except RuntimeError:  # already shutting down
            pass
    return sender.start()


__all__ = ["TRANSPORT_CHOICES", "SenderOptions", "Sender", "start_sender"]


def _without_collection(work: Callable[..., None], *args: Any) -> None:
    """Run ``work`` with the cyclic collector held off, as the program left it afterwards.

    The final flushes run in the program's own thread at exit; a collection our allocations
    started there would finalise the program's garbage inside the runtime's frames (a "coroutine
    was never awaited" warning then names ``emitter.py`` instead of ``sys:1``). Held off, the
    same garbage is collected where it would have been without us: at shutdown."""
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        work(*args)
    finally:
        if collecting:
            gc.enable()
