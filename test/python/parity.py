"""Parity checker: does the runtime's view of a Deferred equal what Twisted itself says?

Reusable by every Python suite (seeds, examples, random programs)::

    from parity import assert_parity, snapshot_states
    assert_parity({"a": a, "b": b})                     # against deferred_graph.snapshot()
    assert_parity({"a": a}, states=replayed_states)     # against states rebuilt from events

"Twisted itself" means the attributes the notebook's ``status()`` and ``repr(d)`` read:
``hasattr(d, "result")``, ``d.result``, ``len(d.callbacks)``, ``d.paused``, ``d._chainedTo`` and
``d.called`` — plus, per callback pair, which Deferred a ``_CONTINUE`` entry continues.  On 26.4
``d.callbacks`` is read exactly as a user would (its DeprecationWarning silenced here), so a
change in what Twisted means by it shows up as a mismatch.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Optional, Union

from twisted.internet.defer import _CONTINUE, Deferred
from twisted.python.failure import Failure

import deferred_graph
from deferred_graph import saferepr, wire

Deferreds = Union[Mapping[str, Deferred], Iterable[Deferred]]


def twisted_callbacks(d: Deferred) -> list:
    """``d.callbacks`` as a user reads it (26.4's deprecation warning silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return d.callbacks


def snapshot_states() -> dict[int, dict]:
    """The states of ``deferred_graph.snapshot()`` by id."""
    batch = deferred_graph.snapshot(analyse=False)  # parity is about state, not "why"
    (event,) = batch["events"]
    return {state["id"]: state for state in event["deferreds"]}


def _named(deferreds: Deferreds) -> dict[str, Deferred]:
    if isinstance(deferreds, Mapping):
        return dict(deferreds)
    return {"d%d" % i: d for i, d in enumerate(deferreds)}


def expected_result(d: Deferred) -> Optional[dict]:
    """What the ``result`` field must say for Twisted's current ``d.result`` (None: no result)."""
    if not hasattr(d, "result"):
        return None
    value = d.result
    if isinstance(value, Deferred):
        return {"kind": "deferred", "id": deferred_graph.id_of(value)}
    if isinstance(value, Failure):
        return {"kind": "failure", "excType": saferepr.type_name(value.type)}
    # A Deferred nested in a result prints by identity (saferepr.safe_repr): its own row shows it.
    return {"kind": "value", "repr": saferepr.safe_repr(value, by_identity=(Deferred,))[0]}


def _continues(pair: Any) -> Optional[int]:
    """The waiting Deferred's id when a callback pair is Twisted's ``_CONTINUE`` entry."""
    (callback, args, _kwargs), _errback = pair
    if callback is _CONTINUE:
        return deferred_graph.id_of(args[0])
    return None


def truth(d: Deferred) -> dict:
    """What Twisted's attributes say of ``d`` now, in the fields the states are compared on
    (taken by a test just before it drops the last reference: the truth of a dead row)."""
    chained = d._chainedTo
    want = {
        "hasResult": hasattr(d, "result"),
        "callbacks": len(twisted_callbacks(d)),
        "paused": d.paused,
        "waitingOn": deferred_graph.id_of(chained) if chained is not None else None,
        "called": bool(d.called),
        "continues": [_continues(pair) for pair in twisted_callbacks(d)],
        "result": expected_result(d),
    }
    return want


def compare(name: str, want: Mapping[str, Any], state: Optional[Mapping[str, Any]]) -> list[str]:
    """Every difference between a truth (:func:`truth`) and a state, as readable lines."""
    if state is None:
        return ["%s: no state" % name]
    problems: list[str] = []
    got = {
        "hasResult": state["hasResult"],
        "callbacks": len(state["callbacks"]),
        "paused": state["paused"],
        "waitingOn": state["waitingOn"],
        "called": state["called"],
        "continues": [pair["continues"] for pair in state["callbacks"]],
    }
    for key, value in got.items():
        if want[key] != value:
            problems.append("%s: %s runtime=%r twisted=%r" % (name, key, value, want[key]))
    result, have = want["result"], state["result"]
    if result is None or have is None:
        if result != have:
            problems.append("%s: result runtime=%r twisted=%r" % (name, have, result))
    elif any(have.get(k) != v for k, v in result.items()):
        problems.append("%s: result runtime=%r twisted=%r" % (name, have, result))
    return problems


def mismatches(deferreds: Deferreds, states: Optional[Mapping[int, dict]] = None) -> list[str]:
    """Every difference between Twisted's attributes and the runtime's states, as readable
    lines ("b: callbacks runtime=1 twisted=0"); empty when they agree."""
    states = snapshot_states() if states is None else states
    problems: list[str] = []
    for name, d in _named(deferreds).items():
        did = deferred_graph.id_of(d)
        state = states.get(did) if did is not None else None
        if state is None:
            problems.append("%s: no state for id %r" % (name, did))
            continue
        problems.extend(compare(name, truth(d), state))
    return problems


def assert_parity(
    deferreds: Deferreds, states: Optional[Mapping[int, dict]] = None, context: Any = ""
) -> None:
    """Fail with every mismatch listed (and ``context``, e.g. the step that led here)."""
    problems = mismatches(deferreds, states)
    if problems:
        raise AssertionError("parity broken %s:\n  %s" % (context, "\n  ".join(problems)))


class Runtime:
    """An installed runtime without a sender, for tests: drain its events into a replay and
    check both the replayed stream and a fresh snapshot against Twisted after each step."""

    def __init__(self) -> None:
        from replay import Replay

        # A runtime left installed by an earlier test may have a sender whose pump drains events
        # the replay below must see: start from a runtime of our own, without one.
        deferred_graph.uninstall()
        # Earlier tests' garbage (Deferreds in cycles) would otherwise be found by install's scan
        # and reported collected in the middle of this test.
        gc.collect()
        if not deferred_graph.install(start_sender=False):
            raise RuntimeError("install failed: %s" % deferred_graph.last_error)
        emitter = deferred_graph.emitter()
        assert emitter is not None
        self.emitter = emitter
        self.replay = Replay()
        # The first events drained, kept for a replay by another consumer (the TS model).
        self.log: list[dict] = []
        self.log_limit = 0

    def drain(self) -> list[dict]:
        events = self.emitter.drain()
        self.replay.apply(events)
        if events and len(self.log) < self.log_limit:
            self.log.append(wire.make_batch(os.getpid(), len(self.log) + 1, events))
        return events

    def check(self, deferreds: Deferreds, context: Any = "") -> None:
        """Both views (events replayed, snapshot) agree with Twisted."""
        self.drain()
        assert_parity(deferreds, self.replay.states, ("(events) %s" % (context,)))
        assert_parity(deferreds, None, ("(snapshot) %s" % (context,)))

    def state(self, d: Deferred) -> dict:
        """The replayed state of ``d`` after draining."""
        self.drain()
        return self.replay.states[deferred_graph.id_of(d)]

    def close(self) -> None:
        deferred_graph.uninstall()
