"""The runtime's state of Deferreds equals Twisted's own, step by step, on both Twisted versions:
the notebook's experiments, DeferredList, inlineCallbacks, coroutines, deferLater, cancellation,
unhandled failures at collection and hostile result reprs."""

from __future__ import annotations

import gc
import warnings

import pytest
from twisted.internet import defer, task

import deferred_graph
from parity import Runtime, snapshot_states


@pytest.fixture
def rt():
    runtime = Runtime()
    yield runtime
    runtime.close()


def _b_callback_for(b):
    def b_callback(arg):
        return b

    return b_callback


def on_done(arg):
    return arg


def test_experiment_3a_b_result_becomes_none(rt):
    """Experiment 3.a: a waits on b; after b fires, a consumes b's result and b.result is None."""
    a, b = defer.Deferred(), defer.Deferred()
    a.addCallback(_b_callback_for(b)).addCallback(on_done)
    rt.check({"a": a, "b": b}, "after addCallback")
    assert len(rt.state(a)["callbacks"]) == 2
    a.callback(3)
    rt.check({"a": a, "b": b}, "after a.callback(3)")
    assert rt.state(a)["waitingOn"] == deferred_graph.id_of(b)
    assert rt.state(b)["callbacks"][0]["continues"] == deferred_graph.id_of(a)
    b.callback(4)
    rt.check({"a": a, "b": b}, "after b.callback(4)")
    assert rt.state(b)["result"]["repr"] == "None"
    assert rt.state(a)["result"]["repr"] == "4"


def test_experiment_3b_opposite_order(rt):
    """Experiment 3.b: b fires first; a's callback returns the fired b and steals its result."""
    a, b = defer.Deferred(), defer.Deferred()
    a.addCallback(_b_callback_for(b)).addCallback(on_done)
    b.callback(4)
    rt.check({"a": a, "b": b}, "after b.callback(4)")
    assert rt.state(b)["result"]["repr"] == "4"
    a.callback(3)
    rt.check({"a": a, "b": b}, "after a.callback(3)")
    assert rt.state(b)["result"]["repr"] == "None" and rt.state(a)["result"]["repr"] == "4"


def test_deferred_list_members_and_firing(rt):
    """Experiment 4: a DeferredList lists its members and fires when all have."""
    ds = [defer.Deferred() for _ in range(3)]
    join = defer.DeferredList(ds)
    join.addCallback(on_done)
    rt.check(ds + [join])
    assert rt.state(join)["members"] == [deferred_graph.id_of(d) for d in ds]
    for i, d in enumerate(ds):
        d.callback(i)
        rt.check(ds + [join], "member %d fired" % i)
    assert rt.state(join)["called"] is True


def test_a_deferred_inside_a_result_prints_by_identity_and_never_goes_stale(rt):
    """A result holding a Deferred (here a fireOnOneCallback DeferredList's (result, index)
    whose result is itself a Deferred) shows it as ``<Deferred at 0x...>``: Twisted's repr of
    the inner one changes when it fires, which the holder's captured text could not follow.
    The event stream and the snapshot agree before and after the inner one fires."""
    inner, member = defer.Deferred(), defer.Deferred()
    holder = defer.DeferredList([member], fireOnOneCallback=True)
    member.callback(None)
    member.addCallback(lambda _: (inner, "tag"))
    crowd = {"inner": inner, "member": member, "holder": holder}
    rt.check(crowd, "before the inner one fires")
    identity = "<Deferred at 0x%x>" % id(inner)
    assert rt.state(member)["result"]["repr"] == "(%s, 'tag')" % identity
    inner.callback("now with a result")
    assert "current result" in repr(member.result[0])
    rt.check(crowd, "after the inner one fired")
    assert rt.state(member)["result"]["repr"] == "(%s, 'tag')" % identity


def test_pause_chain_and_failure(rt):
    """pause/unpause, chainDeferred and a raising callback are seen as Twisted has them."""
    a, b = defer.Deferred(), defer.Deferred()
    a.pause()
    a.addCallback(lambda r: 1 / 0)
    a.chainDeferred(b)
    rt.check([a, b], "paused + chained")
    assert rt.state(a)["paused"] == 1 and rt.state(b)["waitingOn"] == deferred_graph.id_of(a)
    a.callback(1)
    rt.check([a, b], "fired while paused")
    a.unpause()
    rt.check([a, b], "unpaused")
    assert rt.state(b)["result"]["excType"] == "ZeroDivisionError"
    b.addErrback(lambda f: None)
    rt.check([a, b], "handled")


