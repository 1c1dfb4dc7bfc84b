"""The runtime's one clock, so every time it reports compares with every other.

Two forms of the same ``time.time`` reading: the hot path (the registration inlined in
``Deferred.__init__``, the ``called`` hook) stores plain seconds, since a conversion there would
run for every Deferred; the wire carries milliseconds since the epoch (``wire.py``), converted
off the hot path when an event is built.
"""

from __future__ import annotations

import time

now = time.time
"""Seconds since the epoch: what the hooks and the registry store (``born_at``, fire times)."""


def to_wire(seconds: float) -> float:
    """A time from :data:`now` as the wire carries it: milliseconds since the epoch."""
    return seconds * 1000.0


def wire_now() -> float:
    """The current time as the wire carries it (``t``, ``startedAt``)."""
    return now() * 1000.0
