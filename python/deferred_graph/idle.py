"""What the pump does between drains besides draining: the idle analysis and late patches.

A program that sits idle with pending Deferreds (a hang, the question "why" is asked about)
gets one ``why`` analysis after ``IDLE_S`` seconds without events, and one more after its
results were reported (nothing changes then, so it stops).  The thread-job wrapper is put in
place here as soon as ``twisted.internet.threads`` is imported (it usually is not when the
runtime installs, and importing it ourselves would change the program's modules).
"""

from __future__ import annotations

from . import clock, jobs
from .registry import Registry
from .why import idle_pass

IDLE_S = 1.0


class IdleWatch:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.active_at = clock.now()
        self.done = False

    def after_drain(self, had_events: bool) -> None:
        reg = self.registry
        if reg.undo_threads is None:
            reg.undo_threads = jobs.patch_threads(reg.note_thread_job)
        now = clock.now()
        if had_events:
            self.active_at = now
            self.done = False
        elif not self.done and now - self.active_at >= IDLE_S and reg.entries:
            self.done = True
            idle_pass(reg)
