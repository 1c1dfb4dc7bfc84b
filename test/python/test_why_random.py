"""Property test for "why": on random programs of pending Deferreds — chained, in lists,
awaited by inlineCallbacks generators, fired by timers, by thread jobs, by nothing — with the
program keeping or dropping its reference to each, the analysis never calls a Deferred an
orphan while reachable code could still fire it, and every root it reaches is the right one.

The ground truth is the program's own description (which node waits on which, which ones a
timer or a thread job will fire, which ones the program keeps), not the objects: the test holds
no reference to what it dropped (``gc.collect()`` then removes the unreachable ones).
"""

from __future__ import annotations

import gc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet import defer, task, threads

import deferred_graph
from parity import Runtime

LEAVES = ("plain", "timer", "thread")
WAITERS = ("chain", "list", "generator")
NODES = st.lists(
    st.tuples(
        st.sampled_from(LEAVES + WAITERS), st.integers(0, 63), st.integers(0, 63), st.booleans()
    ),
    min_size=1,
    max_size=25,
)
CHECKED = {"programs": 0, "deferreds": 0, "orphans": 0}


class _Pool:
    """A thread pool that never runs its jobs: the job stays queued, holding its Deferred."""

    def __init__(self) -> None:
        self.jobs: list = []

    def callInThreadWithCallback(self, on_result, func, *args, **kwargs):
        self.jobs.append((on_result, func))


class _Reactor:
    def callFromThread(self, func, *args):  # never called: no job ever runs
        raise AssertionError("unexpected")


def _blocking(seconds):
    return seconds


@defer.inlineCallbacks
def _await_one(box):
    yield box.pop()  # the frame keeps no reference: only the generator's status does


def build(nodes, clock, pool):
    """Create the program; return (kept objects, description by index)."""
    made: list = []  # strong refs while building, dropped by the caller
    desc: list[dict] = []
    for kind, a, b, keep in nodes:
        if kind in WAITERS and not made:
            kind = "plain"
        target = a % len(made) if made else None
        if kind == "plain":
            d = defer.Deferred()
        elif kind == "timer":
            d = defer.Deferred()
            clock.callLater(1 + a, d.callback, None)
        elif kind == "thread":
            d = threads.deferToThreadPool(_Reactor(), pool, _blocking, a)
        elif kind == "chain":
            d = defer.Deferred()
            inner = made[target]
            d.addCallback(lambda _, inner=inner: inner)
            d.callback(None)
        elif kind == "list":
            d = defer.DeferredList([made[target], made[b % len(made)]])
        else:
            d = _await_one([made[target]])
        made.append(d)
        desc.append({"kind": kind, "keep": keep, "target": target, "second": b % len(made)})
    return made, desc


def expected_root(desc, i):
    """The kind the root of node ``i`` must have: follow waits to the first non-Deferred."""
    seen = set()
    while desc[i]["kind"] in WAITERS and i not in seen:
        seen.add(i)
        i = desc[i]["target"]  # a list roots in its first unfired member
    node = desc[i]
    if node["kind"] == "timer":
        return "timer", i
    if node["kind"] == "thread":
        return "thread", i
    return ("unknown" if node["keep"] else "orphan"), i


def fireable(desc, i):
    """Reachable code could fire node i: kept by the program, or a timer's or a job's."""
    return desc[i]["keep"] or desc[i]["kind"] in ("timer", "thread")


@pytest.fixture(scope="module")
def runtime():
    rt = Runtime()
    yield rt
    rt.close()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(nodes=NODES)
def test_no_false_orphan_and_every_root_right(runtime, nodes):
    clock, pool = task.Clock(), _Pool()
    made, desc = build(nodes, clock, pool)
    ids = [deferred_graph.id_of(d) for d in made]
    kept = [d for d, node in zip(made, desc) if node["keep"]]
    del made
    gc.collect()
    (event,) = deferred_graph.snapshot()["events"]
    states = {s["id"]: s for s in event["deferreds"]}
    for i, sid in enumerate(ids):
        state = states.get(sid)
        if state is None:
            continue  # dropped and unreachable: collected
        CHECKED["deferreds"] += 1
        kind, last = expected_root(desc, i)
        blocked, root = state["blockedBy"], state["root"]
        assert blocked is not None and root is not None, (i, desc)
        if fireable(desc, i):
            assert blocked["kind"] != "orphan", (i, desc, blocked)
        if root["kind"] == "orphan":
            CHECKED["orphans"] += 1
            assert not fireable(desc, last), (i, desc, root)
        if desc[last]["keep"] or kind != "orphan":
            # A kept end is named by who holds it; a dropped one may still be held by a
            # sibling's waiter structure, so only the kind we can be sure of is checked.
            assert root["kind"] == kind or (kind == "unknown" and root["kind"] == "unknown"), (
                i,
                desc,
                root,
            )
        assert root["ids"][0] == sid and root["ids"][-1] == ids[last], (i, desc, root)
    CHECKED["programs"] += 1
    for d in kept:
        d.addErrback(lambda f: None)
    del kept
    pool.jobs.clear()


def test_property_checked_enough():
    """The property test above ran (with this order, pytest runs it first in this module)."""
    assert CHECKED["programs"] >= 50 and CHECKED["deferreds"] >= 100, CHECKED
    assert CHECKED["orphans"] >= 3, CHECKED
