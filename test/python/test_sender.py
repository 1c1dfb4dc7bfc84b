"""The sender: options, batching limits, markers, the bounded outbox, the pump thread's marks,
fork and re-entrancy — each proven on a real program with the real runtime installed."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from deferred_graph import wire
from deferred_graph.outbox import MAX_BATCH_BYTES, MAX_BATCH_EVENTS
from deferred_graph.recording import child_recording_path, read_recording
from deferred_graph.sender import SenderOptions
from procs import check, run_python, runtime_env, write_program

PROLOGUE = """
import json, os, sys, threading
import deferred_graph
from twisted.internet import defer
assert deferred_graph.install()
"""


def run_recorded(tmp_path: Path, body: str, **env: str):
    """Run PROLOGUE + body with DEFERRED_GRAPH_RECORD set; return (process, recording)."""
    record = tmp_path / "events.jsonl"
    program = write_program(tmp_path, "program.py", PROLOGUE + textwrap.dedent(body))
    settings = {wire.ENV_RECORD: str(record), wire.ENV_TRANSPORT: "none"}
    settings.update(env)
    result = check(run_python([program], runtime_env(settings), cwd=tmp_path))
    return result, read_recording(str(record))


def test_options_read_the_environment_and_ignore_none_overrides():
    """install() passes None for what the user did not set; the environment then decides."""
    env = {
        wire.ENV_TRANSPORT: "SOCKET",
        wire.ENV_RECORD: "/tmp/r.jsonl",
        wire.ENV_FLUSH_MS: "20",
        wire.ENV_BUFFER: "7",
        wire.ENV_SOCKET: "tcp:127.0.0.1:9",
        wire.ENV_TOKEN: "ab" * 32,
    }
    options = SenderOptions.from_env(env, transport=None, record=None, buffer=3, unknown=1)
    assert options == SenderOptions("socket", "/tmp/r.jsonl", "tcp:127.0.0.1:9", "ab" * 32, 20, 3)


def test_bad_environment_values_fall_back_to_defaults():
    """A typo in the environment must not break the debugged program."""
    env = {wire.ENV_TRANSPORT: "carrier-pigeon", wire.ENV_FLUSH_MS: "-5", wire.ENV_BUFFER: "lots"}
    assert SenderOptions.from_env(env) == SenderOptions()


def test_a_large_drain_is_split_into_bounded_batches(tmp_path):
    """1,300 new Deferreds in one drain arrive as batches of at most 500 events, all of them."""
    _, recording = run_recorded(
        tmp_path,
        """
        keep = [defer.Deferred() for _ in range(1300)]
        deferred_graph.flush()
        print(json.dumps(sorted(deferred_graph.id_of(d) for d in keep)))
    """,
    )
    sizes = [len(batch["events"]) for batch in recording.batches]
    assert max(sizes) <= MAX_BATCH_EVENTS and len(sizes) >= 3  # events or bytes bound them
    created = {e["deferred"]["id"] for e in recording.events() if e["kind"] == "created"}
    assert len(created) >= 1300
    numbers = [batch["batch"] for batch in recording.batches]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_batches_stay_under_the_byte_limit(tmp_path):
    """300 results of 5,000 characters each (1.5 MB in one drain) are split so that no batch
    line exceeds MAX_BATCH_BYTES, and none of them is lost."""
    _, recording = run_recorded(
        tmp_path,
        """
        keep = [defer.succeed("%04d" % i + "x" * 4996) for i in range(300)]
        deferred_graph.flush()
    """,
        **{wire.ENV_REPR_LIMIT: "6000"},
    )
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()[1:]
    assert len(lines) >= 7 and max(len(line) for line in lines) <= MAX_BATCH_BYTES
    reprs = {
        e["deferred"]["result"]["repr"][1:5]
        for e in recording.events()
        if e["kind"] in ("created", "changed") and e["deferred"]["result"]
    }
    assert {"%04d" % i for i in range(300)} <= reprs


def test_a_marker_follows_the_state_it_marks(tmp_path):
    """mark() drains first: the Deferred fired before the marker is reported before it."""
    result, recording = run_recorded(
        tmp_path,
        """
        d = defer.Deferred()
        d.callback("before")
        deferred_graph.mark("fired")
        print(deferred_graph.id_of(d))
    """,
    )
    did = int(result.stdout)
    events = list(recording.events())
    marker = next(i for i, e in enumerate(events) if e["kind"] == "marker" and e["name"] == "fired")
    state = [
        e
        for e in events[:marker]
        if e["kind"] in ("created", "changed") and e["deferred"]["id"] == did
    ]
    assert state and state[-1]["deferred"]["result"]["repr"] == "'before'"
    seqs = [e["seq"] for e in events if e["kind"] != "hello"]
    assert events[marker]["seq"] > max(e["seq"] for e in events[:marker])
    assert len(seqs) == len(set(seqs))


def test_a_recording_keeps_a_drain_larger_than_its_buffer_whole(tmp_path):
    """The buffer bounds what waits for a slow consumer (test_socket: dropped, then resync);
    a recording takes every batch as it comes, so a drain of 200 events with room for 10
    loses none (the states in a resync snapshot would not bring back the dead ones)."""
    result, recording = run_recorded(
        tmp_path,
        """
        deferred_graph.flush()
        keep = [defer.Deferred() for _ in range(200)]
        deferred_graph.flush()
        print(json.dumps([deferred_graph.id_of(d) for d in keep]))
    """,
        **{wire.ENV_BUFFER: "10"},
    )
    ids = set(json.loads(result.stdout))
    events = list(recording.events())
    assert not [e for e in events if e["kind"] in ("dropped", "snapshot")]
    assert ids <= {e["deferred"]["id"] for e in events if e["kind"] == "created"}


def test_the_pump_runs_on_a_thread_threading_does_not_list(tmp_path):
    """The pump drains on its own thread (not the program's), which ``threading`` never lists:
    nothing on it registers it (``current_thread()`` would, as a ``_DummyThread``)."""
    result, _ = run_recorded(
        tmp_path,
        """
        sender = deferred_graph._runtime.sender
        sent = sender.batches_sent
        while sender.batches_sent == sent:  # the pump's own cycles, not a flush
            d = defer.Deferred()
            threading.Event().wait(0.01)
        print(json.dumps([sender._pump != threading.get_ident(), threading.active_count(),
                          [t.name for t in threading.enumerate()]]))
    """,
    )
    assert json.loads(result.stdout) == [True, 1, ["MainThread"]]


_UNTRACED = """
import sys, threading
HOOK
import deferred_graph
from twisted.internet import defer
traced = []
deferred_graph.install()
sender = deferred_graph._runtime.sender
original = sender._cycle
def cycle(*args):
    if threading.get_ident() == sender._pump:  # flush() cycles in the caller's thread
        traced.append(sys.gettrace() is not None or sys.getprofile() is not None)
    return original(*args)
sender._cycle = cycle
d = defer.Deferred()
while not traced:
    threading.Event().wait(0.01)
print("pump traced:", any(traced), "main traced:", sys.gettrace() is not None)
"""


@pytest.mark.parametrize(
    "hook",
    [
        # A coverage tool or profiler set for every thread: the runtime's frames are not the
        # program's to measure.
        "threading.settrace(lambda *a: None); sys.settrace(lambda *a: None)",
        # debugpy's pydevd, started as a launch starts it: it leaves the pump alone, and the
        # runtime never calls pydevd's replacement of sys.settrace, which prints a warning.
        "import debugpy; debugpy.listen(('127.0.0.1', 0))",
    ],
    ids=["settrace", "debugpy"],
)
def test_the_pump_runs_untraced_and_prints_nothing(tmp_path, hook):
    program = write_program(tmp_path, "program.py", _UNTRACED.replace("HOOK", hook))
    result = check(run_python([program], runtime_env({wire.ENV_TRANSPORT: "none"}), cwd=tmp_path))
    out, err = result.stdout.decode(), result.stderr.decode()
    assert "pump traced: False main traced: True" in out, out
    assert "should not be used" not in err, err


def test_a_forked_child_records_to_its_own_file(tmp_path):
    """After os.fork the child restarts the pump and writes NAME.<pid>.jsonl with its own
    hello; the parent's recording stays intact."""
    result, recording = run_recorded(
        tmp_path,
        """
        parent = defer.Deferred()
        deferred_graph.flush()
        pid = os.fork()
        if pid == 0:
            child = defer.Deferred()
            child.callback("in the child")
            deferred_graph.flush()
            os._exit(0)
        os.waitpid(pid, 0)
        print(pid)
    """,
    )
    child_pid = int(result.stdout)
    assert recording.header["pid"] != child_pid
    child = read_recording(child_recording_path(str(tmp_path / "events.jsonl"), child_pid))
    assert child.header["pid"] == child_pid
    events = list(child.events())
    assert events[0]["kind"] == "hello" and events[0]["pid"] == child_pid
    results = [e["deferred"]["result"] for e in events if e["kind"] in ("created", "changed")]
    assert {
        "kind": "value",
        "typeName": "str",
        "repr": "'in the child'",
        "truncated": False,
    } in results
    assert all(batch["pid"] != child_pid for batch in recording.batches)


def test_a_result_repr_never_runs_in_the_pump(tmp_path):
    """A result's __repr__ is not called on the pump thread (where a mark() inside it would
    re-enter the cycle): the recording describes it by its type."""
    result, recording = run_recorded(
        tmp_path,
        """
        import time
        class Sneaky:
            def __repr__(self):
                deferred_graph.mark("from repr")
                return "Sneaky()"
        d = defer.succeed(Sneaky())
        time.sleep(0.3)
        deferred_graph.mark("done")
        print("finished")
    """,
    )
    assert result.stdout == b"finished\n"
    names = [e["name"] for e in recording.events() if e["kind"] == "marker"]
    assert names == ["done"]
    assert any(
        e["kind"] in ("created", "changed")
        and e["deferred"]["result"]
        and e["deferred"]["result"].get("repr") == "<Sneaky object>"
        for e in recording.events()
    )


def test_forking_while_the_pump_is_busy_never_hangs_a_child(tmp_path):
    """Forks land while the pump drains thousands of Deferreds; every child still records and
    exits (the fork hooks keep the pump's locks out of the copy)."""
    result, _ = run_recorded(
        tmp_path,
        """
        import time
        statuses = []
        for round in range(15):
            keep = [defer.succeed(i) for i in range(1000)]
            time.sleep(0.001 * (round % 5))
            pid = os.fork()
            if pid == 0:
                defer.succeed("child").addCallback(str)
                deferred_graph.flush()
                os._exit(7)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    statuses.append(os.waitstatus_to_exitcode(status))
                    break
                time.sleep(0.01)
            else:
                os.kill(pid, 9)
                statuses.append("hung")
        print(json.dumps(statuses))
    """,
        **{wire.ENV_FLUSH_MS: "1"},
    )
    assert json.loads(result.stdout) == [7] * 15
