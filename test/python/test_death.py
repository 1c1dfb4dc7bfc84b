"""A dead Deferred's row is its true last state, whatever the timing: recorded by a real program
(``deferred_graph.flush()`` between steps, as the pump would), then read back by the Python
replay and by the extension's own model (the CLI's ``--json``), which must agree.

Each scenario is one seen in real programs: a Deferred that fires and dies between two drains
while a new one takes its address (DeferredLock.acquire, Cooperator), one that dies in a
reference cycle, one that dies holding an unhandled Failure, ``cancel()``/``addTimeout`` of a
Deferred already called but waiting on another (an Agent request timing out), and a program
whose Deferreds all live between two drains (the short-lived count).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deferred_graph import wire
from deferred_graph.recording import read_recording
from procs import check, run_python, runtime_env, ts_cli, write_program
from replay import Replay

PROGRAM = """
import gc
from twisted.internet import defer, task
import deferred_graph

deferred_graph.install()
flush = deferred_graph.flush

# Fire, drop, create another (CPython gives it the dead one's address), three times.
addresses = []
for i in range(3):
    d = defer.Deferred()
    d.addCallback(lambda r: r * 10)  # REUSE (no label: its allocations would move addresses)
    flush()
    d.callback(i)
    addresses.append(id(d))
    del d
last = defer.Deferred()
flush()

# Dies in a cycle (its callback's closure holds it), after one more callback was added.
c = defer.Deferred()
box = [c]
c.addCallback(lambda r, box=box: r)
deferred_graph.label(c, "cycle")
flush()
c.addCallback(str)
del c, box
gc.collect()
flush()

# Dies holding a Failure nobody handled.
u = defer.Deferred()
u.addCallback(lambda r: r)
deferred_graph.label(u, "unhandled")
flush()
u.errback(ValueError("boom"))
del u
gc.collect()
flush()

# cancel() of a Deferred already called but waiting on another: Twisted forwards it there.
inner = defer.Deferred()
outer = defer.Deferred()
outer.addCallback(lambda r: inner)
outer.callback(0)
deferred_graph.label(outer, "outer")
deferred_graph.label(inner, "inner")
flush()
outer.cancel()
outer.addErrback(lambda f: None)

# addTimeout of such a Deferred, timing out.
clock = task.Clock()
slow = defer.Deferred()
timed = defer.Deferred()
timed.addCallback(lambda r: slow)
timed.callback(0)
timed.addTimeout(5, clock)
deferred_graph.label(timed, "timed")
flush()
clock.advance(10)
timed.addErrback(lambda f: None)

# cancel() of a Deferred called with a value does nothing in Twisted: not cancelled.
done = defer.succeed(1)
deferred_graph.label(done, "done")
done.cancel()

# Born and dead between two drains: only counted.
for i in range(100):
    defer.succeed(i).addCallback(lambda r: r)
flush()
print(len(set(addresses)))
"""


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    folder = tmp_path_factory.mktemp("death")
    record = folder / "run.jsonl"
    program = write_program(folder, "program.py", PROGRAM)
    done = check(run_python([program], runtime_env({wire.ENV_RECORD: str(record)}), cwd=folder))
    return record, int(done.stdout.split()[-1])


def _replay(record: Path) -> Replay:
    replay = Replay()
    for batch in read_recording(str(record)).batches:
        replay.apply(batch["events"])
    return replay


def _by_label(replay: Replay) -> dict[str, dict]:
    rows = {**replay.dead, **replay.states}
    return {s["label"]: s for s in rows.values() if s.get("label")}


# The loop's Deferred() line in the file write_program writes (it strips the leading newline).
REUSE_LINE = PROGRAM.lstrip()[: PROGRAM.lstrip().index("# REUSE")].count("\n")


def _reuse_rows(replay: Replay) -> list[dict]:
    """The three Deferreds of the reuse loop, in creation order."""
    rows = [s for s in replay.dead.values() if s["created"]["line"] == REUSE_LINE]
    return sorted(rows, key=lambda s: s["id"])


def _ts_rows(record: Path, tmp_path: Path) -> tuple[list[dict], str]:
    """The extension's model over the same file: the CLI's ``--json`` and its table."""
    rows = ts_cli(["status", str(record), "--json"], tmp_path)
    table = ts_cli(["status", str(record)], tmp_path)
    assert rows.returncode == 0 and table.returncode == 0, rows.stderr + table.stderr
    return json.loads(rows.stdout), table.stdout


def test_address_reuse_keeps_each_fire(recording):
    """Three Deferreds fired and dropped between drains, each followed by a new one at (very
    likely) the same address: each row says fired, with its own result, nothing pending."""
    record, distinct = recording
    rows = _reuse_rows(_replay(record))
    assert len(rows) == 3
    for i, row in enumerate(rows):
        assert row["called"] and row["result"]["repr"] == str(i * 10), row
        assert row["callbacks"] == [] and row["paused"] == 0, row
    # Whether CPython reused an address here varies by run (``distinct``); reuse itself is forced
    # in test_collected_fired.py::test_a_newer_deferred_at_the_address_lends_no_fire_time.
    del distinct


def test_cycle_death_is_the_state_it_died_in(recording):
    """Collected by gc in a cycle, after a change the last drain did not see: 2 callbacks."""
    row = _by_label(_replay(recording[0]))["cycle"]
    assert not row["called"] and len(row["callbacks"]) == 2, row


def test_unhandled_failure_at_death(recording):
    """Died failed, holding the Failure: the row's result is it, not N/A."""
    replay = _replay(recording[0])
    row = _by_label(replay)["unhandled"]
    assert row["called"] and row["result"]["kind"] == "failure", row
    assert row["result"]["excType"] == "builtins.ValueError" or row["result"]["excType"].endswith(
        "ValueError"
    )
    assert replay.collected[row["id"]] is not None  # Twisted logs "Unhandled error" for it


