"""Property test: on random programs of Deferred operations, the runtime's state equals
Twisted's own after EVERY operation — both as a fresh ``snapshot()`` and as the event stream
replayed from the start — and every Deferred that dies is reported collected.

Operations: create, addCallback/addErrback/addBoth/addCallbacks with callbacks that pass, raise,
return a value, an object with its own ``__repr__`` or another Deferred (fired or not),
callback/errback, pause/unpause, chainDeferred, cancel (of chained Deferreds too),
DeferredList, inlineCallbacks waiting on several Deferreds — and what real programs do to them:
drop a Deferred (``del``; a Failure's traceback can keep it in a cycle until ``gc.collect()``,
another operation), drop one and create another at once (CPython hands it the same address),
and drain only at random points (``flush``), so Deferreds fire and die between drains.
Dependencies ("X waits on Y") only ever point from lower to higher rank, so a program never
builds a cycle of waits (which would only deadlock, not test anything more).

Half the programs also compare a fresh snapshot after every operation; every ``flush`` compares
the replayed stream: each living row with Twisted's attributes, each dead row with what they
said when the test dropped the Deferred (only Deferreds nothing else can change are dropped, so
that is their state at death).
"""

from __future__ import annotations

import gc
import json
import os
import weakref
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet import defer

import deferred_graph
import parity
from deferred_graph import clock
from parity import Runtime
from procs import ts_cli, write_recording
from replay import Replay


def _peek_entry(rt: Runtime, d: defer.Deferred) -> Any:
    """The runtime's entry of ``d`` or, if no drain took it in yet, its birth record's time
    (its row, if it gets one, is found by that time); looked up without registering or
    absorbing anything."""
    registry = deferred_graph._runtime.registry  # noqa: SLF001
    entry = registry.entries.get(id(d))
    if entry is not None and entry() is d:
        return entry
    record = registry.born.get(id(d))
    return record[3] if record is not None and record[0]() is d else None


KINDS = [
    "new",
    "drop",
    "reuse",
    "gc",
    "flush",
    "flush",
    "add",
    "add",
    "add",
    "fire",
    "fire",
    "pause",
    "unpause",
    "chain",
    "cancel",
    "dlist",
    "inline",
]
OPS = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 63), st.integers(0, 63), st.integers(0, 7)),
    min_size=6,
    max_size=40,
)
CHECKED = {"operations": 0, "programs": 0}


