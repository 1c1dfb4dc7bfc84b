"""Property test: on random programs of Deferred operations, the runtime's state equals
Twisted's own after EVERY operation — both as a fresh ``snapshot()`` and as the event stream
replayed from the start — and every Deferred that dies is reported collected.

Operations: create, addCallback/addErrback/addBoth/addCallbacks with callbacks that pass, raise,
return a value or return another Deferred (fired or not), callback/errback, pause/unpause,
chainDeferred, cancel, DeferredList, inlineCallbacks waiting on several Deferreds.  Dependencies
("X waits on Y") only ever point from lower to higher rank, so a program never builds a cycle
(which would only deadlock, not test anything more).
"""

from __future__ import annotations

import gc
import os
import weakref
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet import defer

import deferred_graph
from parity import Runtime

KINDS = [
    "new",
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


class Program:
    """A pool of Deferreds with ranks, and the interpreter of one random operation."""

    def __init__(self) -> None:
        self.pool: list[defer.Deferred] = []
        self.rank: list[float] = []
        self.handled: list[Any] = []

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
        if behaviour in (0, 1):
            return lambda r: r
        if behaviour == 2:

            def raising(r):
                raise ValueError("raised on %r" % (r,))

            return raising
        if behaviour == 3:
            return lambda r: n
        other = self.higher(i, n)
        if other is None:
            return lambda r: r
        return lambda r: other

    def run(self, kind: str, a: int, b: int, c: int) -> None:
        if kind == "new" or not self.pool:
            self.add(defer.Deferred(), float(len(self.pool)))
            return
        i = self.pick(a)
        d = self.pool[i]
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
                d.chainDeferred(self.pool[lower[b % len(lower)]])
        elif kind == "cancel":
            d.cancel()
        elif kind == "dlist":
            self.new_list(a, b, c)
        elif kind == "inline":
            self.new_inline(a, b, c)

    def new_list(self, a: int, b: int, c: int) -> None:
        members = sorted({self.pick(a), self.pick(b), self.pick(a + c)})
        dl = defer.DeferredList(
            [self.pool[m] for m in members],
            fireOnOneCallback=bool(c & 1),
            fireOnOneErrback=bool(c & 2),
            consumeErrors=bool(c & 4),
        )
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

        self.add(body(), min(ranks) - 0.5)

    def close(self) -> None:
        """Handle every failure so the end of a program does not log unhandled errors."""
        for d in self.pool:
            if not d.called or d.paused:
                continue
            d.addErrback(lambda f: None)


@pytest.fixture(scope="module")
def rt():
    runtime = Runtime()
    yield runtime
    runtime.close()
    print("\nrandom parity: %(programs)d programs, %(operations)d operations checked" % CHECKED)


# Each local run explores 2,000 new programs; CI (CI=true) runs a fixed 2,000, so that a red CI
# run is reproducible and tells of a change, not of the draw.
@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("CI") == "true",
)
@given(ops=OPS, debug=st.booleans())
def test_random_programs_keep_parity(rt, ops, debug):
    """After each operation, snapshot and replayed events equal Twisted's attributes; at the
    end, every Deferred that died is reported collected and no longer in the replayed state.
    Half the programs run with Twisted's ``setDebugging(True)`` (other code paths: DebugInfo
    on every Deferred, failResult written on success too)."""
    program = Program()
    defer.setDebugging(debug)
    try:
        for step, op in enumerate(ops):
            program.run(*op)
            rt.check(program.pool, "after step %d %r of %r (debug=%s)" % (step, op, ops, debug))
            CHECKED["operations"] += 1
    finally:
        defer.setDebugging(False)
    CHECKED["programs"] += 1
    ids = [deferred_graph.id_of(d) for d in program.pool]
    refs = [weakref.ref(d) for d in program.pool]
    program.close()
    rt.check(program.pool, "after close")
    del program
    gc.collect()
    rt.drain()
    for did, ref in zip(ids, refs):
        if ref() is None:
            assert did not in rt.replay.states and did in rt.replay.collected, did


def test_random_programs_ran_thousands_of_operations(rt):
    """Guard: the property above really ran thousands of random programs."""
    assert CHECKED["programs"] >= 2000 and CHECKED["operations"] >= 10000, CHECKED
