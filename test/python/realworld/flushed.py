"""The harness's own check: every Deferred here changes state only before a synchronous flush
(``deferred_graph.flush()`` under the runtime; nothing when run plain) and dies after it, so the
runtime has seen each final state and the final view must equal the truth at death — any
discrepancy left would be the harness's.  Covers refcount and cycle deaths, a Failure (handled
and unhandled), a Deferred result, one waiting on another, a DeferredList, a cancelled one."""

import gc

from twisted.internet import defer

try:
    from deferred_graph import flush
except ImportError:  # run plain

    def flush():
        pass


class Cycle:
    def __init__(self, d):
        self.d = d
        d.addCallback(lambda _: self)


def main():
    inner, outer = defer.Deferred(), defer.Deferred()
    outer.addCallback(lambda _, inner=inner: inner)
    outer.callback("start")  # outer waits on inner
    handled = defer.fail(KeyError("handled"))
    handled.addErrback(lambda f: "recovered")
    unhandled = defer.fail(ValueError("nobody handles me"))
    members = [defer.succeed(i) for i in range(3)]
    together = defer.DeferredList(members)
    cancelled = defer.Deferred()
    cancelled.cancel()
    cancelled.addErrback(lambda f: f.type.__name__)
    pending = defer.Deferred()
    pending.addCallback(lambda x: x)
    cycles = [Cycle(defer.Deferred()) for _ in range(20)]
    for c in cycles[::2]:
        c.d.callback(1)
    flush()
    del inner, outer, handled, unhandled, members, together, cancelled, pending, cycles
    gc.collect()
    print("done")


if __name__ == "__main__":
    main()
