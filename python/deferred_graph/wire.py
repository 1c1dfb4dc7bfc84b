"""The wire schema shared by the runtime and the VS Code extension: only constants and shapes.

Everything the runtime sends — custom DAP events, socket lines, recording lines, and the JSON
returned by a snapshot at a debugger stop — is a *batch*: one JSON object holding a list of
*events*.  The TypeScript side mirrors this module in ``src/protocol/protocol.ts``; a test fails
when the two drift, so change both together.

Conventions
-----------
* JSON keys are camelCase.  Times (``t``, ``createdAt``, ``firedAt``) are milliseconds since the
  Unix epoch as floats.
* ``PROTOCOL_VERSION`` is ``"MAJOR.MINOR"``.  A consumer rejects a different major version and
  ignores unknown keys and unknown event kinds of a newer minor version.
* ``seq`` is a process-wide counter assigned to every event as it is emitted, so a consumer can
  order events that reach it in batches out of order.  A ``snapshot`` event with sequence ``S`` is
  authoritative: any Deferred the consumer last heard of before ``S`` and which is absent from the
  snapshot is gone, and any event about a Deferred with ``seq < S`` is stale once the snapshot has
  been applied.
* A Deferred's ``id`` is a serial integer, unique within one process (``pid``) and never reused.

This module must not import Twisted: the extension's drift test and the CLI load it anywhere.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any, Literal, Optional, TypedDict, Union

PROTOCOL_VERSION = "1.3"
"""Major.minor version of the event schema."""

RECORDING_FORMAT = "deferred-graph-recording"
"""The ``format`` value of a recording file's header line."""

RECORDING_FORMAT_VERSION = 1
"""Version of the recording container (header line + one batch per line)."""

DAP_EVENT_NAME = "deferredGraph"
"""Name of the custom DAP event whose body is a :class:`Batch`."""

PACKED_PREFIX = "zlib64:"
"""Starts a packed Batch's text: then the base64 of its zlib-deflated JSON (see :func:`pack`).
Used by the DAP route (large event bodies, the snapshot ``evaluate`` at a stop); socket and
recording lines are plain JSON."""

SNAPSHOT_FUNCTION = "debug_snapshot_packed"
"""The ``deferred_graph`` function the extension's DAP ``evaluate`` calls at every stop, as
``SNAPSHOT_FUNCTION(locals(), globals())``: it returns :func:`pack` of a Batch with one
``snapshot`` event whose ``frameNames`` name the frame's Deferreds.  Part of the contract
because the extension calls it by this name in a debuggee that may run another version."""

SOCKET_AUTH_KIND = "auth"
"""``kind`` of the first line a socket client sends: ``{"kind": "auth", "token": HEX, "pid": N}``."""

# Environment variables the bootstrap and the transports read.  The extension sets them.
ENV_ENABLE = "DEFERRED_GRAPH_ENABLE"  # "1": sitecustomize installs the runtime (lazily)
ENV_SOCKET = "DEFERRED_GRAPH_SOCKET"  # "tcp:127.0.0.1:PORT" or "unix:/path/to/socket"
ENV_TOKEN = "DEFERRED_GRAPH_TOKEN"  # 64 hex characters (32 random bytes)
ENV_RECORD = "DEFERRED_GRAPH_RECORD"  # path of a JSON Lines recording to write
ENV_TRANSPORT = "DEFERRED_GRAPH_TRANSPORT"  # "auto" (default), "dap", "socket", "none"
ENV_FLUSH_MS = "DEFERRED_GRAPH_FLUSH_MS"  # pump period, default 50
ENV_BUFFER = "DEFERRED_GRAPH_BUFFER"  # most events queued for a transport, default 20000
ENV_REPR_LIMIT = "DEFERRED_GRAPH_REPR_LIMIT"  # most characters of a result repr, default 300

EVENT_KINDS = (
    "hello",
    "created",
    "changed",
    "collected",
    "marker",
    "dropped",
    "snapshot",
    "counts",
)

BLOCKED_KINDS = (
    "deferred",
    "list",
    "generator",
    "timer",
    "thread",
    "process",
    "connection",
    "lock",
    "queue",
    "orphan",
    "unknown",
)
"""Every ``BlockedBy.kind`` (since 1.3): what will fire a pending Deferred."""