class Shown:
    """A result with a ``__repr__`` of the program's own."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return "Shown(%d)" % self.n


class Program:
    """A pool of Deferreds with ranks, and the interpreter of one random operation."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.pool: list[defer.Deferred] = []
        self.rank: list[float] = []
        self.handled: list[Any] = []
        # Deferreds another Deferred can change (a chain target, a DeferredList and its members,
        # what a callback returns and the Deferred it then waits for...): never dropped.
        self.shared: set[int] = set()
        # The truth of each dropped Deferred (its entry: the row's id once reported).
        self.dropped: list[tuple[Any, dict]] = []

    def add(self, d: defer.Deferred, rank: float) -> None:
        self.pool.append(d)
        self.rank.append(rank)

    def pick(self, n: int) -> int:
        return n % len(self.pool)

    def higher(self, i: int, n: int) -> Any:
        """A pool Deferred of higher rank than ``i`` (one ``i`` may wait on), or None."""
        options = [j for j in range(len(self.pool)) if self.rank[j] > self.rank[i]]
        return self.pool[options[n % len(options)]] if options else None

    def callback(self, i: int, behaviour: int, n: int) -> Any:
        if behaviour == 0:
            return lambda r: r
        if behaviour == 1:
            return lambda r: Shown(n)
        if behaviour == 2:

            def raising(r):
                raise ValueError("raised on %r" % (r,))

            return raising
        if behaviour == 3:
            return lambda r: n
        other = self.higher(i, n)
        if other is None:
            return lambda r: r
        self.shared.update((id(other), id(self.pool[i])))
        return lambda r: other

    def run(self, kind: str, a: int, b: int, c: int) -> None:
        if kind == "gc":
            gc.collect()
            return
        if kind == "flush":
            self.rt.drain()
            return
        if kind == "new" or not self.pool:
            self.add(defer.Deferred(), float(len(self.pool) + len(self.dropped)))
            return
        i = self.pick(a)
        d = self.pool[i]
        if kind in ("drop", "reuse"):
            del d
            self.drop(i)
            if kind == "reuse":
                self.add(defer.Deferred(), float(len(self.pool) + len(self.dropped)))
            return
        if kind == "add":
            cb, eb = self.callback(i, c, b), self.callback(i, (c + 3) % 8, b + 1)
            method = ("addCallback", "addErrback", "addBoth", "addCallbacks")[b % 4]
            if method == "addCallbacks":
                d.addCallbacks(cb, eb)
            else:
                getattr(d, method)(cb if method != "addErrback" else eb)
        elif kind == "fire":
            try:
                if c % 3 == 0:
                    d.errback(KeyError("fired %d" % b))
                else:
                    d.callback(b)
            except defer.AlreadyCalledError:
                pass
        elif kind == "pause":
            d.pause()
        elif kind == "unpause":
            if d.paused > 0:
                d.unpause()
        elif kind == "chain":
            lower = [j for j in range(len(self.pool)) if self.rank[j] < self.rank[i]]
            if lower:
                target = self.pool[lower[b % len(lower)]]
                self.shared.update((id(target), id(d)))
                d.chainDeferred(target)
        elif kind == "cancel":
            d.cancel()
        elif kind == "dlist":
            self.new_list(a, b, c)
        elif kind == "inline":
            self.new_inline(a, b, c)

    def drop(self, i: int) -> None:
        """Drop pool Deferred ``i`` unless another can still change it: its truth now is its
        truth at death (it dies now, or in a cycle at the next ``gc``)."""
        d = self.pool[i]
        if id(d) in self.shared:
            return
        entry = _peek_entry(self.rt, d)
        if entry is not None:
            self.dropped.append((entry, parity.truth(d)))
        self.pool.pop(i)
        self.rank.pop(i)

    def check_dead(self) -> None:
        """Every dropped Deferred that has a dead row says what Twisted said when dropped."""
        replay = self.rt.replay
        for entry, want in self.dropped:
            if isinstance(entry, float):  # born unseen when dropped: its row, if it has one
                born = clock.to_wire(entry)
                dids = [i for i, row in replay.dead.items() if row["createdAt"] == born]
                did = dids[0] if len(dids) == 1 else None
            else:
                did = entry.__dict__.get("_serial")
            if did is None or did not in replay.dead:
                continue  # never reported (short-lived), or not collected yet (a cycle)
            problems = parity.compare("dead #%d" % did, want, replay.dead[did])
            assert not problems, "\n".join(problems)

    def new_list(self, a: int, b: int, c: int) -> None:
        members = sorted({self.pick(a), self.pick(b), self.pick(a + c)})
        dl = defer.DeferredList(
            [self.pool[m] for m in members],
            fireOnOneCallback=bool(c & 1),
            fireOnOneErrback=bool(c & 2),
            consumeErrors=bool(c & 4),
        )
        self.shared.update(id(self.pool[m]) for m in members)
        self.shared.add(id(dl))
        self.add(dl, min(self.rank[m] for m in members) - 0.5)

    def new_inline(self, a: int, b: int, c: int) -> None:
        waits = [self.pool[self.pick(x)] for x in (a, b, a + b)[: 1 + c % 3]]
        ranks = [self.rank[self.pick(x)] for x in (a, b, a + b)[: 1 + c % 3]]

        @defer.inlineCallbacks
        def body():
            total = []
            for w in waits:
                try:
                    total.append((yield w))
                except ValueError:
                    if c & 4:
                        raise
                    total.append("caught")
            return total

        self.shared.update(id(w) for w in waits)
        inline = body()
        self.shared.add(id(inline))
        self.add(inline, min(ranks) - 0.5)

    def close(self) -> None:
        """Handle every failure so the end of a program does not log unhandled errors."""
        for d in self.pool:
            if not d.called or d.paused:
                continue
            d.addErrback(lambda f: None)


