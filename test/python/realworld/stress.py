"""Stress: what a busy Twisted program does to Deferreds, in sizes that overflow any buffer.

5,000 callbacks on one Deferred, 10,000 already-fired returns, 5,000 nested chains, gc storms
of Deferreds in reference cycles, hostile result reprs, and 8 threads each running Deferreds of
their own.  Prints a deterministic summary (each count is fixed by the program)."""

import gc
import sys
import threading

from twisted.internet import defer


def many_callbacks(n=5000):
    d = defer.Deferred()
    for _ in range(n):
        d.addCallback(lambda x: x + 1)
    d.callback(0)
    held = defer.Deferred()  # stays pending with all its callbacks
    for _ in range(n):
        held.addCallback(lambda x: x)
    return d.result, held


def already_fired(n=10000):
    total = []
    for i in range(n):
        defer.succeed(i).addCallback(total.append)
    return len(total)


def nested_chains(depth=5000):
    """Each Deferred's callback returns the next one, fired later: Twisted's chaining loop."""
    chain = [defer.Deferred() for _ in range(depth)]
    for outer, inner in zip(chain, chain[1:]):
        outer.addCallback(lambda _, inner=inner: inner)
    chain[0].callback("start")
    for d in reversed(chain[1:]):
        d.callback("leaf")
    last = []
    chain[0].addCallback(last.append)
    return last[0]


class Cycle:
    def __init__(self):
        self.me = self
        self.d = defer.Deferred()
        self.d.addCallback(lambda _: self)


def gc_storm(rounds=40, size=250):
    collected = 0
    for r in range(rounds):
        batch = [Cycle() for _ in range(size)]
        for i, c in enumerate(batch):
            if i % 3 == 0:
                c.d.callback(r)
            elif i % 3 == 1:
                c.d.errback(KeyError(i))
                c.d.addErrback(lambda f: None)
        del batch
        collected += gc.collect()
    return collected > 0


class RaisingRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


class HugeRepr:
    def __repr__(self):
        return "x" * 1_000_000


class NotAString:
    def __repr__(self):
        return 42


class SlowRepr:
    def __repr__(self):
        return "<slow %s>" % ("y" * 10)


def hostile_reprs():
    kept = []
    for value in (RaisingRepr(), HugeRepr(), NotAString(), SlowRepr(), list(range(100000))):
        kept.append(defer.succeed(value))
    recursive = []
    recursive.append(recursive)
    kept.append(defer.succeed(recursive))
    kept.append(defer.succeed({"k%d" % i: i for i in range(1000)}))
    return kept


def threaded(workers=8, each=2000):
    results = [0] * workers

    def work(index):
        for i in range(each):
            d = defer.Deferred()
            d.addCallback(lambda x: x * 2)
            d.callback(i)
            results[index] += d.result

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main():
    sys.setrecursionlimit(20000)
    result, held = many_callbacks()
    print("5,000 callbacks:", result, "pending on the held one:", len(held.callbacks))
    print("already fired:", already_fired())
    print("nested chains:", nested_chains())
    print("gc storm collected something:", gc_storm())
    kept = hostile_reprs()
    print("hostile reprs kept:", len(kept))
    print("threads:", threaded())
    print("done")
    return held, kept


if __name__ == "__main__":
    keep = main()