def test_inline_callbacks_link_and_wait(rt):
    """An inlineCallbacks Deferred knows its generator and the Deferred it awaits now."""
    inner = defer.Deferred()

    @defer.inlineCallbacks
    def worker():
        value = yield inner
        return value + 1

    outer = worker()
    rt.check([outer, inner], "suspended")
    coro = rt.state(outer)["coroutine"]
    assert coro["kind"] == "inlineCallbacks" and coro["name"].endswith("worker")
    assert coro["finished"] is False and coro["waitingOn"] == deferred_graph.id_of(inner)
    inner.callback(41)
    rt.check([outer, inner], "finished")
    state = rt.state(outer)
    assert state["coroutine"]["finished"] is True and state["result"]["repr"] == "42"


@pytest.mark.parametrize("how", ["ensureDeferred", "fromCoroutine"])
def test_coroutine_link(rt, how):
    """ensureDeferred and Deferred.fromCoroutine link the Deferred to the coroutine."""
    inner = defer.Deferred()

    async def fetch():
        return (await inner) * 2

    outer = getattr(defer, how, None) or getattr(defer.Deferred, how)
    outer = outer(fetch())
    rt.check([outer, inner], "awaiting")
    coro = rt.state(outer)["coroutine"]
    assert coro["kind"] == "coroutine" and coro["waitingOn"] == deferred_graph.id_of(inner)
    inner.callback(5)
    rt.check([outer, inner], "done")
    assert rt.state(outer)["coroutine"]["finished"] is True


def test_defer_later_timer(rt):
    """deferLater's DelayedCall is reported while pending."""
    clock = task.Clock()
    d = task.deferLater(clock, 2.5, lambda: "x")
    timer = rt.state(d)["timer"]
    assert timer["delay"] == 2.5 and timer["active"] is True
    clock.advance(3)
    rt.check([d], "fired")
    assert rt.state(d)["result"]["repr"] == "'x'"


def test_cancel_is_recorded(rt):
    """cancel() on a pending Deferred marks it cancelled; CancelledError is its failure."""
    d = defer.Deferred()
    d.cancel()
    rt.check([d])
    state = rt.state(d)
    assert state["cancelled"] is True and state["result"]["excType"].endswith("CancelledError")
    d.addErrback(lambda f: None)


def test_unhandled_failure_reported_at_collection(rt):
    """A Deferred dying with an unhandled Failure is reported created+collected with it, even
    when it lived and died between two drains; a handled one given an id (``id_of``) gets a
    row too, without a failure (an id handed out always names a row); one never given an id
    is only counted."""
    rt.drain()
    before = rt.emitter.ephemeral
    d = defer.Deferred()
    d.errback(ValueError("boom"))
    handled = defer.Deferred()
    handled.addErrback(lambda f: None)
    handled.errback(KeyError("k"))
    dead_id, handled_id = deferred_graph.id_of(d), deferred_graph.id_of(handled)
    del d, handled
    gc.collect()
    events = rt.drain()
    # Only these two: garbage left by earlier tests may be collected by the same gc.collect().
    collected = [e for e in events if e["kind"] == "collected" and e["id"] in (dead_id, handled_id)]
    assert sorted(e["id"] for e in collected) == sorted([dead_id, handled_id])
    by_id = {e["id"]: e for e in collected}
    failure = by_id[dead_id]["unhandledFailure"]
    assert failure["excType"] == "ValueError" and failure["message"] == "boom"
    assert by_id[handled_id]["unhandledFailure"] is None
    unseen = defer.Deferred()
    unseen.errback(KeyError("k"))
    unseen.addErrback(lambda f: None)
    del unseen
    gc.collect()
    rt.drain()
    assert rt.emitter.ephemeral == before + 1


class Hostile:
    """A result whose repr fights back."""

    def __init__(self, mode):
        self.mode = mode

    def __repr__(self):
        if self.mode == "raise":
            raise RuntimeError("no repr for you")
        if self.mode == "recurse":
            return repr(self)
        if self.mode == "huge":
            return "x" * 5_000_000
        return 42  # not a string


@pytest.mark.parametrize("mode", ["raise", "recurse", "huge", "notstr"])
def test_hostile_reprs_are_bounded(rt, mode):
    """Reprs that raise, recurse, return megabytes or a non-string never escape or bloat: not
    called while the program runs, and bounded when called at a stop."""
    import json

    d = defer.succeed(Hostile(mode))
    assert rt.state(d)["result"]["repr"] == "<Hostile object>"
    batch = json.loads(deferred_graph.debug_snapshot_json({"d": d}, {}))
    (result,) = [
        s["result"] for s in batch["events"][0]["deferreds"] if s["id"] == deferred_graph.id_of(d)
    ]
    assert len(result["repr"]) <= 300
    assert result["repr"].startswith("<repr failed") == (mode != "huge")
    assert result["truncated"] == (mode == "huge")


def test_huge_container_result(rt):
    """A result holding millions of items is summarised quickly and bounded."""
    d = defer.succeed({i: list(range(10)) for i in range(1_000_000)})
    result = rt.state(d)["result"]
    assert result["typeName"] == "dict" and len(result["repr"]) <= 300


