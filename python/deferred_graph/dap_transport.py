"""The DAP route: custom ``deferredGraph`` events through debugpy's pydevd, to the editor.

pydevd has no public API for custom events, but its writer forwards any JSON message to the
adapter, which relays unknown events to the client (verified on debugpy 1.6.3 and 1.8.22):
``writer.add_command(NetCommand(CMD_WRITE_TO_CONSOLE, 0, {"type": "event", ...}, is_json=True))``.
pydevd is looked up in ``sys.modules`` on every poll — never imported, since the bootstrap runs
before debugpy loads it and importing it ourselves would start a debugger's worth of machinery.
"""

from __future__ import annotations

import socket
import sys
import time
from typing import Any

from . import wire
from .outbox import Outgoing

DAP_QUEUE_LIMIT = 200  # pydevd writer commands queued before we call it back-pressure
DAP_PACK_MIN_BYTES = 8 * 1024  # larger batches travel packed over DAP (wire.PackedBatch)


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

    def send(self, out: Outgoing) -> bool:
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


def _dap_body(out: Outgoing) -> Any:
    """The batch itself, or packed when large: pydevd JSON-encodes every event again (with
    spaces: 1.7x the compact line), debugpy's adapter decodes and re-encodes it, and the editor
    decodes it — per Deferred created, ~0.5 kB three times over, competing with the stopped
    program's debugger traffic. Packed it is ~1/10 of the line, for ~1 ms of zlib per 100 kB."""
    if len(out.line) < DAP_PACK_MIN_BYTES:
        return out.body
    body = out.body
    return {
        "protocolVersion": body["protocolVersion"],
        "pid": body["pid"],
        "batch": body["batch"],
        "packed": wire.pack(out.line),
    }


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
