"""What a program can see of an observer: how deep inlineCallbacks, coroutines and callbacks
recurse before RecursionError (limits counted from the program's module frame), the traceback
of a failing chain, and which threads run a result's ``__repr__`` (only the program's own
threads may: an observer must not run user code on a thread of its own).  Results are held
across a few hundred reactor turns, so any sender thread has had its chances to read them."""

import gc
import sys
import threading
import traceback

from programs import run
from twisted.internet import defer, reactor, task

REPR_THREADS = set()


def _stack_depth():
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


# Frames below the program's own module (a launcher's; ``python SCRIPT`` and
# ``python -m deferred_graph run`` have none) are not the observer's doing: limits are set
# relative to this depth.
BASE_DEPTH = _stack_depth()


class Watched:
    def __repr__(self):
        REPR_THREADS.add(threading.current_thread().name)
        return "<Watched>"


@defer.inlineCallbacks
def down(n):
    if n == 0:
        return 0
    below = yield down(n - 1)
    return below + 1


async def down_coroutine(n):
    if n == 0:
        return 0
    return (await defer.ensureDeferred(down_coroutine(n - 1))) + 1


def callback_depth(_):
    def dive(n):
        try:
            return dive(n + 1)
        except RecursionError:
            return n

    return dive(0)


def first_failing(make):
    """The smallest depth whose Deferred fails with RecursionError."""
    n = 1
    while True:
        d = make(n)
        failed = []
        d.addErrback(lambda f, failed=failed: failed.append(f.type))
        if failed:
            return n, failed[0].__name__
        n += 1


def failing_chain():
    d = defer.succeed(1)
    d.addCallback(lambda x: x / 0)
    d.addErrback(lambda f: print("chain traceback:\n" + f.getTraceback()))


@defer.inlineCallbacks
def main():
    sys.setrecursionlimit(BASE_DEPTH + 300)
    print("inlineCallbacks fails at", first_failing(down))
    print("coroutines fail at", first_failing(lambda n: defer.ensureDeferred(down_coroutine(n))))
    # The coroutine left unawaited at the limit is garbage in a cycle; its RuntimeWarning names
    # the line where a collection happens to free it, and when the collector runs depends on
    # every allocation (the runtime's own entries count too: README, known limits). Collected
    # here, both runs name this line.
    gc.collect()
    print("callback dives", defer.succeed(None).addCallback(callback_depth).result)
    sys.setrecursionlimit(1000)
    failing_chain()
    try:
        yield defer.fail(KeyError("in main"))
    except KeyError:
        print("caught in main:", "".join(traceback.format_exc().splitlines(True)[-3:]))
    held = [defer.succeed(Watched()) for _ in range(20)]
    for _ in range(300):
        yield task.deferLater(reactor, 0.001, lambda: None)
    print("held", len(held), "threads that ran __repr__:", sorted(REPR_THREADS - {"MainThread"}))


if __name__ == "__main__":
    run(main)