class Location(TypedDict):
    """A place in source: where a Deferred was created, or where a callable is defined."""

    file: str
    line: int
    function: str


class CallableInfo(TypedDict):
    """A callback or errback: its qualified name and, when it has Python source, where."""

    name: str
    file: Optional[str]
    line: Optional[int]


class CallbackPair(TypedDict):
    """One pending ``(callback, errback)`` pair, as ``len(d.callbacks)`` counts them.

    ``continues`` is the id of the waiting Deferred when this pair is Twisted's ``_CONTINUE``
    entry ("continues Deferred N"); then ``callback`` and ``errback`` are null.
    """

    callback: Optional[CallableInfo]
    errback: Optional[CallableInfo]
    continues: Optional[int]


class ValueResult(TypedDict):
    kind: Literal["value"]
    typeName: str
    repr: str  # bounded; never raises (a failing repr becomes "<repr failed: ...>")
    truncated: bool


class FailureResult(TypedDict):
    """A Failure: ``frames`` (since 1.3) are its traceback, bounded, innermost last;
    ``raisedBy`` is the callback that raised it (the first frame after Twisted's own), or null
    when it was handed to ``errback()`` rather than raised in a callback."""

    kind: Literal["failure"]
    excType: str  # qualified exception class name
    message: str  # bounded str(exception)
    truncated: bool
    frames: list[Location]
    raisedBy: Optional[Location]


class DeferredResult(TypedDict):
    kind: Literal["deferred"]
    id: int  # the Deferred that is this one's result


Result = Union[ValueResult, FailureResult, DeferredResult]


class CoroutineInfo(TypedDict):
    """The generator (inlineCallbacks) or coroutine (ensureDeferred/fromCoroutine) driving a
    Deferred, and what it waits on now."""

    kind: Literal["inlineCallbacks", "coroutine"]
    name: str  # qualified function name
    file: Optional[str]
    line: Optional[int]  # line where it is suspended now, else its definition line
    finished: bool
    waitingOn: Optional[int]  # id of the Deferred it awaits now


class TimerInfo(TypedDict):
    """The DelayedCall behind a deferLater Deferred (reachable until it fires on 24.7+)."""

    callAt: float  # reactor time (seconds) the call is due
    delay: float  # seconds from now when the state was read
    function: str
    active: bool


class BlockedBy(TypedDict):
    """What a pending Deferred waits for (since 1.3).  ``kind`` is one of ``BLOCKED_KINDS``;
    ``text`` says it in one line; ``ids`` are the Deferreds it names: for ``blockedBy`` the
    ones awaited (a list's unfired members...), for ``root`` the path followed, this Deferred
    first and the one the root thing will fire (or the orphan) last."""

    kind: str
    text: str
    ids: list[int]
    location: Optional[Location]


class DeferredState(TypedDict):
    """Everything known about one Deferred at the moment the event was emitted."""

    id: int
    type: str  # class name: "Deferred", "DeferredList", "_ConcurrencyPrimitive"...
    label: Optional[str]  # set by deferred_graph.label()
    called: bool
    hasResult: bool  # hasattr(d, "result")
    result: Optional[Result]  # null iff hasResult is false
    callbacks: list[CallbackPair]
    paused: int
    waitingOn: Optional[int]  # id of d._chainedTo
    cancelled: bool
    created: Location  # first frame outside Twisted's defer module
    createdAt: float
    firedAt: Optional[float]  # when `called` first became true
    members: Optional[list[int]]  # DeferredList members, in order
    coroutine: Optional[CoroutineInfo]
    timer: Optional[TimerInfo]
    # Since 1.3: why it is pending (null once it has a result and is not paused), the root of
    # that wait, where callback()/errback() was called (the first frame outside Twisted's defer
    # module) and, after an AlreadyCalledError, the second caller; running: its callbacks run now.
    blockedBy: Optional[BlockedBy]
    root: Optional[BlockedBy]
    firedBy: Optional[Location]
    firedAgainBy: Optional[Location]
    running: bool


class HelloEvent(TypedDict):
    kind: Literal["hello"]
    seq: int
    t: float
    protocolVersion: str
    pid: int
    python: str
    twisted: Optional[str]
    argv: list[str]
    transport: str  # "dap", "socket", "record", "none"


