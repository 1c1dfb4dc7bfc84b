"""Keep the program's garbage collections on the program's threads.

CPython starts a collection on whichever thread allocates past the young generation's
threshold.  Started on the pump, it would finalise the program's garbage there: a ``__del__``
or weakref callback of the program running on a thread of ours (and Twisted's "Unhandled error
in Deferred" log, with the program's log observers).  So while the pump works the threshold is
raised out of reach (``hold``), and ``release`` puts it back; if a collection became due
meanwhile (the program allocated past the threshold), it puts it back and sleeps, so that the
program's next allocation, on its own thread, runs it.

Between putting the threshold back and raising it again the pump allocates no object the
collector tracks: ``set_threshold(*tuple)`` passes a tuple made earlier as is, ``time.sleep``
takes a float, the pump's loop sleeps with it (see sender), and the tuples ``hold`` raises
with are made while the threshold is raised, in the ``release`` before; ``hold`` reads the
thresholds (one tuple) to keep any the program set.  So nothing there starts a collection.
The program sees the raised threshold only if it reads it during a drain; a threshold it sets
meanwhile is kept.
"""

from __future__ import annotations

import gc
import time
from typing import Optional

_OUT_OF_REACH = 1 << 30
_PAUSE_S = 0.002
_WAIT_LIMIT_S = 0.25  # a program idle with a collection due: the pump goes on after this

Thresholds = tuple[int, int, int]


class GcWindow:
    """One pump's window; ``hold`` and ``release`` alternate on the pump thread only."""

    def __init__(self) -> None:
        self._next: Optional[tuple[Thresholds, Thresholds]] = None  # made while raised
        self._held: Optional[tuple[Thresholds, Thresholds]] = None

    def hold(self) -> bool:
        """Raise the threshold for the pump's work; False when automatic collection is off."""
        if not gc.isenabled():
            return False
        pair = self._next
        # One tuple read outside a window: a collection is due only past the threshold, and
        # the allocation that crosses it runs one at once, so this one starts none unless the
        # count sits exactly at the threshold.
        current: Thresholds = gc.get_threshold()
        if current[0] == _OUT_OF_REACH and pair is not None:
            current = pair[0]  # ours, read during a window and set back by the program
        if pair is None or pair[0] != current:  # the first window, or the program's own
            if current[0] == 0:  # a threshold of 0 turns automatic collection off
                return False
            pair = (current, (_OUT_OF_REACH, current[1], current[2]))
        gc.set_threshold(*pair[1])
        self._held = pair
        return True

    def release(self) -> None:
        """Put the threshold back, once no collection is due (see the module docstring)."""
        pair = self._held  # kept until the threshold is back: a fork meanwhile restores it
        if pair is None:
            return
        original, raised = pair
        if gc.get_threshold() != raised:  # the program set its own meanwhile: it stands
            self._next = self._held = None
            return
        deadline = time.monotonic() + _WAIT_LIMIT_S
        while gc.get_count()[0] > original[0] and time.monotonic() < deadline:
            gc.set_threshold(*original)
            time.sleep(_PAUSE_S)
            if gc.get_threshold() != original:  # the program set its own while we slept
                self._next = self._held = None
                return
            gc.set_threshold(*raised)
        self._next = pair
        gc.set_threshold(*original)
        self._held = None

    def after_fork_in_child(self) -> None:
        """A fork taken while the pump held the threshold must not leave it raised."""
        pair, self._held = self._held, None
        if pair is not None and gc.get_threshold() == pair[1]:
            gc.set_threshold(*pair[0])
