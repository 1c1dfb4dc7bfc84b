"""What leaves the process and how much of it may wait: batches, transports, bounded outboxes.

The vocabulary shared by the pump (``sender.py``) and the transports (``transports.py``,
``dap.py``, ``recording.py``), below all of them so none imports another:

* :class:`Outgoing` — one batch, serialised once (the dict for DAP, the JSON line for the rest);
* :class:`Batcher` — numbers batches and cuts a drain's events into batches that fit;
* :class:`Transport` — the few questions a channel asks a transport: is anyone listening
  (``listening``), which connection is current (``poll`` returns a token that changes on
  reconnect, or None), will it take this batch now (``send`` returns False for back-pressure),
  how many events were lost in flight (``take_lost``).  None of them blocks for long or raises;
* :class:`Channel` — a transport with its bounded outbox (at most ``buffer`` events): when the
  consumer is slow or gone, new batches are dropped and counted, and once it accepts again it
  receives a ``dropped`` event and a resync ``snapshot``.  A new connection is greeted with
  ``hello`` before the backlog.

Every event, ``dropped`` included, is built by the emitter, so all share one ``seq`` and one clock.
"""

from __future__ import annotations

import json
import os
from collections import deque
from typing import Any, Callable, Optional, Protocol

from . import wire

MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 256 * 1024


class Outgoing:
    """One batch ready to send: the dict (for DAP) and its compact JSON line (socket, file)."""

    __slots__ = ("body", "line", "count")

    def __init__(self, body: wire.Batch, line: bytes, count: int) -> None:
        self.body = body
        self.line = line
        self.count = count


def encode(value: Any) -> bytes:
    """Compact JSON as the wire carries it.

    ensure_ascii keeps lone surrogates from odd reprs encodable; allow_nan=False because
    JavaScript's JSON.parse rejects NaN."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")


class Transport(Protocol):
    """What a channel needs from a transport (see the module docstring)."""

    @property
    def name(self) -> str: ...

    def listening(self) -> bool: ...

    def poll(self) -> Any: ...

    def send(self, out: Outgoing) -> bool: ...

    def take_lost(self) -> int: ...

    def wait_sent(self, timeout: float) -> None: ...

    def close(self) -> None: ...

    def after_fork(self) -> None: ...


class EmitterLike(Protocol):
    """What the pump and its channels need from :mod:`deferred_graph.emitter` (thread-safe)."""

    def drain(self) -> list[Any]: ...

    def marker(self, name: str) -> list[Any]: ...

    def snapshot_event(self, reason: str, frame_names: Optional[dict[str, str]] = None) -> Any: ...

    def hello_event(self, transport: str) -> Any: ...

    def dropped_event(self, count: int, total: int) -> Any: ...


class Batcher:
    """Numbers this process's batches and cuts events into batches a consumer accepts."""

    def __init__(self, on_error: Callable[[str], None]) -> None:
        self.on_error = on_error
        self.count = 0

    def control_batch(self, events: list[Any]) -> Outgoing:
        """A batch the pump itself composes (hello, dropped, snapshot): never split."""
        self.count += 1
        body = wire.make_batch(os.getpid(), self.count, events)
        return Outgoing(body, encode(body), len(events))

    def make_batches(self, events: list[Any]) -> tuple[list[Outgoing], int]:
        """The batches of one drain, and how many events were left out (not serialisable)."""
        result: list[Outgoing] = []
        lost = 0
        for start in range(0, len(events), MAX_BATCH_EVENTS):
            lost += self._split_into(events[start : start + MAX_BATCH_EVENTS], result)
        return result, lost

    def _split_into(self, events: list[Any], result: list[Outgoing]) -> int:
        """Serialise once; halve a batch whose line is too long, and leave out an event that
        cannot be serialised (reported, and returned as lost) instead of losing all."""
        number = self.count + 1
        body = wire.make_batch(os.getpid(), number, events)
        try:
            line = encode(body)
        except (TypeError, ValueError):
            if len(events) == 1:
                self.on_error(("event could not be serialised: %r" % (events[0],))[:300])
                return 1
            line = b""
        if line and (len(line) <= MAX_BATCH_BYTES or len(events) == 1):
            self.count = number
            result.append(Outgoing(body, line, len(events)))
            return 0
        middle = len(events) // 2
        return self._split_into(events[:middle], result) + self._split_into(events[middle:], result)


