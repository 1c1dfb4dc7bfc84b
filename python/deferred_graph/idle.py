"""What the pump does between drains besides draining: the idle analysis.

A program that sits idle with pending Deferreds (a hang, the question "why" is asked about)
gets one ``why`` analysis after ``IDLE_S`` seconds without events, and one more after its
results were reported (nothing changes then, so it stops).
"""

from __future__ import annotations

from . import clock
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
        watch = reg.thread_watch
        if watch is not None and watch.pending:
            watch.retry()
        now = clock.now()
        if had_events:
            self.active_at = now
            self.done = False
        elif not self.done and now - self.active_at >= IDLE_S and reg.entries:
            self.done = True
            idle_pass(reg)
