"""Bounded, exception-proof text for values found in the debugged program.

A result's ``__repr__`` is user code: it may raise, recurse forever, return megabytes or not a
string at all, and a result may be a container with millions of items.  Everything here returns
a short string and a ``truncated`` flag, and never raises.

It is also code the program did not ask to run.  While the program runs, the runtime reads state
on its sender thread, where a program's ``__repr__`` would run on a foreign thread at a moment
the program did not choose: a lazy object loads, a repr waiting on a lock the reactor holds
freezes the event stream.  So by default nothing the program defined is called: builtin values
(and builtin containers of them) keep their exact repr, instances whose repr is ``object``'s
keep it (it is C code reading only the type), exceptions with builtin ``__repr__``/``__str__``
show their type and args, and anything else is described by what can be read without running
its code: ``<Foo object>``, with the size of a builtin container it subclasses.  ``full=True``
(the snapshot at a debugger stop, in the paused thread, as VS Code's Variables view does) calls
the program's own ``__repr__``/``__str__``.  Types are always checked with ``type()``, never
``isinstance`` (which reads ``__class__``, a property on lazy proxies).
"""

from __future__ import annotations

import itertools
import os
import reprlib
from typing import Any, Optional

from . import described, wire
from .failures import failure_frames, raised_by

DEFAULT_LIMIT = 300


def repr_limit() -> int:
    """``DEFERRED_GRAPH_REPR_LIMIT`` (characters of a repr), default 300, at least 20."""
    try:
        return max(20, int(os.environ.get("DEFERRED_GRAPH_REPR_LIMIT", DEFAULT_LIMIT)))
    except ValueError:
        return DEFAULT_LIMIT


class _BoundedRepr(reprlib.Repr):
    """reprlib with a failing repr caught per element, dicts never sorted (sorting a huge
    dict costs O(n log n) and may call user ``__lt__``) and, unless ``full``, no code of the
    program run (``described``); ``exact`` turns False once something was described instead
    of repr'd."""

    def __init__(
        self, limit: int, by_identity: tuple[type[Any], ...] = (), full: bool = False
    ) -> None:
        super().__init__()
        self.by_identity = by_identity
        self.full = full
        self.exact = True
        self.maxstring = limit
        self.maxother = limit
        self.maxlong = limit
        self.maxlevel = 4
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 10
        self.maxfrozenset = self.maxdeque = self.maxarray = 10

    def repr1(self, x: Any, level: int) -> str:
        try:
            if self.full or described.is_builtin_value_type(type(x)):
                return super().repr1(x, level)  # dispatches on the type's name
            return self._describe(x, level)
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

    def repr_set(self, x: Any, level: int) -> str:
        if self.full or described.plain(x):
            return super().repr_set(x, level)
        return self._unsorted(x, level, "{", "}", self.maxset)

    def repr_frozenset(self, x: Any, level: int) -> str:
        if self.full or described.plain(x):
            return super().repr_frozenset(x, level)
        return self._unsorted(x, level, "frozenset({", "})", self.maxfrozenset)

    def _unsorted(self, x: Any, level: int, left: str, right: str, most: int) -> str:
        """A set as reprlib writes it, in iteration order: sorting would compare the items."""
        if level <= 0:
            return left + "..." + right
        pieces = [self.repr1(item, level - 1) for item in itertools.islice(x, most)]
        if len(x) > most:
            pieces.append("...")
        return left + ", ".join(pieces) + right

    def repr_instance(self, x: Any, level: int) -> str:
        if self.by_identity and issubclass(type(x), self.by_identity):
            return "<%s at 0x%x>" % (type(x).__name__, id(x))
        text = repr(x)
        if not isinstance(text, str):
            raise TypeError("__repr__ returned %s" % type(text).__name__)
        return str.__str__(text)  # a str subclass could override slicing; use a plain str

    def _describe(self, x: Any, level: int) -> str:
        """A value of a class the program may have defined, without running its code."""
        kind = type(x)
        if self.by_identity and issubclass(kind, self.by_identity):
            return "<%s at 0x%x>" % (described.name(kind), id(x))
        text = described.c_repr(x)
        if text is not None:
            return text
        args = described.exception_args(x)
        if args is not None:  # BaseException's repr, but the args checked as everything else
            if len(args) == 1:
                return "%s(%s)" % (described.name(kind), self.repr1(args[0], level - 1))
            return described.name(kind) + self.repr1(args, level)
        self.exact = False
        size = described.builtin_size(x)
        if size is not None:
            return "<%s object, len %d>" % (described.qualname(kind), size)
        return "<%s object>" % described.qualname(kind)

    def message(self, exc: Any) -> Optional[str]:
        """``str(exc)`` when that runs no code of the program (``described.str_kind``), its
        values bounded as in a repr; else None."""
        text = described.plain_message(exc)
        if text is not None or described.str_kind(exc) is None:
            return text
        args = described.args_of(exc)  # not empty: plain_message answered that
        return self.repr1(args if len(args) > 1 else args[0], self.maxlevel)