def test_cancel_of_a_called_waiting_deferred(recording):
    """``cancel()`` and ``addTimeout`` of a Deferred called but waiting on another flag it (and
    the one it waits on) cancelled; cancel of one called with a value does not."""
    rows = _by_label(_replay(recording[0]))
    assert rows["outer"]["cancelled"] and rows["inner"]["cancelled"]
    assert rows["timed"]["cancelled"]
    assert not rows["done"]["cancelled"]


def test_ephemeral_count_is_in_the_recording(recording):
    """The short-lived count travels in the stream, so the recording states it."""
    assert _replay(recording[0]).ephemeral >= 100


def test_the_extension_model_reads_the_same_rows(recording, tmp_path):
    """The TypeScript model (CLI ``--json``) shows every labelled row as the Python replay does,
    and its summary states the short-lived count."""
    record = recording[0]
    python_rows = _by_label(_replay(record))
    rows, table = _ts_rows(record, tmp_path)
    ts_rows = {r["userLabel"]: r for r in rows if r["userLabel"]}
    assert set(python_rows) <= set(ts_rows)
    for label, state in python_rows.items():
        row = ts_rows[label]
        got = (row["called"], row["hasResult"], row["callbacks"], row["cancelled"])
        want = (state["called"], state["hasResult"], len(state["callbacks"]), state["cancelled"])
        assert got == want, (label, row, state)
    by_id = {r["id"]: r for r in rows}
    reused = [by_id[s["id"]] for s in _reuse_rows(_replay(record))]
    assert [r["resultText"] for r in reused] == ["0", "10", "20"], reused
    assert {r["state"] for r in reused} == {"fired · collected"} and not any(
        r["callbacks"] for r in reused
    )
    count = _replay(record).ephemeral
    assert "unseen short-lived %d" % count in table, table
    assert os.path.basename(str(record))  # the table names the file


class _Spy:
    """A result and a callable whose every hook notes whether a capture is running."""

    seen: list[str] = []

    def __repr__(self) -> str:
        return self._note("repr")

    def __getattr__(self, name: str):
        self._note("getattr " + name)
        raise AttributeError(name)

    def __call__(self, result):
        return _Spy()

    def _note(self, what: str) -> str:
        import sys

        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.endswith(os.path.join("deferred_graph", "death.py")):
                _Spy.seen.append(what)
            frame = frame.f_back
        return "<spy>"


def test_a_capture_runs_none_of_the_programs_code():
    """Captures run inside Twisted's callback loop, on the program's thread: no repr, no
    getattr of the program's objects (the result is described, a callable object named by its
    class)."""
    import gc

    from twisted.internet import defer

    import deferred_graph
    from parity import Runtime

    rt = Runtime()
    _Spy.seen.clear()
    try:
        d = defer.Deferred()
        d.addCallback(_Spy())
        d.addCallback(_Spy())
        rt.drain()
        d.callback(1)  # both callbacks return spies: each write-run is captured
        d.addCallback(_Spy())  # fired: runs at once
        d_id = deferred_graph.id_of(d)
        del d
        gc.collect()
        rt.drain()
        assert _Spy.seen == []
        result = rt.replay.dead[d_id]["result"]
        assert result["typeName"] == "test_death._Spy" and result["repr"] != "<spy>", result
    finally:
        rt.close()
