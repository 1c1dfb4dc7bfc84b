"""Hostile programs and hostile consumers: reprs that raise, recurse or return megabytes,
huge containers, an exception whose str() raises, a consumer that hangs up mid-stream and a
buffer that is far too small.  The debugged program's stdout, stderr and exit status stay byte
for byte what they are without the runtime, and the event stream says what was lost."""

from __future__ import annotations

import secrets
import time

from deferred_graph import wire
from deferred_graph.recording import read_recording
from procs import clean_env, run_python, runtime_env, write_program
from socket_consumer import Consumer

HOSTILE = r"""
import sys, time
from twisted.internet import defer

class RaisingRepr:
    def __repr__(self):
        raise RuntimeError("repr exploded")

class RecursiveRepr:
    def __repr__(self):
        return repr(self)

class HugeRepr:
    def __repr__(self):
        return "x" * 5000000

class NotAString:
    def __repr__(self):
        return 42

class UnprintableError(Exception):
    def __str__(self):
        raise ValueError("no str for you")

nested = []
cursor = nested
for _ in range(5000):
    cursor.append([])
    cursor = cursor[0]

values = [RaisingRepr(), RecursiveRepr(), HugeRepr(), NotAString(), nested,
          list(range(1000000)), {i: str(i) for i in range(200000)}, b"\x00\xff" * 1000,
          "\ud800 lone surrogate", float("nan"), "\x1b[31m<img onerror=alert(1)>"]
keep = [defer.succeed(value) for value in values]
failing = [defer.fail(UnprintableError()), defer.fail(RuntimeError("m" * 1000000))]
chained = defer.Deferred()
chained.addCallback(lambda value: keep[0])
chained.callback(None)

if "--busy" in sys.argv:
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        keep.append(defer.succeed(len(keep)))
        time.sleep(0.001)
else:
    time.sleep(0.3)

print("program output", len(values), len(failing))
sys.stderr.write("program stderr\n")
for d in failing:
    d.addErrback(lambda failure: None)
sys.exit(3)
"""


def run_both(tmp_path, settings, *args):
    """The hostile program plainly and with the runtime injected as in a debug launch."""
    program = write_program(tmp_path, "hostile.py", HOSTILE)
    plain = run_python([program] + list(args), clean_env(), cwd=tmp_path)
    observed = run_python(
        [program] + list(args), runtime_env(settings, bootstrap=True), cwd=tmp_path
    )
    assert plain.returncode == 3 and plain.stdout == b"program output 11 2\n"
    assert (observed.returncode, observed.stdout, observed.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    return observed


def _results(events):
    return [
        e["deferred"]["result"]
        for e in events
        if e["kind"] in ("created", "changed") and e["deferred"]["result"]
    ]


def test_hostile_values_are_reported_safely_and_the_program_is_unchanged(tmp_path):
    """Every hostile result reaches the recording as bounded text, never as an exception; the
    program's own reprs are not even called while it runs (test_state checks them at a stop)."""
    record = tmp_path / "hostile.jsonl"
    run_both(tmp_path, {wire.ENV_RECORD: str(record), wire.ENV_TRANSPORT: "none"})
    recording = read_recording(str(record))
    results = _results(recording.events())
    reprs = [r.get("repr", "") for r in results if r["kind"] == "value"]
    described = {"<%s object>" % name for name in ("RaisingRepr", "RecursiveRepr", "HugeRepr")}
    assert described | {"<NotAString object>"} <= set(reprs)
    assert any(r["kind"] == "value" and r["truncated"] for r in results)
    assert all(len(r.get("repr", r.get("message", ""))) <= 1000 for r in results)
    failures = [r for r in results if r["kind"] == "failure"]
    assert {f["excType"].rsplit(".", 1)[-1] for f in failures} >= {
        "UnprintableError",
        "RuntimeError",
    }
    assert (
        max(len(line) for line in (tmp_path / "hostile.jsonl").read_bytes().splitlines()) < 1000000
    )


def test_a_tiny_buffer_loses_nothing_of_a_recording(tmp_path):
    """With room for 5 waiting events a busy program's recording is still whole: a file takes
    every batch as it comes, so nothing waits, nothing is dropped and no resync is needed
    (drops and resyncs of a consumer that cannot keep up: test_socket, the test below)."""
    record = tmp_path / "tiny.jsonl"
    run_both(
        tmp_path,
        {wire.ENV_RECORD: str(record), wire.ENV_TRANSPORT: "none", wire.ENV_BUFFER: "5"},
        "--busy",
    )
    events = list(read_recording(str(record)).events())
    assert not [e for e in events if e["kind"] in ("dropped", "snapshot")]
    assert len([e for e in events if e["kind"] == "created"]) >= 11


def test_a_consumer_that_hangs_up_mid_stream_changes_nothing(tmp_path):
    """The socket consumer leaves mid-stream and comes back; the program never notices,
    and the new connection starts with hello and the state (snapshot) again."""
    token = secrets.token_hex(32)
    consumer = Consumer(token, drop_after=100, away_s=0.4)
    try:
        settings = {wire.ENV_SOCKET: consumer.address, wire.ENV_TOKEN: token, wire.ENV_BUFFER: "50"}
        run_both(tmp_path, settings, "--busy")
    finally:
        consumer.close()
    connections = consumer.accepted()
    assert len(connections) >= 2, [(len(c.batches), c.refused) for c in consumer.connections]
    events = connections[1].events()
    assert events[0]["kind"] == "hello"
    kinds = [e["kind"] for e in events]
    assert "snapshot" in kinds and "dropped" in kinds
    report = events[kinds.index("dropped")]
    assert report["count"] > 0 and events[kinds.index("dropped") + 1]["kind"] == "snapshot"


def test_a_repr_that_never_returns_cannot_hang_the_program(tmp_path):
    """A result whose __repr__ blocks holds the pump forever; mark() and the final flush give
    up after a bounded wait, and the program ends with its own output and status."""
    program = write_program(
        tmp_path,
        "stuck.py",
        """
        import sys, threading, time
        from twisted.internet import defer
        import deferred_graph

        class Stuck:
            def __repr__(self):
                threading.Event().wait()
                return "never"

        deferred_graph.install()
        d = defer.succeed(Stuck())
        time.sleep(0.3)
        deferred_graph.mark("after")
        print("still running")
        sys.exit(5)
    """,
    )
    started = time.monotonic()
    result = run_python(
        [program], runtime_env({wire.ENV_RECORD: str(tmp_path / "stuck.jsonl")}), cwd=tmp_path
    )
    assert (result.returncode, result.stdout, result.stderr) == (5, b"still running\n", b"")
    assert time.monotonic() - started < 30
