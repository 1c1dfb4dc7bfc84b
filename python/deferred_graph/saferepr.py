"""Bounded, exception-proof text for values found in the debugged program.

A result's ``__repr__`` is user code: it may raise, recurse forever, return megabytes or not a
string at all, and a result may be a container with millions of items.  Everything here returns
a short string and a ``truncated`` flag, and never raises.
"""

from __future__ import annotations

import itertools
import os
import reprlib
from typing import Any, Optional

from . import wire
from .failures import failure_frames, raised_by

DEFAULT_LIMIT = 300


def repr_limit() -> int:
    """``DEFERRED_GRAPH_REPR_LIMIT`` (characters of a repr), default 300, at least 20."""
    try:
        return max(20, int(os.environ.get("DEFERRED_GRAPH_REPR_LIMIT", DEFAULT_LIMIT)))
    except ValueError:
        return DEFAULT_LIMIT


class _BoundedRepr(reprlib.Repr):
    """reprlib with a failing repr caught per element and dicts never sorted (sorting a huge
    dict costs O(n log n) and may call user ``__lt__``)."""

    def __init__(self, limit: int, by_identity: tuple[type[Any], ...] = ()) -> None:
        super().__init__()
        self.by_identity = by_identity
        self.maxstring = limit
        self.maxother = limit
        self.maxlong = limit
        self.maxlevel = 4
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 10
        self.maxfrozenset = self.maxdeque = self.maxarray = 10

    def repr1(self, x: Any, level: int) -> str:
        try:
            return super().repr1(x, level)
        except BaseException as exc:  # noqa: B036 - a repr may raise anything, even SystemExit
            return _failed(exc)

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        n = len(x)
        if n == 0:
            return "{}"
        if level <= 0:
            return "{...}"
        pieces = [
            "%s: %s" % (self.repr1(k, level - 1), self.repr1(v, level - 1))
            for k, v in itertools.islice(x.items(), self.maxdict)
        ]
        if n > self.maxdict:
            pieces.append("...")
        return "{%s}" % ", ".join(pieces)

    def repr_instance(self, x: Any, level: int) -> str:
        if self.by_identity and isinstance(x, self.by_identity):
            return "<%s at 0x%x>" % (type(x).__name__, id(x))
        text = repr(x)
        if not isinstance(text, str):
            raise TypeError("__repr__ returned %s" % type(text).__name__)
        return str.__str__(text)  # a str subclass could override slicing; use a plain str


def _failed(exc: BaseException) -> str:
    try:
        name = type(exc).__name__
    except BaseException:  # noqa: B036
        name = "exception"
    return "<repr failed: %s>" % name


def safe_repr(
    value: Any, limit: Optional[int] = None, by_identity: tuple[type[Any], ...] = ()
) -> tuple[str, bool]:
    """(text, truncated): ``repr(value)`` bounded to ``limit`` characters.

    Instances of ``by_identity`` classes inside ``value`` print as ``<Name at 0xADDR>``: the
    runtime passes Deferred, whose repr shows its current result — state that changes without
    the holder changing, so the holder's captured text would go stale between stops. The nested
    Deferred's state is on its own row."""
    limit = repr_limit() if limit is None else limit
    try:
        text = _BoundedRepr(limit, by_identity).repr(value)
    except BaseException as exc:  # noqa: B036
        text = _failed(exc)
    return _cut(text, limit)


def safe_str(value: Any, limit: Optional[int] = None) -> tuple[str, bool]:
    """(text, truncated): ``str(value)`` bounded; falls back to the repr when ``str`` fails."""
    limit = repr_limit() if limit is None else limit
    try:
        text = str(value)
        if not isinstance(text, str):
            raise TypeError("__str__ returned a non-string")
        text = str.__str__(text)
    except BaseException:  # noqa: B036
        return safe_repr(value, limit)
    return _cut(text, limit)


def _cut(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[: max(0, limit - 3)] + "...", True


def type_name(cls: Any) -> str:
    """``module.Qualname`` of a class, without the module for builtins."""
    try:
        module = getattr(cls, "__module__", None)
        name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "?")
        if not isinstance(name, str):
            name = "?"
        if module in (None, "builtins") or not isinstance(module, str):
            return name
        return "%s.%s" % (module, name)
    except BaseException:  # noqa: B036
        return "?"


def failure_result(fail: Any, limit: Optional[int] = None) -> wire.FailureResult:
    """The wire ``FailureResult`` of a Twisted Failure (or an exception): type and message."""
    try:
        value = getattr(fail, "value", fail)
        exc_type = getattr(fail, "type", None) or type(value)
        message, truncated = safe_str(value, limit)
        frames = failure_frames(fail)
        return {
            "kind": "failure",
            "excType": type_name(exc_type),
            "message": message,
            "truncated": truncated,
            "frames": frames,
            "raisedBy": raised_by(frames),
        }
    except BaseException:  # noqa: B036
        return {
            "kind": "failure",
            "excType": "?",
            "message": "",
            "truncated": False,
            "frames": [],
            "raisedBy": None,
        }
