"""Where a Failure came from: its traceback frames and the callback that raised it.

Read off the hot path from plain data only: 22.4 keeps ``Failure.frames`` as a list of tuples;
26.4 computes it lazily into ``_frames`` from ``tb`` (a property we do not call, since calling
it would store the list on the Failure).  Without either we walk the traceback objects
ourselves.  Nothing here runs program code: frame tuples and traceback objects are the
interpreter's, and names come from code objects.
"""

from __future__ import annotations

import os
from typing import Any, Optional

from . import wire

MAX_FRAMES = 30  # innermost frames kept; a deep recursion keeps its end, where it failed

_TWISTED_DEFER = os.sep + os.path.join("twisted", "internet", "defer.py")


def _from_tuples(frames: Any) -> list[wire.Location]:
    out: list[wire.Location] = []
    for item in list(frames)[-MAX_FRAMES:]:
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
    while tb is not None and steps < 10_000:
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


def failure_frames(fail: Any) -> list[wire.Location]:
    """The traceback of a Failure (or an exception), innermost last, at most ``MAX_FRAMES``."""
    try:
        attrs = getattr(fail, "__dict__", None)
        if type(attrs) is dict:
            frames = attrs.get("frames")
            if not isinstance(frames, list):
                frames = attrs.get("_frames")
            if isinstance(frames, list) and frames:
                return _from_tuples(frames)
            tb = attrs.get("tb")
            if tb is not None:
                return _from_traceback(tb)
            return []
        if isinstance(fail, BaseException):
            return _from_traceback(fail.__traceback__)
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
