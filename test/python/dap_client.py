"""A small, real Debug Adapter Protocol client: drives ``python -m debugpy.adapter`` over stdio
the way VS Code does (Content-Length framed JSON), so tests see exactly the messages an editor
would — including the runtime's ``deferredGraph`` custom events."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Optional

Message = dict[str, Any]


class DapError(AssertionError):
    """A request failed or an expected message did not arrive in time."""


class DapClient:
    """Start the adapter, send requests, and wait for responses and events.

    Every received message is kept in :attr:`received` (in arrival order), so tests can ask
    both "wait until X arrives" and "what had arrived before Y"."""

    def __init__(self, python: str = sys.executable, env: Optional[dict[str, str]] = None) -> None:
        self.process = subprocess.Popen(
            [python, "-m", "debugpy.adapter"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.received: list[Message] = []
        self._seq = itertools.count(1)
        self._condition = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- wire ---------------------------------------------------------------------------

    def _read_loop(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            while True:
                length = None
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length is None:
                    continue
                message = json.loads(stream.read(length).decode("utf-8"))
                with self._condition:
                    self.received.append(message)
                    self._condition.notify_all()
        finally:
            with self._condition:
                self._closed = True
                self._condition.notify_all()

    def send_request(self, command: str, arguments: Optional[dict[str, Any]] = None) -> int:
        """Send a request without waiting; returns its ``seq``."""
        seq = next(self._seq)
        message = {"seq": seq, "type": "request", "command": command, "arguments": arguments or {}}
        body = json.dumps(message).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()
        return seq

    # -- waiting ------------------------------------------------------------------------

    def wait_for(
        self,
        predicate: Callable[[Message], bool],
        timeout: float = 30.0,
        start: int = 0,
        what: str = "message",
    ) -> Message:
        """The first message from index ``start`` on that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._condition:
            index = start
            while True:
                while index < len(self.received):
                    message = self.received[index]
                    index += 1
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise DapError(
                        "no %s within %.0fs; got %s"
                        % (
                            what,
                            timeout,
                            [m.get("event") or m.get("command") for m in self.received],
                        )
                    )
                self._condition.wait(remaining)

    def wait_event(
        self,
        name: str,
        timeout: float = 30.0,
        start: int = 0,
        where: Callable[[Message], bool] = lambda message: True,
    ) -> Message:
        return self.wait_for(
            lambda m: m.get("type") == "event" and m.get("event") == name and where(m),
            timeout,
            start,
            "%r event" % name,
        )

    def response(self, seq: int, timeout: float = 30.0) -> Message:
        """The response to request ``seq``; raises DapError when it failed."""
        message = self.wait_for(
            lambda m: m.get("type") == "response" and m.get("request_seq") == seq,
            timeout,
            0,
            "response to request %d" % seq,
        )
        if not message.get("success"):
            raise DapError("%s failed: %s" % (message.get("command"), message.get("message")))
        return message

    def request(
        self, command: str, arguments: Optional[dict[str, Any]] = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Send a request and return its response body."""
        return self.response(self.send_request(command, arguments), timeout).get("body") or {}

    def events(self, name: str) -> list[Message]:
        """Every event of that name received so far."""
        with self._condition:
            return [m for m in self.received if m.get("type") == "event" and m.get("event") == name]

    def mark(self) -> int:
        """The index the next received message will have (for ``start=``)."""
        with self._condition:
            return len(self.received)

    # -- sessions -----------------------------------------------------------------------

    def launch(
        self,
        program: str,
        env: dict[str, str],
        cwd: str,
        python: str,
        breakpoints: Optional[dict[str, list[int]]] = None,
    ) -> None:
        """initialize → launch → (initialized) → setBreakpoints → configurationDone, as VS Code
        does; returns once the launch has been answered."""
        self.request(
            "initialize",
            {
                "clientID": "deferred-graph-tests",
                "adapterID": "debugpy",
                "pathFormat": "path",
                "linesStartAt1": True,
                "columnsStartAt1": True,
                "supportsRunInTerminalRequest": False,
            },
        )
        launch = self.send_request(
            "launch",
            {
                "name": "test",
                "type": "debugpy",
                "request": "launch",
                "program": program,
                "console": "internalConsole",
                "cwd": cwd,
                "env": env,
                "python": [python],
                "justMyCode": True,
            },
        )
        self.wait_event("initialized")
        for path, lines in (breakpoints or {}).items():
            self.request(
                "setBreakpoints",
                {"source": {"path": path}, "breakpoints": [{"line": line} for line in lines]},
            )
        self.request("configurationDone")
        self.response(launch)

    def close(self) -> None:
        """Disconnect (terminating the debuggee) and stop the adapter."""
        try:
            if self.process.poll() is None and not self._closed:
                self.send_request("disconnect", {"terminateDebuggee": True})
                self.process.wait(10)
        except Exception:
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(10)
