"""What "why" costs at a stop: ``blockedBy``/``root`` for 1,000 pending Deferreds.

The program: 1,000 pending Deferreds of every shape an analysis meets — deferLater timers,
Deferreds chained on them, DeferredLists, inlineCallbacks generators, orphans (a callback
returned a Deferred nothing fires) and Deferreds held in a program dict — in an interpreter
with Twisted and its reactor imported (~65,000 objects).  Measured: one ``why.Analysis`` as a
stop runs it (``at_stop``: frames read too), and the whole stop snapshot (analysis + every
state), in CPU time (``process_time``: the machine is shared, and wall time mostly measures
the neighbours), best and median of 15.

    python why_stop.py [--json]
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))

import deferred_graph  # noqa: E402
from deferred_graph.why import Analysis  # noqa: E402

RUNS = 15


def build() -> tuple[dict[int, object], list[object]]:
    from twisted.internet import defer, reactor, task  # noqa: F401  (the reactor's heap too)

    clock = task.Clock()
    keep: dict[int, object] = {}
    outers: list[object] = []

    @defer.inlineCallbacks
    def waits(box):
        yield box.pop()

    for i in range(1000):
        kind = i % 5
        if kind == 0:
            keep[i] = task.deferLater(clock, i, lambda: None)
        elif kind == 1:
            a = defer.Deferred()
            a.addCallback(lambda _, b=keep[i - 1]: b)
            a.callback(None)
            keep[i] = a
        elif kind == 2:
            keep[i] = defer.DeferredList([keep[i - 2], keep[i - 1]])
        elif kind == 3:
            keep[i] = waits([keep[i - 3]]) if i % 10 == 3 else defer.Deferred()
        else:
            d = defer.Deferred()
            d.addCallback(lambda _: defer.Deferred())
            d.callback(None)
            outers.append(d)
    return keep, outers


def measure() -> dict[str, object]:
    assert deferred_graph.install(start_sender=False)
    keep, outers = build()
    registry = deferred_graph._runtime.registry  # type: ignore[union-attr]
    deferred_graph.snapshot("stop")  # takes them in: an analysis before it would find none
    analysis, snapshot = [], []
    for _ in range(RUNS):
        start = time.process_time()
        Analysis(registry, at_stop=True)
        analysis.append((time.process_time() - start) * 1000)
        start = time.process_time()
        batch = deferred_graph.snapshot("stop")
        snapshot.append((time.process_time() - start) * 1000)
    (event,) = batch["events"]
    kinds: dict[str, int] = {}
    for state in event["deferreds"]:
        if state["root"]:
            kinds[state["root"]["kind"]] = kinds.get(state["root"]["kind"], 0) + 1
    pending = sum(kinds.values())
    return {
        "pending": pending,
        "objects": len(gc.get_objects()),
        "rootKinds": kinds,
        "analysisMs": {"best": min(analysis), "median": statistics.median(analysis)},
        "snapshotMs": {"best": min(snapshot), "median": statistics.median(snapshot)},
        "load": os.getloadavg()[0],
        "keep": len(keep) + len(outers),
    }


if __name__ == "__main__":
    result = measure()
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        a, s = result["analysisMs"], result["snapshotMs"]
        print(
            "%d pending (%d objects): analysis best %.1f ms, median %.1f ms; stop snapshot best"
            " %.1f ms, median %.1f ms; load %.1f; roots %s"
            % (
                result["pending"],
                result["objects"],
                a["best"],  # type: ignore[index]
                a["median"],  # type: ignore[index]
                s["best"],  # type: ignore[index]
                s["median"],  # type: ignore[index]
                result["load"],
                result["rootKinds"],
            )
        )
