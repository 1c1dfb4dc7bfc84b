"""Live transports: custom DAP events through debugpy's pydevd, or a loopback socket.

Every transport answers the same few questions for :class:`deferred_graph.sender.Channel`:
is anyone listening (``listening``), which connection is current (``poll`` returns a token that
changes on reconnect, or None), will it take this batch now (``send`` returns False for
back-pressure), and how many events were lost in flight (``take_lost``).  None of them blocks for
long or raises.

DAP: pydevd has no public API for custom events, but its writer forwards any JSON message to
the adapter, which relays unknown events to the client (verified on debugpy 1.6.3 and 1.8.22):
``writer.add_command(NetCommand(CMD_WRITE_TO_CONSOLE, 0, {"type": "event", ...}, is_json=True))``.
pydevd is looked up in ``sys.modules`` on every poll — never imported, since the bootstrap runs
before debugpy loads it and importing it ourselves would start a debugger's worth of machinery.

Socket: ``tcp:HOST:PORT`` or ``unix:PATH``; the first line is ``{"kind":"auth","token":HEX,
"pid":N}``, then one batch per line.  Non-blocking writes into a bounded pending buffer; a closed
or refused connection is retried quietly with exponential backoff.
"""

from __future__ import annotations

import json
import os
import select
import socket
import sys
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Deque, List, Optional, Protocol, Tuple

from . import wire

if TYPE_CHECKING:
    from .sender import Outgoing

DAP_QUEUE_LIMIT = 200  # pydevd writer commands queued before we call it back-pressure
DAP_PACK_MIN_BYTES = 8 * 1024  # larger batches travel packed over DAP (wire.PackedBatch)
SOCKET_PENDING_LIMIT = 4 * 1024 * 1024  # bytes accepted but not yet written to the socket
CONNECT_TIMEOUT_S = 0.25
BACKOFF_MIN_S = 0.1
BACKOFF_MAX_S = 2.0
STABLE_CONNECTION_S = 2.0  # a connection that lived this long resets the backoff


class Transport(Protocol):
    """What a channel needs from a transport (see the module docstring)."""

    name: str

    def listening(self) -> bool: ...

    def poll(self) -> Any: ...

    def send(self, out: "Outgoing") -> bool: ...

    def take_lost(self) -> int: ...

    def wait_sent(self, timeout: float) -> None: ...

    def close(self) -> None: ...

    def after_fork(self) -> None: ...


class DapTransport:
    """Custom ``deferredGraph`` DAP events through the running pydevd's writer."""

    name = "dap"

    def __init__(self) -> None:
        self._writer: Any = None
        self._command: Any = None  # (NetCommand class, CMD_WRITE_TO_CONSOLE)

    @staticmethod
    def present() -> bool:
        """pydevd has been loaded into this process (by debugpy)."""
        return "pydevd" in sys.modules

    def listening(self) -> bool:
        return True

    def poll(self) -> Any:
        """The live pydevd writer, or None when there is none (yet, or any more)."""
        writer = None
        try:
            pydevd = sys.modules.get("pydevd")
            net = sys.modules.get("_pydevd_bundle.pydevd_net_command")
            constants = sys.modules.get("_pydevd_bundle.pydevd_comm_constants")
            if pydevd is not None and net is not None and constants is not None:
                debugger = pydevd.get_global_debugger()
                writer = getattr(debugger, "writer", None)
                if writer is not None and getattr(writer, "_kill_received", False):
                    writer = None
                if writer is not None and writer is not self._writer:
                    _disable_nagle(getattr(writer, "sock", None))
                self._command = (net.NetCommand, constants.CMD_WRITE_TO_CONSOLE)
        except Exception:
            writer = None
        self._writer = writer
        return writer

    def send(self, out: "Outgoing") -> bool:
        writer = self._writer
        if writer is None or self._command is None:
            return False
        try:
            queue = getattr(writer, "_cmd_queue", None)
            if queue is not None and queue.qsize() > DAP_QUEUE_LIMIT:
                return False
            net_command, cmd_id = self._command
            message = {"type": "event", "event": wire.DAP_EVENT_NAME, "body": _dap_body(out)}
            writer.add_command(net_command(cmd_id, 0, message, is_json=True))
            return True
        except Exception:
            self._writer = None
            return False

    def take_lost(self) -> int:
        return 0

    def wait_sent(self, timeout: float) -> None:
        """Give pydevd's writer thread up to ``timeout`` to empty its queue (at exit especially,
        so the program's last state reaches the editor)."""
        queue = getattr(self._writer, "_cmd_queue", None)
        deadline = time.monotonic() + timeout
        try:
            while queue is not None and not queue.empty() and time.monotonic() < deadline:
                time.sleep(0.01)
        except Exception:
            pass

    def close(self) -> None:
        self._writer = None

    def after_fork(self) -> None:
        self._writer = None


