"""inlineCallbacks, coroutines and deferToThread (seed 004): three ways to wait for a result.

* ``deferToThread`` runs a blocking function (``mysleep``) in Twisted's thread pool and returns
  a Deferred that fires in the reactor thread with the function's return value (seed 004:
  "make synchronous functions non-blocking" — fine for a file or database call, not for
  everything);
* an ``@inlineCallbacks`` generator ``yield``s that Deferred and resumes with its result;
* an ``async def`` coroutine, wrapped by ``defer.ensureDeferred``, ``await``s a deferLater that fires
  after the thread is done.

A DeferredList ("join") stops the reactor when both are done.
In the graph: "inlineCallbacks", "coroutine", "join".
Run: ``python coroutines.py`` (``EXAMPLE_DELAY=0.05`` for a quick run); exit status 0.
"""

import time

from twisted.internet import defer, reactor, task
from twisted.internet.threads import deferToThread

from example_settings import seconds
from graph_hooks import label, mark

DELAY = seconds("EXAMPLE_DELAY", 2.0)


# A synchronous, blocking function: it must not run in the reactor thread.
def mysleep(timeout):
    time.sleep(timeout)
    return 3  # the return value becomes the Deferred's result


@defer.inlineCallbacks
def with_inline_callbacks():
    print("inlineCallbacks: waiting for the thread", flush=True)
    result = yield deferToThread(mysleep, DELAY)
    print("inlineCallbacks: the blocking call is over and returned", result, flush=True)
    mark("thread-done")
    return result * 2


async def with_coroutine():
    print("coroutine: waiting for deferLater", flush=True)
    result = await task.deferLater(reactor, 2 * DELAY, lambda: 42)  # after the thread
    print("coroutine: deferLater fired with", result, flush=True)
    mark("timer-done")
    return result


def main():
    inline = label(with_inline_callbacks(), "inlineCallbacks")
    coroutine = label(defer.ensureDeferred(with_coroutine()), "coroutine")
    join = label(defer.DeferredList([inline, coroutine]), "join")
    join.addCallback(lambda results: print("Both done:", results, flush=True))
    join.addCallback(lambda _: reactor.stop())
    print("You haven't finished, I've done it, haha", flush=True)
    mark("started")
    reactor.run()


if __name__ == "__main__":
    main()
