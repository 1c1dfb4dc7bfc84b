"""Why is it pending: a scenario per ``blockedBy`` kind (the kind, its key text, its root), the
suspended line of a generator and a coroutine, the classic orphan, who fired a Deferred, and a
Failure's frames.  Every scenario reads a fresh ``snapshot()`` (an analysis, as at a stop)."""

from __future__ import annotations

import inspect
import sys

import pytest
from twisted.internet import defer, task

import deferred_graph
from parity import Runtime

gates: list = []  # module-level holder: "__main__.gates[0]" in a program, "test_why.gates[0]" here


@pytest.fixture
def rt():
    runtime = Runtime()
    yield runtime
    runtime.close()
    gates.clear()


def why(d) -> dict:
    """The state of ``d`` in a fresh snapshot."""
    sid = deferred_graph.id_of(d)
    (event,) = deferred_graph.snapshot()["events"]
    return next(s for s in event["deferreds"] if s["id"] == sid)


def line_of(func, text: str) -> int:
    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_call_later_timer_is_the_root(rt):
    clock = task.Clock()
    d = defer.Deferred()
    clock.callLater(1.8, d.callback, None)
    state = why(d)
    assert state["blockedBy"]["kind"] == "timer"
    assert "in 1.8 s" in state["blockedBy"]["text"] and "callLater" in state["blockedBy"]["text"]
    assert state["root"]["kind"] == "timer" and state["root"]["ids"] == [state["id"]]
    clock.advance(5)
    after = why(d)
    assert after["blockedBy"] is None and after["firedBy"]["function"].endswith("advance")


def _on_done():
    return 1


def test_defer_later_names_its_function_and_is_overdue_when_late(rt):
    clock = task.Clock()
    d = task.deferLater(clock, 2, _on_done)
    chained = defer.Deferred()
    chained.addCallback(lambda _: d)
    chained.callback(None)
    state = why(chained)
    assert state["blockedBy"]["kind"] == "deferred" and state["blockedBy"]["ids"] == [why(d)["id"]]
    root = state["root"]
    assert (
        root["kind"] == "timer"
        and "deferLater(_on_done)" in root["text"]
        and "in 2.0 s" in root["text"]
    )
    assert root["ids"] == [state["id"], why(d)["id"]]
    d.cancel()  # cleanup: never fires otherwise
    chained.addErrback(lambda f: None)


def test_add_timeout_and_looping_call_are_timers(rt):
    clock = task.Clock()
    d = defer.Deferred()
    d.addTimeout(30, clock)
    assert why(d)["blockedBy"]["kind"] == "timer" and "addTimeout" in why(d)["blockedBy"]["text"]
    loop = task.LoopingCall(lambda: None)
    loop.clock = clock
    done = loop.start(0.5, now=False)
    state = why(done)
    assert state["blockedBy"]["kind"] == "timer" and "LoopingCall" in state["blockedBy"]["text"]
    loop.stop()
    d.cancel()
    d.addErrback(lambda f: None)


def test_deferred_list_counts_fired_members_and_roots_in_the_first_unfired(rt):
    clock = task.Clock()
    first, second = defer.succeed(1), defer.Deferred()
    clock.callLater(3, second.callback, 2)
    join = defer.DeferredList([first, second])
    state = why(join)
    assert state["blockedBy"]["kind"] == "list" and state["blockedBy"]["text"] == "1 of 2 fired"
    assert state["blockedBy"]["ids"] == [why(second)["id"]]
    assert state["root"]["kind"] == "timer" and state["root"]["ids"][-1] == why(second)["id"]
    clock.advance(3)


def test_inline_callbacks_generator_shows_its_yield_line(rt):
    gates.append(defer.Deferred())

    @defer.inlineCallbacks
    def waiter():
        yield gates[0]

    d = waiter()
    state = why(d)
    blocked = state["blockedBy"]
    assert blocked["kind"] == "generator" and blocked["ids"] == [why(gates[0])["id"]]
    assert blocked["location"]["line"] == line_of(waiter, "yield gates[0]")
    assert "waiter" in blocked["text"]
    assert state["root"]["kind"] == "unknown" and "test_why.gates[0]" in state["root"]["text"]
    gates[0].callback(None)


def test_async_def_coroutine_shows_its_await_line(rt):
    clock = task.Clock()

    async def fetch():
        await task.deferLater(clock, 1, lambda: 42)

    d = defer.ensureDeferred(fetch())
    state = why(d)
    assert state["blockedBy"]["kind"] == "generator"
    assert state["blockedBy"]["location"]["line"] == line_of(fetch, "await task.deferLater")
    assert state["root"]["kind"] == "timer"
    clock.advance(1)


