"""The socket route: JSON Lines over a loopback socket to the extension's server.

``tcp:HOST:PORT`` or ``unix:PATH``; the first line is ``{"kind":"auth","token":HEX,"pid":N}``,
then one batch per line.  Non-blocking writes into a bounded pending buffer; a closed or refused
connection is retried quietly with exponential backoff.
"""

from __future__ import annotations

import json
import os
import select
import socket
import time
from collections import deque
from typing import Any, Optional

from . import wire
from .outbox import Outgoing

SOCKET_PENDING_LIMIT = 4 * 1024 * 1024  # bytes accepted but not yet written to the socket
CONNECT_TIMEOUT_S = 0.25
BACKOFF_MIN_S = 0.1
BACKOFF_MAX_S = 2.0
STABLE_CONNECTION_S = 2.0  # a connection that lived this long resets the backoff


def parse_socket_address(spec: str) -> tuple[int, Any]:
    """``tcp:HOST:PORT`` → (AF_INET/AF_INET6, (host, port)); ``unix:PATH`` → (AF_UNIX, path)."""
    kind, _, rest = spec.partition(":")
    if kind == "unix" and rest:
        return socket.AF_UNIX, rest
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        host = host.strip("[]")
        if host and port.isdigit():
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return family, (host, int(port))
    raise ValueError("bad %s %r: expected tcp:HOST:PORT or unix:PATH" % (wire.ENV_SOCKET, spec))


def valid_token(token: Optional[str]) -> bool:
    """32 random bytes as 64 hex characters, as the extension generates them."""
    if not token or len(token) != 64:
        return False
    try:
        bytes.fromhex(token)
    except ValueError:
        return False
    return True


class SocketTransport:
    """JSON Lines over a loopback socket, authenticated by the first line."""

    name = "socket"

    def __init__(self, spec: str, token: str) -> None:
        self._family, self._address = parse_socket_address(spec)
        self._token = token
        self._sock: Optional[socket.socket] = None
        self._pending: deque[list[Any]] = deque()  # [bytes, events, offset]
        self._pending_bytes = 0
        self._lost = 0
        self._generation = 0
        self._connected_at = 0.0
        self._next_attempt = 0.0
        self._backoff = BACKOFF_MIN_S

    def listening(self) -> bool:
        return True

    def poll(self) -> Any:
        if self._sock is not None and self._peer_closed():
            self._disconnect()
        if self._sock is None and time.monotonic() >= self._next_attempt:
            self._connect()
        if self._sock is None:
            return None
        self._write_pending()
        return self._generation if self._sock is not None else None

    def _connect(self) -> None:
        sock = None
        try:
            sock = socket.socket(self._family, socket.SOCK_STREAM)
            sock.settimeout(CONNECT_TIMEOUT_S)
            sock.connect(self._address)
            sock.setblocking(False)
        except OSError:
            if sock is not None:
                sock.close()
            self._schedule_retry()
            return
        self._sock = sock
        self._generation += 1
        self._connected_at = time.monotonic()
        auth = {"kind": wire.SOCKET_AUTH_KIND, "token": self._token, "pid": os.getpid()}
        self._pending.appendleft([json.dumps(auth).encode("ascii") + b"\n", 0, 0])
        self._pending_bytes += len(self._pending[0][0])

    def _schedule_retry(self) -> None:
        self._next_attempt = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)

    def _peer_closed(self) -> bool:
        """The server hung up (a wrong token, or the consumer went away)."""
        try:
            data = self._sock.recv(4096, socket.MSG_DONTWAIT)  # type: ignore[union-attr]
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        return data == b""  # anything the server says is ignored; only EOF matters

    def _drop_socket(self) -> None:
        """Close the socket (if any) and forget what was queued for it."""
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._pending.clear()
        self._pending_bytes = 0

    def _disconnect(self) -> None:
        """Drop the connection; what was accepted but not written counts as lost."""
        self._lost += sum(item[1] for item in self._pending)
        self._drop_socket()
        if time.monotonic() - self._connected_at >= STABLE_CONNECTION_S:
            self._backoff = BACKOFF_MIN_S
        self._schedule_retry()

    def _write_pending(self) -> None:
        flags = getattr(socket, "MSG_NOSIGNAL", 0)
        while self._pending and self._sock is not None:
            item = self._pending[0]
            data, _, offset = item
            try:
                written = self._sock.send(memoryview(data)[offset:], flags)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._disconnect()
                return
            item[2] = offset + written
            self._pending_bytes -= written
            if item[2] >= len(data):
                self._pending.popleft()

    def send(self, out: Outgoing) -> bool:
        if self._sock is None:
            return False
        if self._pending_bytes > SOCKET_PENDING_LIMIT:
            self._write_pending()
            if self._sock is None or self._pending_bytes > SOCKET_PENDING_LIMIT:
                return False
        line = out.line + b"\n"
        self._pending.append([line, out.count, 0])
        self._pending_bytes += len(line)
        self._write_pending()
        return True

    def take_lost(self) -> int:
        lost, self._lost = self._lost, 0
        return lost

    def wait_sent(self, timeout: float) -> None:
        """Let the kernel take what is pending, for at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self._pending and self._sock is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                select.select([], [self._sock], [], remaining)
            except (OSError, ValueError):
                return
            self._write_pending()

    def close(self) -> None:
        self._drop_socket()

    def after_fork(self) -> None:
        """The child must not write into the parent's connection: close only its own copy of
        the descriptor (``close`` never shuts the shared connection down) and reconnect."""
        self.close()
        self._lost = 0
        self._next_attempt = 0.0
        self._backoff = BACKOFF_MIN_S
