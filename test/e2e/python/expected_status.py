"""Expected Deferred status at every ``# BREAK <name>`` line of a script, from real Python.

The end-to-end notebook scenario compares the Deferred Graph view at each debugger stop with
what this prints. It runs the script in plain Python (no Deferred Graph runtime, no debugger) and
uses ``sys.settrace`` to look at the frame just before a marked line executes — the same moment a
breakpoint on that line stops at. For every Deferred reachable from the frame's variables (locals
first, then globals, one level into lists, tuples and dicts, as the view names them) it records
what the notebook's ``status()`` shows — ``getattr(d, "result", "N/A")`` and ``len(d.callbacks)``
— and the Deferred it waits on (``_chainedTo``).

Usage: python expected_status.py OUT.json SCRIPT [ARGS...]
"""

import json
import os
import re
import runpy
import sys
from types import FrameType
from typing import Any, Dict, List, Optional

from twisted.internet import defer
from twisted.python.failure import Failure

MARKER = re.compile(r"#\s*BREAK\s+([\w./-]+)")


def pending_callbacks(d: defer.Deferred) -> int:
    """len(d.callbacks) without Twisted 25.5+'s DeprecationWarning for reading ``callbacks``."""
    pairs = d.__dict__.get("_callbacks", d.__dict__.get("callbacks"))
    return len(pairs) if pairs is not None else 0


def frame_names(frame: FrameType) -> Dict[int, List[str]]:
    """id(Deferred) -> its names in the frame, preferred (first) name first."""
    names: Dict[int, List[str]] = {}

    def note(value: Any, name: str) -> None:
        if isinstance(value, defer.Deferred):
            names.setdefault(id(value), []).append(name)

    scopes = [frame.f_locals] if frame.f_locals is frame.f_globals else [frame.f_locals, frame.f_globals]
    for scope in scopes:
        for var, value in list(scope.items()):
            if var.startswith("__"):
                continue
            note(value, var)
            if type(value) in (list, tuple):
                for index, item in enumerate(value[:1000]):
                    note(item, "%s[%d]" % (var, index))
            elif type(value) is dict:
                for key, item in list(value.items())[:1000]:
                    note(item, "%s[%r]" % (var, key))
    return names


def describe_result(d: defer.Deferred, names: Dict[int, List[str]]) -> Dict[str, Any]:
    if "result" not in d.__dict__:
        return {"kind": "none", "text": "N/A"}
    result = d.result
    if isinstance(result, defer.Deferred):
        return {"kind": "deferred", "targetNames": names.get(id(result), [])}
    if isinstance(result, Failure):
        # The class as Python names it, bare for a builtin (ValueError, but
        # twisted.internet.defer.CancelledError), and the row's text: the last line of the
        # traceback, just the type when there is no message.
        cls = result.type
        exc_type = cls.__qualname__ if cls.__module__ == "builtins" else "%s.%s" % (cls.__module__, cls.__qualname__)
        message = str(result.value)
        return {"kind": "failure", "excType": exc_type, "message": message,
                "text": "%s: %s" % (exc_type, message) if message else exc_type}
    return {"kind": "value", "text": repr(result)}


def capture(frame: FrameType, marker: str) -> Dict[str, Any]:
    names = frame_names(frame)
    objects: Dict[int, defer.Deferred] = {}
    for scope in (frame.f_locals, frame.f_globals):
        for value in list(scope.values()):
            for item in (value if type(value) in (list, tuple) else [value]):
                if isinstance(item, defer.Deferred) and id(item) in names:
                    objects[id(item)] = item
    rows = []
    for key, d in objects.items():
        chained: Optional[defer.Deferred] = getattr(d, "_chainedTo", None)
        rows.append({
            "names": names[key],
            "result": describe_result(d, names),
            "callbacks": pending_callbacks(d),
            "waitingOn": names.get(id(chained), ["?"]) if chained is not None else None,
            "paused": bool(d.paused),
            "called": bool(d.called),
        })
    return {"marker": marker, "line": frame.f_lineno, "function": frame.f_code.co_name, "deferreds": rows}


def main() -> None:
    out, script, args = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3:]
    with open(script, encoding="utf-8") as f:
        markers = {i + 1: m.group(1) for i, text in enumerate(f) if (m := MARKER.search(text))}
    records: List[Dict[str, Any]] = []

    def tracer(frame: FrameType, event: str, _arg: Any):
        if frame.f_code.co_filename != script:
            return None
        if event == "line" and frame.f_lineno in markers:
            records.append(capture(frame, markers[frame.f_lineno]))
        return tracer

    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(script))
    sys.settrace(tracer)
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        sys.settrace(None)
        with open(out, "w", encoding="utf-8") as f:
            json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