def test_classic_orphan_a_callback_returns_a_deferred_nothing_fires(rt):
    outer = defer.Deferred()
    outer.addCallback(lambda _: defer.Deferred())
    outer.callback(None)
    state = why(outer)
    assert state["blockedBy"]["kind"] == "deferred"
    inner_id = state["blockedBy"]["ids"][0]
    (event,) = deferred_graph.snapshot()["events"]
    inner = next(s for s in event["deferreds"] if s["id"] == inner_id)
    assert inner["blockedBy"]["kind"] == "orphan", inner["blockedBy"]
    assert state["root"]["kind"] == "orphan" and state["root"]["ids"] == [state["id"], inner_id]


def test_a_deferred_someone_holds_is_never_an_orphan(rt):
    class Holder:
        pass

    holder = Holder()
    holder.deferred = defer.Deferred()
    outer = defer.Deferred()
    outer.addCallback(lambda _: holder.deferred)
    outer.callback(None)
    state = why(holder.deferred)
    assert state["blockedBy"]["kind"] == "unknown"
    assert "Holder.deferred" in state["blockedBy"]["text"] or "local" in state["blockedBy"]["text"]
    local = defer.Deferred()
    assert why(local)["blockedBy"]["kind"] == "unknown"  # a local of this frame


def test_lock_semaphore_and_queue_waiters(rt):
    lock = defer.DeferredLock()
    lock.acquire()
    second = lock.acquire()
    assert why(second)["blockedBy"]["kind"] == "lock"
    assert "DeferredLock waiter 1 of 1 in line · lock held" in why(second)["blockedBy"]["text"]
    sem = defer.DeferredSemaphore(1)
    sem.acquire()
    waiting = sem.acquire()
    assert (
        why(waiting)["blockedBy"]["kind"] == "lock"
        and "Semaphore" in why(waiting)["blockedBy"]["text"]
    )
    queue = defer.DeferredQueue()
    get = queue.get()
    assert (
        why(get)["blockedBy"]["kind"] == "queue"
        and "DeferredQueue.get()" in why(get)["blockedBy"]["text"]
    )
    lock.release()
    sem.release()
    queue.put(1)


def test_cooperator_slot_links_the_deferred_it_runs(rt):
    clock = task.Clock()
    work = [defer.Deferred() for _ in range(2)]
    coop = task.Cooperator(scheduler=lambda f: clock.callLater(0, f), started=True)
    slot = coop.coiterate(iter(work))
    clock.advance(0)  # one tick: the task takes the first Deferred and waits on it
    state = why(slot)  # coiterate's Deferred is chained to the task's whenDone() Deferred
    (event,) = deferred_graph.snapshot()["events"]
    done = next(s for s in event["deferreds"] if s["id"] == state["blockedBy"]["ids"][0])
    assert done["blockedBy"]["kind"] == "queue", done["blockedBy"]
    assert "Cooperator task over list_iterator" in done["blockedBy"]["text"]
    assert done["blockedBy"]["ids"] == [why(work[0])["id"]]
    assert state["root"]["ids"] == [state["id"], done["id"], why(work[0])["id"]]
    for d in work:
        d.callback(None)
        clock.advance(0)
    clock.advance(1)


def test_fired_by_callback_errback_and_both_callers_of_already_called(rt):
    d = defer.Deferred()
    d.callback(1)
    fired_line = sys._getframe().f_lineno - 1
    with pytest.raises(defer.AlreadyCalledError):
        d.callback(2)
    again_line = sys._getframe().f_lineno - 1
    rt.drain()
    state = why(d)
    assert state["firedBy"]["line"] == fired_line and state["firedBy"]["function"].endswith(
        "callers_of_already_called"
    )
    assert state["firedAgainBy"]["line"] == again_line
    e = defer.Deferred()
    e.errback(ValueError("no"))
    assert why(e)["firedBy"]["line"] == sys._getframe().f_lineno - 1
    e.addErrback(lambda f: None)


def test_the_deferred_running_its_callbacks_is_marked_running(rt):
    seen = []
    d = defer.Deferred()
    d.addCallback(lambda _: seen.append(why(d)["running"]))
    d.callback(None)
    assert seen == [True] and why(d)["running"] is False


def _inner_boom():
    raise KeyError("missing")


def _raising_callback(_):
    _inner_boom()


def test_a_failure_has_its_frames_and_the_callback_that_raised(rt):
    d = defer.Deferred()
    d.addCallback(_raising_callback)
    d.callback(None)
    result = why(d)["result"]
    assert result["excType"] == "KeyError"
    names = [f["function"] for f in result["frames"]]
    assert names[-2:] == ["_raising_callback", "_inner_boom"]
    assert result["frames"][-1]["line"] == line_of(_inner_boom, "raise KeyError")
    assert result["raisedBy"]["function"] == "_raising_callback"
    d.addErrback(lambda f: None)
