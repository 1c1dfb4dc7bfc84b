"""Thread jobs: which ``deferToThread``/``deferToThreadPool`` job will fire a Deferred.

Recorded as it happens, by a note inlined in ``twisted.internet.threads.deferToThreadPool``
(which ``deferToThread`` calls too), recompiled as ``hooks`` recompiles defer.py, right after
that module has executed (``importwatch``): the function, a bounded text of its arguments made
on the caller's thread from builtin values only (anything else is shown as ``<TypeName>``, so
no program ``__repr__`` runs anywhere), the pool's reactor and when it was queued.  Inlined,
not wrapped: a wrapper is a frame in every traceback through it (a pool that refuses the job),
and a function the program imported before the wrap would not be seen.  It costs nothing on
Deferred paths; one job costs a thread hand-over anyway.

Whether a job runs, and its worker's current line, is read when the state is read: the worker
whose stack holds a frame of the job's function (``sys._current_frames``, the interpreter's
own view, no program code).  A finished job whose ``d.callback`` waits in the reactor's
``threadCallQueue`` is "done, result queued for the reactor thread".
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
import types
from typing import Any, Callable, Optional

from . import clock, described, hooks, importwatch, wire

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


THREADS_MODULE = "twisted.internet.threads"
THREAD_JOB = "_deferred_graph_thread_job"
# After ``d = defer.Deferred()``: the job is known before a worker can run it.  Every node
# takes that statement's line, so a tracer sees no extra line event.
_NOTE = """
try:
    %s(%s, %s, %s, %s, %s)
except Exception:
    pass
"""


def _with_note(node: ast.FunctionDef) -> Optional[ast.FunctionDef]:
    """``deferToThreadPool(reactor, threadpool, f, *args, **kwargs)`` with the note after its
    first ``NAME = ...Deferred()``; None for a shape not known."""
    spec = node.args
    if len(spec.args) < 3 or spec.vararg is None or spec.kwarg is None:
        return None
    for index, stmt in enumerate(node.body):
        target = stmt.targets[0] if type(stmt) is ast.Assign else getattr(stmt, "target", None)
        value = getattr(stmt, "value", None)
        if type(target) is ast.Name and type(value) is ast.Call:
            called = value.func
            name = called.attr if type(called) is ast.Attribute else getattr(called, "id", "")
            if name == "Deferred":
                names = (target.id, spec.args[2].arg, spec.vararg.arg, spec.kwarg.arg)
                text = _NOTE % ((THREAD_JOB,) + names + (spec.args[0].arg,))
                note = ast.parse(text).body[0]
                for part in ast.walk(note):
                    if "lineno" in part._attributes:
                        ast.copy_location(part, stmt)  # end positions too
                node.body.insert(index + 1, note)
                return node
    return None


def instrument_threads(module: types.ModuleType, note: Callable[..., None]) -> Any:
    """Inline the job note in ``module.deferToThreadPool``; the patcher that undoes it, or
    None if its shape is not known (jobs then show as the heap analysis finds them)."""
    func = module.__dict__.get("deferToThreadPool")
    if type(func) is not types.FunctionType:
        return None
    try:
        filename, tree = hooks.module_tree(module)
        node = next(
            n for n in tree.body if type(n) is ast.FunctionDef and n.name == "deferToThreadPool"
        )
        if func.__code__.co_firstlineno != node.lineno:
            return None  # not the function this source defines
        noted = _with_note(node)
        code = hooks.compile_function(noted, None, filename, func.__code__) if noted else None
    except Exception:
        return None
    if code is None:
        return None
    patcher = hooks.Patcher(module)

    def thread_job(deferred: Any, f: Any, args: Any, kwargs: Any, reactor: Any) -> None:
        try:
            note(deferred, ThreadJob(f, args_text(args, kwargs), reactor))
        except Exception:
            pass

    patcher.set_module_attr(THREAD_JOB, thread_job)
    hooks.swap_code(patcher, func, code)
    return patcher


class ThreadWatch:
    """Instruments ``deferToThreadPool`` once ``twisted.internet.threads`` has executed (now,
    if it already has); ``undo()`` puts everything back.

    A program whose first Twisted import is ``threads`` installs the runtime from inside that
    import (``threads`` imports ``defer``): the module is there but not yet executed, so the
    watcher finds no function, and ``retry()`` (after each drain) instruments it later."""

    def __init__(self, note: Callable[..., None]) -> None:
        self.patcher: Any = None
        self.watcher: Any = None
        self.pending = True
        self._note = note
        try:
            self.watcher = importwatch.when_imported(THREADS_MODULE, self.retry)
        except Exception:  # no bootstrap file next to the package: instrument what is there
            self.retry()

    def retry(self) -> None:
        """Instrument the module if it has executed and is not instrumented yet."""
        module = sys.modules.get(THREADS_MODULE)
        if not self.pending or module is None:
            return
        if type(module.__dict__.get("deferToThreadPool")) is not types.FunctionType:
            return  # still executing
        self.pending = False
        self.patcher = instrument_threads(module, self._note)

    def undo(self) -> None:
        self.pending = False
        if self.watcher is not None:
            self.watcher.deactivate()
        if self.patcher is not None:
            self.patcher.restore()
            self.patcher = None


def _thread_name(ident: int) -> str:
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    name = getattr(thread, "__dict__", {}).get("_name") if thread is not None else None
    return name if isinstance(name, str) else "thread %d" % ident


_library_dirs: Optional[tuple[str, ...]] = None


def _is_library(filename: str) -> bool:
    """The standard library's or an installed package's file (not the program's own)."""
    global _library_dirs
    if _library_dirs is None:
        import sysconfig

        paths = sysconfig.get_paths()
        found = {paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
        _library_dirs = tuple(sorted(p.rstrip("/") + "/" for p in found if p))
    return filename.startswith(_library_dirs) or "-packages/" in filename


def _worker_of(code: Optional[types.CodeType]) -> Optional[tuple[str, Any]]:
    """(thread name, frame) of a thread running ``code`` now, else None: the innermost frame
    of the job that is the program's own code (``work()`` waiting in ``Condition.wait``
    shows ``work()``'s line), else the job function's."""
    if code is None:
        return None
    me = threading.get_ident()
    tops = list(sys._current_frames().items())
    try:
        for ident, top in tops:
            if ident == me:
                continue
            frame: Optional[types.FrameType] = top
            own: Optional[types.FrameType] = None
            depth = 0
            while frame is not None and depth < 300:
                if frame.f_code is code:
                    return _thread_name(ident), own or frame
                if own is None and not _is_library(frame.f_code.co_filename):
                    own = frame
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


def phase(job: ThreadJob, deferred: Any) -> Any:
    """What changes in a job's "why" without any write to its Deferred: queued, running (on
    which thread, at which line) or done; compared between drains (see the emitter)."""
    worker = _worker_of(job.code)
    if worker is not None:
        return (worker[0], worker[1].f_code, worker[1].f_lineno)
    return "done" if _result_queued(job, deferred) else "queued"


def describe(job: ThreadJob, deferred: Any, known_since: bool = True) -> wire.BlockedBy:
    """The ``thread`` blockedBy of a job's Deferred, read now (``known_since``: the job was
    noted when queued, so how long ago is known)."""
    call = "%s(%s)" % (job.function, job.args)
    worker = _worker_of(job.code)
    location: Optional[wire.Location] = None
    if worker is not None:
        name, at = worker
        state = "running on %s" % name
        code = at.f_code
        location = {
            "file": code.co_filename,
            "line": at.f_lineno or code.co_firstlineno,
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
