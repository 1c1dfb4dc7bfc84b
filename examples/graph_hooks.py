"""Optional Deferred Graph calls used by the examples: names for Deferreds and step markers.

The examples run with or without Deferred Graph.  When the runtime is installed (a debug launch
from VS Code with the extension, or ``python -m deferred_graph run``), ``label()`` gives a
Deferred the name shown in the graph and ``mark()`` puts a marker on its timeline.  Otherwise
both do nothing but keep the examples readable.

Two extra uses, for the project's own tests, switched off unless asked for:

* ``listeners``: functions called with the marker name at every ``mark()`` (the seed parity
  test checks the runtime's snapshot against Twisted there);
* the environment variable ``DEFERRED_GRAPH_EXAMPLES_EXPECT``: a JSON Lines file to which every
  ``mark()`` appends the real Twisted status of each labelled Deferred still alive — the
  expectations that ``test/python/make_goldens.py`` stores beside each golden recording.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from typing import Any, Callable, Optional, TypeVar, Union

try:
    import deferred_graph as _runtime
except ImportError:  # running without Deferred Graph: names and markers are no-ops
    _runtime = None

EXPECT_ENV = "DEFERRED_GRAPH_EXAMPLES_EXPECT"
"""Environment variable naming the JSON Lines file of expected statuses (tests only)."""

T = TypeVar("T")

listeners: list[Callable[[str], None]] = []
"""Called with the marker name at every ``mark()``, before the runtime's marker is emitted."""

_labelled: dict[str, weakref.ref[Any]] = {}  # label -> newest Deferred with that label
_lock = threading.Lock()  # the threaded tale marks from five threads at once


def _runtime_active() -> bool:
    """True when the Deferred Graph runtime is importable *and* installed in this process."""
    if _runtime is None:
        return False
    try:
        return bool(_runtime.is_installed())
    except Exception:
        return False


def label(deferred: T, name: str) -> T:
    """Name ``deferred`` in the graph and return it, so a label can wrap an expression."""
    try:
        with _lock:
            _labelled[name] = weakref.ref(deferred)
    except TypeError:  # not weak-referenceable, so not a Deferred: nothing to expect for it
        pass
    if _runtime_active():
        try:
            _runtime.label(deferred, name)
        except Exception:
            pass  # a graph name is never worth breaking the example for
    return deferred


def mark(name: str) -> None:
    """Put the marker ``name`` on the graph's timeline (and tell the test listeners)."""
    for listener in list(listeners):
        listener(name)
    path = os.environ.get(EXPECT_ENV)
    # While the expectation is written and the runtime marks, the labelled Deferreds are held:
    # one that only a cycle keeps would otherwise be freed by a collection the two allocate,
    # between Python's reading (alive) and the marker (collected).
    held = [ref() for ref in list(_labelled.values())] if path else []
    if path:
        _append_expectation(path, name)
    if _runtime_active():
        try:
            _runtime.mark(name)
        except Exception:
            pass
    del held


def pending_callbacks(deferred: Any) -> int:
    """``len(deferred.callbacks)``: the pending callback pairs, as the notebook counts them.

    Twisted 25.5+ keeps the list in ``_callbacks`` and warns (DeprecationWarning) when
    ``callbacks`` is read, so read the private list where it exists.
    """
    callbacks = vars(deferred).get("_callbacks")
    if callbacks is None:
        callbacks = deferred.callbacks
    return len(callbacks)


def real_status(deferred: Any, reference: Callable[[Any], Union[str, int, None]]) -> dict[str, Any]:
    """What Twisted's own attributes say about ``deferred``, in the golden expectation format.

    ``reference`` turns another Deferred (the result, or the one this waits on) into its label
    or, when it has none, its runtime id.
    """
    from twisted.internet.defer import Deferred
    from twisted.python.failure import Failure

    has_result = "result" in vars(deferred)
    result = vars(deferred).get("result")
    waiting_on = getattr(deferred, "_chainedTo", None)
    status: dict[str, Any] = {
        "id": id_of(deferred),
        "hasResult": has_result,
        "result": None,
        "resultDeferred": None,
        "failure": None,
        "callbacks": pending_callbacks(deferred),
        "paused": int(deferred.paused),
        "waitingOn": reference(waiting_on) if waiting_on is not None else None,
        "called": bool(deferred.called),
    }
    if isinstance(result, Deferred):
        status["resultDeferred"] = reference(result)
    elif isinstance(result, Failure):
        status["failure"] = {
            "excType": _type_name(result.type),
            "message": _text(str, result.value),
        }
    elif has_result:
        status["result"] = _text(repr, result)
    return status


def id_of(deferred: Any) -> Optional[int]:
    """The runtime's id of ``deferred``, or None without the runtime."""
    if not _runtime_active():
        return None
    try:
        return _runtime.id_of(deferred)
    except Exception:
        return None


def _text(kind: Callable[[Any], str], value: Any) -> str:
    """``repr``/``str`` of a result as the graph shows it: the runtime's bounded text (long
    lists end in "..."), or the plain one without the runtime."""
    try:
        from deferred_graph import saferepr
    except ImportError:
        return kind(value)
    bounded = saferepr.safe_repr if kind is repr else saferepr.safe_str
    return bounded(value)[0]


def _type_name(cls: Any) -> str:
    """``module.Qualname``, with no module for builtins ("ValueError"), as the graph names it."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _live_labelled() -> dict[str, Any]:
    with _lock:
        pairs = [(name, ref()) for name, ref in _labelled.items()]
    return {name: d for name, d in pairs if d is not None}


def _append_expectation(path: str, marker: str) -> None:
    """Append one line ``{"marker": NAME, "deferreds": {label: status}}`` to ``path``."""
    live = _live_labelled()
    names = {id(d): name for name, d in live.items()}

    def reference(other: Any) -> Union[str, int, None]:
        return names.get(id(other), id_of(other))

    record = {
        "marker": marker,
        "deferreds": {n: real_status(d, reference) for n, d in live.items()},
    }
    with _lock, open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