class Channel:
    """A transport plus its bounded outbox and its drop accounting."""

    def __init__(self, transport: Transport, buffer: int) -> None:
        self.transport = transport
        self.buffer = buffer
        self.outbox: deque[Outgoing] = deque()
        self.queued = 0
        self.dropped = 0  # since the last `dropped` event
        self.dropped_total = 0
        self.connection: Any = None  # token of the current connection (None: not connected)
        self.greeted: Any = None  # connection token that got its hello
        self.pending_snapshot: Optional[str] = None  # reason of a snapshot still owed
        self.missed = False  # a consumer of this channel may lack events: greet with a snapshot

    def lose(self, count: int) -> None:
        if count > 0:
            self.dropped += count
            self.dropped_total += count
            self.missed = True

    def offer(self, batches: list[Outgoing]) -> None:
        """Hand the batches of one drain to the transport, in order, while it takes them; queue
        the rest; from the first that does not fit, drop and count.  The bound is on what
        waits: a recording, which always takes a batch, never drops however large a drain."""
        if not self.transport.listening():
            self.missed = self.missed or bool(batches)  # auto mode, no consumer anywhere: discard
            return
        ready = self.connection is not None and self.connection == self.greeted
        full = False
        for out in batches:
            if ready and not full and not self.outbox and self.transport.send(out):
                continue
            if full or self.queued + out.count > self.buffer:
                full = True
                self.lose(out.count)
            else:
                self.outbox.append(out)
                self.queued += out.count

    def connect(self, emitter: EmitterLike, batcher: Batcher) -> None:
        """(Re)connect if needed and greet a new connection with ``hello`` before any batch."""
        transport = self.transport
        self.connection = transport.poll()
        self.lose(transport.take_lost())
        if self.connection is None or self.connection == self.greeted:
            return
        if transport.send(batcher.control_batch([emitter.hello_event(transport.name)])):
            # The first connection of a channel that has queued everything since start gets the
            # backlog alone; any other gets the backlog and then the full state.
            if self.greeted is not None or self.missed:
                self.pending_snapshot = "connect"
            self.greeted = self.connection
            self.missed = True  # from now on a reconnect may have lost what was in flight

    def deliver(self, emitter: EmitterLike, batcher: Batcher) -> None:
        """Send the backlog, then what is owed: a ``dropped`` count and a resync snapshot."""
        transport = self.transport
        if self.connection is None or self.connection != self.greeted:
            return
        while self.outbox:
            if not transport.send(self.outbox[0]):
                break
            self.queued -= self.outbox.popleft().count
        self.lose(transport.take_lost())
        if self.outbox or not (self.dropped or self.pending_snapshot):
            return
        events: list[Any] = []
        if self.dropped:
            events.append(emitter.dropped_event(self.dropped, self.dropped_total))
        events.append(emitter.snapshot_event(self.pending_snapshot or "resync"))
        if transport.send(batcher.control_batch(events)):
            self.dropped = 0
            self.pending_snapshot = None

    def forget_after_fork(self) -> None:
        """In a forked child the parent still delivers what was queued; start afresh."""
        self.outbox.clear()
        self.queued = self.dropped = self.dropped_total = 0
        self.connection = self.greeted = None
        self.pending_snapshot = None
        self.missed = True  # the child's consumer never saw the parent's history
        self.transport.after_fork()


__all__ = [
    "MAX_BATCH_EVENTS",
    "MAX_BATCH_BYTES",
    "Outgoing",
    "encode",
    "Transport",
    "EmitterLike",
    "Batcher",
    "Channel",
]
