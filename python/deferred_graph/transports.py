"""Which live route a process uses: the DAP, the socket, either (``auto``) or none.

Each route is a :class:`deferred_graph.outbox.Transport` in a module of its own
(``dap_transport``, ``socket_transport``; recordings in ``recording``); this module only chooses
among them, from ``DEFERRED_GRAPH_TRANSPORT`` and the socket settings the extension passes.
"""

from __future__ import annotations

from typing import Any, Optional

from . import wire
from .dap_transport import DapTransport
from .debuglog import debug_log
from .outbox import Outgoing, Transport
from .socket_transport import SocketTransport, valid_token


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

    def send(self, out: Outgoing) -> bool:
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


def make_live_transport(
    choice: str, socket_spec: Optional[str], token: Optional[str]
) -> Optional[Transport]:
    """The live transport for ``DEFERRED_GRAPH_TRANSPORT`` (auto|dap|socket|none), or None.

    A socket without a valid token is not used: the server would refuse it anyway."""
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
