"""What a running frame's locals (and value stack) point at, without ``frame.f_locals``.

Reading ``f_locals`` (CPython 3.11) creates a dictionary on the frame holding every local: a
local the program deletes afterwards then lives on until the frame returns, which changes when
a Deferred dies (and when Twisted logs "Unhandled error in Deferred").  On 3.11 the frame's
``localsplus`` array is read in place instead — addresses only, no reference taken, no object
touched — after checking the layout against the frame's own ``f_code``.  Elsewhere (another
Python) ``local_addresses`` returns None and callers fall back to ``f_locals``.
"""

from __future__ import annotations

import ctypes
import sys
import types
from typing import Optional

_PTR = ctypes.sizeof(ctypes.c_void_p)
# PyFrameObject: ob_refcnt, ob_type, f_back, f_frame -> _PyInterpreterFrame: f_func, f_globals,
# f_builtins, f_locals, f_code, frame_obj, previous, prev_instr, int stacktop (+ is_entry,
# owner, padding), localsplus[].
_F_FRAME = 3 * _PTR
_F_CODE = 4 * _PTR
_STACKTOP = 8 * _PTR
_LOCALSPLUS = 8 * _PTR + 8
_SUPPORTED = sys.version_info[:2] == (3, 11) and _PTR == 8


def in_place() -> bool:
    """Whether frames can be read without ``f_locals`` here (then also while running)."""
    return _SUPPORTED


def local_addresses(frame: types.FrameType) -> Optional[list[tuple[str, int]]]:
    """(name, address) of each non-empty local, cell and value-stack slot of ``frame``."""
    if not _SUPPORTED:
        return None
    try:
        data = ctypes.c_void_p.from_address(id(frame) + _F_FRAME).value
        code = frame.f_code
        if not data or ctypes.c_void_p.from_address(data + _F_CODE).value != id(code):
            return None  # not the layout we know
        names = code.co_varnames + code.co_cellvars + code.co_freevars
        top = ctypes.c_int.from_address(data + _STACKTOP).value
        count = top if len(names) <= top < len(names) + code.co_stacksize + 1 else len(names)
        slots = (ctypes.c_void_p * count).from_address(data + _LOCALSPLUS)
        return [
            (names[i] if i < len(names) else "<stack>", address)
            for i, address in enumerate(slots)
            if address
        ]
    except Exception:
        return None