@pytest.fixture(scope="module")
def rt():
    runtime = Runtime()
    runtime.log_limit = 3000  # batches the TS model replays too (see the last test)
    yield runtime
    runtime.close()
    print("\nrandom parity: %(programs)d programs, %(operations)d operations checked" % CHECKED)


# Each local run explores 2,000 new programs; CI (CI=true) runs a fixed 2,000, so that a red CI
# run is reproducible and tells of a change, not of the draw.
@settings(
    max_examples=int(os.environ.get("DG_EXAMPLES", 2000)),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("CI") == "true",
)
@given(ops=OPS, debug=st.booleans(), snap=st.booleans())
def test_random_programs_keep_parity(rt, ops, debug, snap):
    """After each operation (``snap``), a snapshot equals Twisted's attributes; after each
    ``flush``, the replayed events do, for living rows and for dead ones (their truth when
    dropped).  At the end, every Deferred that died is reported collected or counted.  Half the
    programs run with Twisted's ``setDebugging(True)`` (other code paths: DebugInfo on every
    Deferred, failResult written on success too)."""
    program = Program(rt)
    defer.setDebugging(debug)
    try:
        for step, op in enumerate(ops):
            program.run(*op)
            context = "after step %d %r of %r (debug=%s)" % (step, op, ops, debug)
            if op[0] == "flush":
                parity.assert_parity(program.pool, rt.replay.states, "(events) %s" % context)
                program.check_dead()
            if snap:
                parity.assert_parity(program.pool, None, "(snapshot) %s" % context)
            CHECKED["operations"] += 1
    finally:
        defer.setDebugging(False)
    CHECKED["programs"] += 1
    rt.check(program.pool, "before close of %r" % (ops,))
    program.check_dead()
    ids = [deferred_graph.id_of(d) for d in program.pool]
    refs = [weakref.ref(d) for d in program.pool]
    program.close()
    rt.check(program.pool, "after close")
    gc.collect()
    rt.drain()
    program.check_dead()
    del program
    gc.collect()
    rt.drain()
    for did, ref in zip(ids, refs):
        if ref() is None:
            assert did not in rt.replay.states and did in rt.replay.collected, did


def test_random_programs_ran_thousands_of_operations(rt):
    """Guard: the property above really ran thousands of random programs."""
    assert CHECKED["programs"] >= 2000 and CHECKED["operations"] >= 10000, CHECKED


def test_the_extension_model_agrees_with_the_python_replay(rt, tmp_path):
    """The first batches of those programs, as a recording, read by the extension's model (the
    CLI's ``--json``): every row, living or dead, says what the Python replay of the same
    batches says."""
    assert rt.log, "no batches logged"
    record = write_recording(tmp_path / "random.jsonl", rt.log)
    replay = Replay()
    for batch in rt.log:
        replay.apply(batch["events"])
    done = ts_cli(["status", str(record), "--json"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {row["id"]: row for row in json.loads(done.stdout)}
    python = {**replay.dead, **replay.states}
    assert set(rows) == set(python)
    fields = ("called", "hasResult", "paused", "waitingOn", "cancelled")
    for did, state in python.items():
        row = rows[did]
        want = tuple(state[f] for f in fields) + (len(state["callbacks"]), did in replay.dead)
        got = tuple(row[f] for f in fields) + (row["callbacks"], row["collected"])
        assert got == want, (
            did,
            row,
            state,
            [
                e
                for b in rt.log
                for e in b["events"]
                if e.get("id") == did or e.get("deferred", {}).get("id") == did
            ],
        )
