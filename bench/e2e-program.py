"""The debuggee of bench/e2e-latency.mjs: Deferreds whose changes the benchmark times in VS Code.

``events N``: every 250 ms a new Deferred labelled "probe I" is created and, 100 ms later, fired
with the wall-clock time in milliseconds at the moment it fires; the benchmark reads that number
in the painted row, so (paint time - result) is the event-to-painted latency.

``stop N``: creates N Deferreds (two thirds in pairs where one waits on the other, the rest
fired), then ``probe``, then reaches the line with the "BREAK stop" marker comment; the benchmark times
the debugger's stop until the view shows ``probe`` by its variable name (only the exact snapshot
taken at the stop carries frame names).
"""

import sys
import time
from typing import List

from twisted.internet import defer, reactor

try:
    from deferred_graph import label
except ImportError:  # outside the debugger the benchmark program still runs
    def label(d, name):  # type: ignore[no-redef]
        pass


def events(count: int) -> None:
    """Creates and fires one labelled probe per 250 ms, then stops the reactor."""
    keep: List[defer.Deferred] = []

    def fire(d: defer.Deferred) -> None:
        d.callback(int(time.time() * 1000))

    def step(i: int) -> None:
        if i == count:
            reactor.callLater(0.5, reactor.stop)
            return
        d = defer.Deferred()
        label(d, "probe %d" % i)
        keep.append(d)
        reactor.callLater(0.1, fire, d)
        reactor.callLater(0.25, step, i + 1)

    reactor.callLater(1.0, step, 0)
    reactor.run()


def stop(count: int) -> None:
    """Builds `count` Deferreds in mixed states, then stops at the BREAK line."""
    keep: List[defer.Deferred] = []
    for i in range(count // 3):
        outer, inner = defer.Deferred(), defer.Deferred()
        outer.addCallback(lambda _, inner=inner: inner)
        outer.callback(i)  # outer now waits on inner
        keep += [outer, inner]
    keep += [defer.succeed(i) for i in range(count - len(keep))]
    probe = defer.Deferred()
    probe.addCallback(print)
    print("built", len(keep) + 1, "Deferreds", flush=True)
    pass  # BREAK stop
    del keep, probe


if __name__ == "__main__":
    {"events": events, "stop": stop}[sys.argv[1]](int(sys.argv[2]))
