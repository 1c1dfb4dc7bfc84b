"""A real loopback consumer for the socket transport, as the extension runs one: it checks the
auth line's token, closes connections that get it wrong, and keeps every batch it receives.
It can also walk away mid-stream and come back on the same address, to prove reconnection."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional


@dataclass
class Connection:
    """One accepted connection: its auth line, whether we refused it, what it sent."""

    auth: Optional[dict[str, Any]] = None
    refused: bool = False
    batches: list[dict[str, Any]] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [event for batch in self.batches for event in batch["events"]]


class Consumer:
    """Listen on ``tcp`` (127.0.0.1, a free port) or ``unix`` (a temporary path).

    ``drop_after``: close the first accepted connection once it has sent that many events
    (mid-stream, whatever the batching), stop listening for ``away_s`` seconds, then listen
    again on the same address.  ``stall_s``: after the auth line, read nothing for that long."""

    def __init__(
        self,
        token: str,
        kind: str = "tcp",
        drop_after: Optional[int] = None,
        away_s: float = 0.0,
        stall_s: float = 0.0,
    ) -> None:
        self.token = token
        self.kind = kind
        self.drop_after = drop_after
        self.away_s = away_s
        self.stall_s = stall_s  # a slow consumer: read nothing for this long after auth
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._directory = tempfile.mkdtemp(prefix="dg-sock-") if kind == "unix" else None
        self._listener = self._listen(None)
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _listen(self, address: Any) -> socket.socket:
        if self.kind == "unix":
            path = address or os.path.join(self._directory or "", "consumer.sock")
            if os.path.exists(path):
                os.unlink(path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(address or ("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.2)
        return listener

    @property
    def address(self) -> str:
        """The value for DEFERRED_GRAPH_SOCKET."""
        name = self._listener.getsockname()
        return "unix:%s" % name if self.kind == "unix" else "tcp:%s:%d" % name

    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            connection = Connection()
            with self._lock:
                self.connections.append(connection)
                first = len(self.connections) == 1
            limit = self.drop_after if first else None
            self._serve(sock, connection, limit)
            if limit is not None and len(connection.events()) >= limit:
                self._go_away()

    def _go_away(self) -> None:
        address = self._listener.getsockname()
        self._listener.close()
        time.sleep(self.away_s)
        self._listener = self._listen(address)

    def _serve(self, sock: socket.socket, connection: Connection, limit: Optional[int]) -> None:
        """Read in this thread (one client at a time is all these tests need)."""
        with sock, sock.makefile("rb") as stream:
            connection.auth = json.loads(stream.readline() or b"null")
            if not connection.auth or connection.auth.get("token") != self.token:
                connection.refused = True
                return
            time.sleep(self.stall_s)
            for line in stream:
                connection.batches.append(json.loads(line))
                if limit is not None and len(connection.events()) >= limit:
                    return

    def accepted(self) -> list[Connection]:
        with self._lock:
            return [c for c in self.connections if not c.refused]

    def close(self) -> None:
        self._stopped = True
        self._thread.join(5)
        self._listener.close()


# A program that makes (and fires every other) Deferred for argv[1] seconds, then marks "end".
BUSY_PROGRAM = """
import json, sys, time
from twisted.internet import defer
import deferred_graph

deferred_graph.install()
keep = []
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    d = defer.Deferred()
    keep.append(d)
    if len(keep) % 2:
        d.callback(len(keep))
    time.sleep(0.001)
deferred_graph.mark("end")
print(json.dumps([deferred_graph.id_of(d) for d in keep]))
"""


def record_lossy(path: Path, python: str = sys.executable, seconds: float = 2.5) -> None:
    """Write to ``path``, as a recording, what a consumer that hung up mid-stream received
    (events lost while it was away, then ``dropped`` and a resync ``snapshot``): the real
    runtime's lossy stream, for the model's tests."""
    from deferred_graph import wire
    from deferred_graph.recording import make_header
    from procs import check, run_python, runtime_env, write_program

    token = secrets.token_hex(32)
    consumer = Consumer(token, drop_after=100, away_s=0.8)
    try:
        program = write_program(path.parent, "busy.py", BUSY_PROGRAM)
        settings = {
            wire.ENV_SOCKET: consumer.address,
            wire.ENV_TOKEN: token,
            wire.ENV_BUFFER: "200",
        }
        check(run_python([program, seconds], runtime_env(settings), python=python))
    finally:
        consumer.close()
    lines = [make_header(0, [str(program)])]
    lines += [batch for connection in consumer.accepted() for batch in connection.batches]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