class CreatedEvent(TypedDict):
    kind: Literal["created"]
    seq: int
    t: float
    deferred: DeferredState


class ChangedEvent(TypedDict):
    kind: Literal["changed"]
    seq: int
    t: float
    deferred: DeferredState


class CollectedEvent(TypedDict):
    """The Deferred was garbage-collected.  ``unhandledFailure`` is set when it still held a
    Failure nobody handled, i.e. when Twisted logs "Unhandled error in Deferred".

    ``firedAt`` (added in 1.1) is when it fired, or null if it never did: a Deferred can fire and
    die between two drains, and then this is all that is known of its last moments — without it
    the consumer would keep showing the last state it read, "pending".

    ``final`` (added in 1.3) is the state Twisted's attributes held when it died, when it
    changed after the last state reported for it (null: that state stands).  ``finalUnknown``
    (1.3) is true when it changed since but the runtime could not read how: the consumer says
    "state at death unknown" rather than show the old state."""

    kind: Literal["collected"]
    seq: int
    t: float
    id: int
    unhandledFailure: Optional[FailureResult]
    firedAt: Optional[float]
    final: Optional[DeferredState]
    finalUnknown: bool


class CountsEvent(TypedDict):
    """(Added in 1.3.)  ``ephemeral``: Deferreds created and collected unseen since start, sent
    whenever it grows, so the stream (a recording) carries it and not only snapshots."""

    kind: Literal["counts"]
    seq: int
    t: float
    ephemeral: int


class MarkerEvent(TypedDict):
    kind: Literal["marker"]
    seq: int
    t: float
    name: str


class DroppedEvent(TypedDict):
    """``count`` events were lost since the last report (``total`` since start); a ``snapshot``
    follows to resync."""

    kind: Literal["dropped"]
    seq: int
    t: float
    count: int
    total: int


class SnapshotEvent(TypedDict):
    """The full current state.  ``frameNames`` maps Deferred ids (as strings) to the variable
    names that refer to them in a debugger frame, when the snapshot was taken for one."""

    kind: Literal["snapshot"]
    seq: int
    t: float
    reason: str  # "request", "resync", "stop", "connect"
    deferreds: list[DeferredState]
    ephemeral: int  # Deferreds created and collected unseen since start (not reported one by one)
    frameNames: Optional[dict[str, str]]


Event = Union[
    HelloEvent,
    CreatedEvent,
    ChangedEvent,
    CollectedEvent,
    MarkerEvent,
    DroppedEvent,
    SnapshotEvent,
    CountsEvent,
]


class Batch(TypedDict):
    """The unit of transport: a DAP event body, a socket line, a recording line."""

    protocolVersion: str
    pid: int
    batch: int  # per-process batch counter (snapshots taken on request use 0)
    events: list[Event]


class PackedBatch(TypedDict):
    """A DAP event body carrying a Batch packed (since 1.2): ``packed`` is :func:`pack` of the
    Batch's JSON; the envelope fields repeat the Batch's own. The runtime packs large batches
    only; receivers accept both forms."""

    protocolVersion: str
    pid: int
    batch: int
    packed: str


class RecordingHeader(TypedDict):
    """First line of a recording file."""

    format: str  # RECORDING_FORMAT
    formatVersion: int  # RECORDING_FORMAT_VERSION
    protocolVersion: str
    pid: int
    startedAt: float
    argv: list[str]


def pack(json_text: bytes) -> str:
    """``PACKED_PREFIX`` + base64 of the zlib-deflated (level 1: fast) JSON text."""
    return PACKED_PREFIX + base64.b64encode(zlib.compress(json_text, 1)).decode("ascii")


def unpack(text: str) -> Any:
    """The JSON value :func:`pack` packed (raises ValueError when ``text`` is not packed JSON)."""
    if not text.startswith(PACKED_PREFIX):
        raise ValueError("not packed: %r" % text[:40])
    try:
        return json.loads(
            zlib.decompress(base64.b64decode(text[len(PACKED_PREFIX) :], validate=True))
        )
    except (zlib.error, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("packed text does not inflate to JSON: %s" % exc) from None


def make_batch(pid: int, batch: int, events: list[Any]) -> Batch:
    """Wrap events in a batch envelope."""
    return {"protocolVersion": PROTOCOL_VERSION, "pid": pid, "batch": batch, "events": events}