def _failed(exc: BaseException) -> str:
    try:
        name = type(exc).__name__
    except BaseException:  # noqa: B036
        name = "exception"
    return "<repr failed: %s>" % name


def repr_exact(
    value: Any,
    limit: Optional[int] = None,
    by_identity: tuple[type[Any], ...] = (),
    full: bool = False,
) -> tuple[str, bool, bool]:
    """(text, truncated, exact): :func:`safe_repr`, and whether the text is the value's whole
    repr as bounded (False when a value was described without running the program's code)."""
    limit = repr_limit() if limit is None else limit
    renderer = _BoundedRepr(limit, by_identity, full)
    try:
        text = renderer.repr(value)
    except BaseException as exc:  # noqa: B036
        text = _failed(exc)
    cut, truncated = _cut(text, limit)
    return cut, truncated, renderer.exact


def safe_repr(
    value: Any,
    limit: Optional[int] = None,
    by_identity: tuple[type[Any], ...] = (),
    full: bool = False,
) -> tuple[str, bool]:
    """(text, truncated): ``repr(value)`` bounded to ``limit`` characters, running no code of
    the program unless ``full`` (module docstring).

    Instances of ``by_identity`` classes inside ``value`` print as ``<Name at 0xADDR>``: the
    runtime passes Deferred, whose repr shows its current result — state that changes without
    the holder changing, so the holder's captured text would go stale between stops. The nested
    Deferred's state is on its own row."""
    text, truncated, _exact = repr_exact(value, limit, by_identity, full)
    return text, truncated


def safe_str(value: Any, limit: Optional[int] = None, full: bool = False) -> tuple[str, bool]:
    """(text, truncated): ``str(value)`` bounded; falls back to the repr when ``str`` fails.
    Unless ``full``, only an exception's builtin ``str`` is used (else its description)."""
    limit = repr_limit() if limit is None else limit
    if not full:
        try:
            text = _BoundedRepr(limit).message(value)
        except BaseException:  # noqa: B036
            text = None
        return _cut(text, limit) if text is not None else safe_repr(value, limit)
    try:
        text = str(value)
        if not isinstance(text, str):
            raise TypeError("__str__ returned a non-string")
        text = str.__str__(text)
    except BaseException:  # noqa: B036
        return safe_repr(value, limit, full=True)
    return _cut(text, limit)


def _cut(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[: max(0, limit - 3)] + "...", True


def type_name(cls: Any) -> str:
    """``module.Qualname`` of a class, without the module for builtins."""
    try:  # read as ``type`` stores them: a metaclass's __getattribute__ must not run
        module = described.module_of(cls)
        name = described.qualname(cls)
        if module is None or module == "builtins":
            return name
        return "%s.%s" % (module, name)
    except BaseException:  # noqa: B036
        return "?"


def failure_result(
    fail: Any, limit: Optional[int] = None, full: bool = False
) -> wire.FailureResult:
    """The wire ``FailureResult`` of a Twisted Failure (or an exception): type and message,
    the message taken without running the program's code unless ``full``."""
    try:
        attrs = object.__getattribute__(fail, "__dict__")
        is_failure = "value" in attrs and "type" in attrs  # a Failure keeps both there
        value = attrs["value"] if is_failure else fail
        exc_type = (attrs["type"] if is_failure else None) or type(value)
        message, truncated = safe_str(value, limit, full)
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
