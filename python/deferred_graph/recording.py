"""Recording files: JSON Lines with a versioned header, written by the runtime, read by tools.

Line 1 is a :class:`deferred_graph.wire.RecordingHeader`; every further line is one
:class:`deferred_graph.wire.Batch`, exactly as the live transports send it.  Each batch is
written with a single unbuffered ``os.write`` so a crash leaves at most one partial last line and
a forked child never re-writes buffered parent data.  A forked child records into its own file
(``NAME.<pid>.EXT``), since two processes appending to one file would interleave.

:func:`read_recording` is the strict reader used by tests and tools: every problem is a
:class:`RecordingError` naming the line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from . import clock, wire
from .outbox import Outgoing

REOPEN_DELAY_S = 1.0


def make_header(pid: int, argv: list[str]) -> wire.RecordingHeader:
    """The first line of a recording written by process ``pid``."""
    return {
        "format": wire.RECORDING_FORMAT,
        "formatVersion": wire.RECORDING_FORMAT_VERSION,
        "protocolVersion": wire.PROTOCOL_VERSION,
        "pid": pid,
        "startedAt": clock.wire_now(),
        "argv": [str(arg) for arg in argv],
    }


def child_recording_path(path: str, pid: int) -> str:
    """``trace.jsonl`` → ``trace.<pid>.jsonl``: where a forked child records."""
    root, ext = os.path.splitext(path)
    return "%s.%d%s" % (root, pid, ext)


class RecordingTransport:
    """Appends batches to a JSON Lines file; always accepts (a failed write is counted lost)."""

    name = "record"

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: Optional[int] = None
        self._lost = 0
        self._retry_at = 0.0

    def listening(self) -> bool:
        return True

    def poll(self) -> Any:
        if self._fd is None and time.monotonic() >= self._retry_at:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
            except OSError:
                self._retry_at = time.monotonic() + REOPEN_DELAY_S
                return None
            header = make_header(os.getpid(), list(getattr(sys, "argv", [])))
            self._fd = fd
            if not self._write(json.dumps(header, separators=(",", ":")).encode("ascii") + b"\n"):
                self.close()
                return None
        return self.path if self._fd is not None else None

    def _write(self, data: bytes) -> bool:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]  # type: ignore[arg-type]
        except OSError:
            return False
        return True

    def send(self, out: Outgoing) -> bool:
        if self._fd is None:
            return False
        if not self._write(out.line + b"\n"):
            self._lost += out.count
        return True

    def take_lost(self) -> int:
        lost, self._lost = self._lost, 0
        return lost

    def wait_sent(self, timeout: float) -> None:
        """Writes are unbuffered: once ``send`` returned, the kernel has the line."""

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd = None

    def after_fork(self) -> None:
        self.close()
        self.path = child_recording_path(self.path, os.getpid())
        self._lost = 0
        self._retry_at = 0.0


def write_header_only(path: str) -> None:
    """The recording of a run that never installed the runtime (its program never imported
    Twisted): a valid file with no batch, so tools reading ``path`` find what they were promised.
    Used by the CLI, and by the bootstrap in the process the CLI started."""
    transport = RecordingTransport(path)
    transport.poll()
    transport.close()


class RecordingError(ValueError):
    """A recording file is not what it should be; ``line`` is 1-based."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__("%s:%d: %s" % (path, line, message))
        self.path = path
        self.line = line


@dataclass
class Recording:
    """A recording read back: its header and its batches, in file order."""

    header: wire.RecordingHeader
    batches: list[wire.Batch] = field(default_factory=list)

    def events(self) -> Iterator[wire.Event]:
        """Every event of every batch, in file order."""
        for batch in self.batches:
            yield from batch["events"]


def _parse_line(path: str, number: int, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise RecordingError(path, number, "not valid JSON (%s)" % error) from None


def _check_header(path: str, header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != wire.RECORDING_FORMAT:
        raise RecordingError(
            path,
            1,
            "not a Deferred Graph recording (header format is not %r)" % wire.RECORDING_FORMAT,
        )
    if header.get("formatVersion") != wire.RECORDING_FORMAT_VERSION:
        raise RecordingError(
            path,
            1,
            "unsupported recording formatVersion %r (this reader: %d)"
            % (header.get("formatVersion"), wire.RECORDING_FORMAT_VERSION),
        )
    major = str(header.get("protocolVersion", "")).split(".")[0]
    if major != wire.PROTOCOL_VERSION.split(".")[0]:
        raise RecordingError(
            path,
            1,
            "protocol version %r is not compatible with %s"
            % (header.get("protocolVersion"), wire.PROTOCOL_VERSION),
        )


def _check_batch(path: str, number: int, batch: Any) -> None:
    if not isinstance(batch, dict):
        raise RecordingError(path, number, "a batch must be a JSON object")
    events = batch.get("events")
    if not isinstance(events, list):
        raise RecordingError(path, number, "batch has no 'events' list")
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("kind"), str):
            raise RecordingError(path, number, "event %d has no 'kind'" % index)
        if not isinstance(event.get("seq"), int):
            raise RecordingError(
                path, number, "event %d (%s) has no integer 'seq'" % (index, event["kind"])
            )


def read_recording(path: str) -> Recording:
    """Read and validate a whole recording; raises :class:`RecordingError` with the line."""
    with open(path, encoding="utf-8", newline="\n") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    if not lines:
        raise RecordingError(path, 1, "empty file: no header line")
    header = _parse_line(path, 1, lines[0])
    _check_header(path, header)
    recording = Recording(header)
    for number, text in enumerate(lines[1:], start=2):
        if not text.strip():
            raise RecordingError(path, number, "empty line")
        batch = _parse_line(path, number, text)
        _check_batch(path, number, batch)
        recording.batches.append(batch)
    return recording