def test_no_deprecation_warning_when_reading(rt):
    """Reading state never touches 26.4's deprecated ``callbacks`` property."""
    d = defer.Deferred()
    d.addCallback(on_done)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rt.drain()
        deferred_graph.snapshot()
        deferred_graph.debug_snapshot_json({"d": d}, {})


def test_frame_names_locals_first_and_containers(rt):
    """debug_snapshot_json names Deferreds by locals, then globals, then one level inside."""
    import json

    a, b, c = defer.Deferred(), defer.Deferred(), defer.Deferred()
    batch = json.loads(
        deferred_graph.debug_snapshot_json(
            {"a": a, "items": [b], "byKey": {"k": c}}, {"g": a, "b2": b}
        )
    )
    names = batch["events"][0]["frameNames"]
    assert names[str(deferred_graph.id_of(a))] == "a"
    assert names[str(deferred_graph.id_of(b))] == "items[0]"
    assert names[str(deferred_graph.id_of(c))] == "byKey['k']"


def test_label_and_marker_order(rt):
    """label() names a Deferred; a marker follows the state it marks."""
    d = defer.Deferred()
    deferred_graph.label(d, "download")
    deferred_graph.mark("step-1")
    events = rt.drain()
    kinds = [e["kind"] for e in events]
    assert kinds.index("created") < kinds.index("marker")
    assert rt.replay.states[deferred_graph.id_of(d)]["label"] == "download"


def test_creation_site_is_user_code(rt):
    """The creation site is the first frame outside defer.py (here: this test)."""
    d = defer.succeed(1)
    created = rt.state(d)["created"]
    assert created["file"] == __file__ and created["function"].endswith(
        "test_creation_site_is_user_code"
    )


def test_concurrent_drains_keep_parity(rt):
    """A pump thread draining while the main thread builds and fires chains loses nothing:
    the replayed stream ends equal to Twisted for every survivor, and all the dead are gone."""
    import threading

    stop = threading.Event()
    batches = []

    def pump():
        while not stop.is_set():
            batches.append(rt.emitter.drain())

    thread = threading.Thread(target=pump)
    thread.start()
    keep = []
    try:
        for i in range(3000):
            a, b = defer.Deferred(), defer.Deferred()
            a.addCallback(_b_callback_for(b)).addCallback(on_done)
            a.callback(i)
            if i % 3:
                b.callback(i)
            if i % 100 == 0:
                keep.extend([a, b])
    finally:
        stop.set()
        thread.join()
    for events in batches:
        rt.replay.apply(events)
    rt.check(keep, "after concurrent drains")
    gc.collect()
    rt.drain()
    live = set(snapshot_states())
    assert {deferred_graph.id_of(d) for d in keep} <= live
    assert set(rt.replay.states) == live


def test_unhandled_error_logged_when_plain_twisted_would(rt):
    """Holding no strong reference, the runtime leaves the "Unhandled error in Deferred" log
    exactly where Twisted puts it: at the moment the last reference goes (no gc needed), even
    after its state has been read, drained and snapshotted."""
    from twisted.python import log

    seen = []

    def observer(event):
        if event.get("isError") and "Unhandled error in Deferred" in str(
            event.get("why") or event.get("log_format") or ""
        ):
            seen.append(event)

    log.addObserver(observer)
    try:
        d = defer.Deferred()
        d.errback(ValueError("nobody handles me"))
        rt.drain()
        deferred_graph.snapshot()
        deferred_graph.debug_snapshot_json({"d": d}, {})
        assert seen == []
        del d
        assert len(seen) == 1
    finally:
        log.removeObserver(observer)


def test_a_row_read_while_the_program_fires_is_one_state_it_was_in(rt):
    """A drain on another thread reads a Deferred while the program's thread fires it: each
    row read must be a state the Deferred passed through, never a mix of two (``hasResult``
    read before the fire and ``result`` after, or a result without ``called``).  Many switches
    between the threads make the interleaving likely: this failed on a Scrapy crawl in CI."""
    import sys
    import threading

    stop = threading.Event()
    mixed = []

    def pump():
        while not stop.is_set():
            for event in rt.emitter.drain():
                state = event.get("deferred")
                if not state:
                    continue
                if state["hasResult"] != (state["result"] is not None) or (
                    state["hasResult"] and not state["called"]
                ):
                    mixed.append(state)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread = threading.Thread(target=pump)
    thread.start()
    try:
        pending = []
        for i in range(20000):
            d = defer.Deferred()
            d.addCallback(on_done)
            pending.append(d)
            if len(pending) > 50:
                for p in pending:
                    p.callback(i)
                pending = []
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    assert mixed == []