def _dap_body(out: "Outgoing") -> Any:
    """The batch itself, or packed when large: pydevd JSON-encodes every event again (with
    spaces: 1.7x the compact line), debugpy's adapter decodes and re-encodes it, and the editor
    decodes it — per Deferred created, ~0.5 kB three times over, competing with the stopped
    program's debugger traffic. Packed it is ~1/10 of the line, for ~1 ms of zlib per 100 kB."""
    if len(out.line) < DAP_PACK_MIN_BYTES:
        return out.body
    body = out.body
    return {"protocolVersion": body["protocolVersion"], "pid": body["pid"], "batch": body["batch"],
            "packed": wire.pack(out.line)}


def _disable_nagle(sock: Any) -> None:
    """Sets TCP_NODELAY on pydevd's socket to the adapter.

    pydevd writes each message as two ``sendall`` calls (header, then body) on a socket with
    Nagle's algorithm on, so a small message's body waits for the peer's delayed ACK of its
    header: ~40 ms on Linux for every stackTrace, variables or evaluate answer, and for our
    own small batches (measured on debugpy 1.6.3 and 1.8.22: a trivial evaluate 44 ms, then
    1-10 ms with the option set). Only the latency of the debugger's own connection changes;
    the program's sockets are not touched."""
    try:
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except Exception:
        pass


def parse_socket_address(spec: str) -> Tuple[int, Any]:
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
        self._pending: Deque[List[Any]] = deque()  # [bytes, events, offset]
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

    def send(self, out: "Outgoing") -> bool:
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


class AutoTransport:
    """DAP when debugpy runs this process, else the socket when one is configured.

    pydevd may load after the runtime starts (the bootstrap runs first), so the DAP route is
    looked for on every poll until found; once found it wins for good."""

    def __init__(self, socket_transport: Optional[SocketTransport]) -> None:
        self._dap = DapTransport()
        self._socket = socket_transport
        self._active: Any = socket_transport

    @property
    def name(self) -> str:
        return self._active.name if self._active is not None else "none"

    def listening(self) -> bool:
        return self._socket is not None or DapTransport.present()

    def poll(self) -> Any:
        if DapTransport.present():
            writer = self._dap.poll()
            if writer is not None:
                if self._active is not self._dap and self._socket is not None:
                    self._socket.close()
                self._active = self._dap
                return ("dap", id(writer))
            if self._active is self._dap:
                return None
        if self._socket is None:
            return None
        connection = self._socket.poll()
        return None if connection is None else ("socket", connection)

    def send(self, out: "Outgoing") -> bool:
        return self._active.send(out) if self._active is not None else False

    def take_lost(self) -> int:
        return self._socket.take_lost() if self._socket is not None else 0

    def wait_sent(self, timeout: float) -> None:
        if self._active is not None:
            self._active.wait_sent(timeout)

    def close(self) -> None:
        self._dap.close()
        if self._socket is not None:
            self._socket.close()

    def after_fork(self) -> None:
        self._dap.after_fork()
        if self._socket is not None:
            self._socket.after_fork()
        self._active = self._socket


def make_live_transport(choice: str, socket_spec: Optional[str], token: Optional[str]) -> Optional[Transport]:
    """The live transport for ``DEFERRED_GRAPH_TRANSPORT`` (auto|dap|socket|none), or None.

    A socket without a valid token is not used: the server would refuse it anyway."""
    from .sender import debug_log

    sock: Optional[SocketTransport] = None
    if socket_spec and choice in ("auto", "socket"):
        if not valid_token(token):
            debug_log("socket ignored: %s must be 64 hex characters" % wire.ENV_TOKEN)
        else:
            try:
                sock = SocketTransport(socket_spec, token or "")
            except ValueError as error:
                debug_log(str(error))
    if choice == "dap":
        return DapTransport()
    if choice == "socket":
        return sock
    if choice == "auto":
        return AutoTransport(sock)
    return None
