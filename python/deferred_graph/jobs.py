"""Thread jobs: which ``deferToThread``/``deferToThreadPool`` job will fire a Deferred.

Recorded as it happens, by wrapping ``twisted.internet.threads.deferToThreadPool`` (the module
global ``deferToThread`` calls too): the function, a bounded text of its arguments made on the
caller's thread from builtin values only (anything else is shown as ``<TypeName>``, so no
program ``__repr__`` runs anywhere), the pool's reactor and when it was queued.  The wrapper
costs nothing on Deferred paths; one job costs a thread hand-over anyway.

Whether a job runs, and its worker's current line, is read when the state is read: the worker
whose stack holds a frame of the job's function (``sys._current_frames``, the interpreter's
own view, no program code).  A finished job whose ``d.callback`` waits in the reactor's
``threadCallQueue`` is "done, result queued for the reactor thread".
"""

from __future__ import annotations

import functools
import sys
import threading
import types
from typing import Any, Callable, Optional

from . import clock, described, wire

_ARG_LIMIT = 120
_PLAIN = (int, float, bool, type(None), complex)


class ThreadJob:
    """One job handed to a thread pool; weak in nothing it does not own (plain data only)."""

    __slots__ = ("function", "code", "args", "queued_at", "reactor")

    def __init__(self, func: Any, args_text: str, reactor: Any) -> None:
        # Only the slots of exact builtin types are read: a program callable is asked nothing
        # (this also runs on the sender thread, for a job queued before the wrapper).
        target = func
        for _ in range(4):
            if type(target) is not functools.partial:
                break
            target = target.func
        if type(target) is types.MethodType:
            target = target.__func__
        code = target.__code__ if type(target) is types.FunctionType else None
        self.code: Optional[types.CodeType] = code
        name = (getattr(code, "co_qualname", None) or code.co_name) if code is not None else None
        self.function: str = name if type(name) is str else described.name(type(func))
        self.args = args_text
        self.queued_at = clock.now()
        self.reactor = reactor


def _plain_text(value: Any, depth: int = 0) -> str:
    kind = type(value)
    if described.is_one_of(kind, _PLAIN) or kind is str or kind is bytes:
        text = repr(value)  # builtin reprs only
    elif kind in (list, tuple) and depth < 2:
        inner = ", ".join(_plain_text(v, depth + 1) for v in value[:5])
        more = ", …" if len(value) > 5 else ""
        text = ("[%s%s]" if kind is list else "(%s%s)") % (inner, more)
    elif kind is dict and depth < 2:
        items = list(value.items())[:5]
        text = "{%s}" % ", ".join(
            "%s: %s" % (_plain_text(k, depth + 1), _plain_text(v, depth + 1)) for k, v in items
        )
    else:
        text = "<%s>" % described.name(kind)  # type's own descriptor: never a metaclass's
    return text if len(text) <= _ARG_LIMIT else text[: _ARG_LIMIT - 1] + "…"


def args_text(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``2.0, name='x'``: bounded, builtin values only (never a program ``__repr__``)."""
    try:
        parts = [_plain_text(a) for a in args[:6]]
        parts += [
            "%s=%s" % (k if type(k) is str else "?", _plain_text(v))
            for k, v in list(kwargs.items())[:6]
        ]
        text = ", ".join(parts)
        return text if len(text) <= 2 * _ARG_LIMIT else text[: 2 * _ARG_LIMIT - 1] + "…"
    except Exception:
        return "…"


def wrap_defer_to_thread_pool(original: Callable[..., Any], note: Callable[..., None]) -> Any:
    """``deferToThreadPool`` that also notes ``(deferred, job)``; returns what it returns."""

    @functools.wraps(original)
    def deferToThreadPool(reactor: Any, threadpool: Any, f: Any, *args: Any, **kwargs: Any) -> Any:
        deferred = original(reactor, threadpool, f, *args, **kwargs)
        try:
            note(deferred, ThreadJob(f, args_text(args, kwargs), reactor))
        except Exception:
            pass
        return deferred

    deferToThreadPool._deferred_graph_original = original  # type: ignore[attr-defined]
    return deferToThreadPool


def patch_threads(note: Callable[..., None]) -> Optional[Callable[[], None]]:
    """Wrap ``twisted.internet.threads.deferToThreadPool`` once the module is imported (it
    usually is not yet when the runtime installs); returns the undo, or None if not patched."""
    module = sys.modules.get("twisted.internet.threads")
    original = getattr(module, "deferToThreadPool", None) if module is not None else None
    if original is None or hasattr(original, "_deferred_graph_original"):
        return None
    module.deferToThreadPool = wrap_defer_to_thread_pool(original, note)  # type: ignore[union-attr]

    def undo() -> None:
        if getattr(module, "deferToThreadPool", None) is not original:
            module.deferToThreadPool = original  # type: ignore[union-attr]

    return undo


def _thread_name(ident: int) -> str:
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    name = getattr(thread, "__dict__", {}).get("_name") if thread is not None else None
    return name if isinstance(name, str) else "thread %d" % ident


def _worker_of(code: Optional[types.CodeType]) -> Optional[tuple[str, Any]]:
    """(thread name, innermost frame) of a thread running ``code`` now, else None."""
    if code is None:
        return None
    me = threading.get_ident()
    tops = list(sys._current_frames().items())
    try:
        for ident, top in tops:
            if ident == me:
                continue
            frame: Optional[types.FrameType] = top
            depth = 0
            while frame is not None and depth < 300:
                if frame.f_code is code:
                    return _thread_name(ident), top
                frame, depth = frame.f_back, depth + 1
        return None
    finally:
        tops.clear()  # it holds this frame: no cycle keeping every thread's frames alive


def _result_queued(job: ThreadJob, deferred: Any) -> bool:
    queue = getattr(job.reactor, "__dict__", {}).get("threadCallQueue")
    if not isinstance(queue, list):
        return False
    for item in list(queue):
        func = item[0] if type(item) is tuple and item else None
        if getattr(func, "__self__", None) is deferred:
            return True
    return False


def describe(job: ThreadJob, deferred: Any, known_since: bool = True) -> wire.BlockedBy:
    """The ``thread`` blockedBy of a job's Deferred, read now (``known_since``: the job was
    noted when queued, so how long ago is known)."""
    call = "%s(%s)" % (job.function, job.args)
    worker = _worker_of(job.code)
    location: Optional[wire.Location] = None
    if worker is not None:
        name, top = worker
        state = "running on %s" % name
        code = top.f_code
        location = {
            "file": code.co_filename,
            "line": top.f_lineno or code.co_firstlineno,
            "function": getattr(code, "co_qualname", None) or code.co_name,
        }
    elif _result_queued(job, deferred):
        state = "done, result queued for the reactor thread"
    else:
        state = "queued"
    if location is None and job.code is not None:
        code = job.code
        location = {"file": code.co_filename, "line": code.co_firstlineno, "function": job.function}
    waited = max(0.0, clock.now() - job.queued_at)
    since = " · queued %.1f s ago" % waited if known_since else ""
    text = "%s · %s%s" % (call, state, since)
    return {"kind": "thread", "text": text, "ids": [], "location": location}
