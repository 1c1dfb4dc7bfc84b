"""Where a Failure came from: its traceback frames and the callback that raised it.

Read off the hot path from plain data only: 22.4 keeps ``Failure.frames`` as a list of tuples;
26.4 computes it lazily into ``_frames`` from ``tb`` (a property we do not call, since calling
it would store the list on the Failure).  Without either we walk the traceback objects
ourselves.  Nothing here runs program code: frame tuples and traceback objects are the
interpreter's, and names come from code objects.
"""

from __future__ import annotations

import os
import types
from typing import Any, Optional

from . import wire

MAX_FRAMES = 30  # innermost frames kept; a deep recursion keeps its end, where it failed

_TRACEBACK = BaseException.__dict__["__traceback__"]  # the slot itself: no override runs
_TWISTED_DEFER = os.sep + os.path.join("twisted", "internet", "defer.py")


def _from_tuples(frames: Any) -> list[wire.Location]:
    out: list[wire.Location] = []
    for item in list(frames)[-MAX_FRAMES:]:
        if (type(item) is not tuple and type(item) is not list) or len(item) < 3:
            continue  # tuples, or lists after cleanFailure(): indexing anything else runs code
        try:
            name, file, line = item[0], item[1], item[2]
        except Exception:
            continue
        out.append(
            {
                "file": file if type(file) is str else "?",
                "line": line if type(line) is int else 0,
                "function": name if type(name) is str else "?",
            }
        )
    return out


def _from_traceback(tb: Any) -> list[wire.Location]:
    out: list[wire.Location] = []
    steps = 0
    while type(tb) is types.TracebackType and steps < 10_000:
        steps += 1
        try:
            code = tb.tb_frame.f_code
            out.append(
                {
                    "file": code.co_filename,
                    "line": int(tb.tb_lineno or 0),
                    "function": getattr(code, "co_qualname", None) or code.co_name,
                }
            )
            tb = tb.tb_next
        except Exception:
            break
    return out[-MAX_FRAMES:]


FRAME_ATTRS = ("frames", "_frames", "tb")  # what failure_frames reads of a Failure


def failure_frames(fail: Any, attrs: Any = None) -> list[wire.Location]:
    """The traceback of a Failure (or an exception), innermost last, at most ``MAX_FRAMES``.
    ``attrs``: its ``FRAME_ATTRS`` already read (a finaliser in a collection must not ask for
    the ``__dict__``, see ``described.instance_attrs``)."""
    try:
        if attrs is None:
            try:  # never getattr/isinstance: a property or __getattr__ would run program code
                attrs = object.__getattribute__(fail, "__dict__")
            except Exception:
                attrs = None
        if type(attrs) is dict:
            frames = attrs.get("frames")
            if type(frames) is not list:
                frames = attrs.get("_frames")
            if type(frames) is list and frames:
                return _from_tuples(frames)
            tb = attrs.get("tb")
            if tb is not None:
                return _from_traceback(tb)
            return []
        if issubclass(type(fail), BaseException):
            return _from_traceback(_TRACEBACK.__get__(fail))
    except Exception:
        pass
    return []


def raised_by(frames: list[wire.Location]) -> Optional[wire.Location]:
    """The callback that raised: the first frame after the last frame of Twisted's defer
    module (``_runCallbacks`` calls the callback).  Null when defer.py is not in the
    traceback: the Failure was handed to ``errback()``, not raised by a callback."""
    last = -1
    for index, frame in enumerate(frames):
        if frame["file"].endswith(_TWISTED_DEFER):
            last = index
    if last < 0 or last + 1 >= len(frames):
        return None
    return frames[last + 1]
