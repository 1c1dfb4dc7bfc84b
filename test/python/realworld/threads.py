"""Threads and Deferreds: deferToThread (results, exceptions, many at once), deferToThreadPool
on a pool of our own, blockingCallFromThread from a worker back into the reactor (returning a
Deferred the reactor fires later), callMultipleInThread and a DeferredSemaphore limiting the
workers."""

import threading

from programs import run
from twisted.internet import defer, reactor, task, threads
from twisted.python.threadpool import ThreadPool


def square(x):
    return x * x


def broken(x):
    raise ZeroDivisionError("worker %d" % x)


def ask_reactor(x):
    """Runs in a worker: waits on a Deferred the reactor fires a tick later."""
    return threads.blockingCallFromThread(
        reactor, lambda: task.deferLater(reactor, 0, lambda: x + 1000)
    )


@defer.inlineCallbacks
def main():
    squares = yield defer.gatherResults([threads.deferToThread(square, i) for i in range(50)])
    print("squares", sum(squares))
    failures = yield defer.DeferredList(
        [threads.deferToThread(broken, i) for i in range(5)], consumeErrors=True
    )
    print("failures", sorted(str(f.value) for _, f in failures))
    answers = yield defer.gatherResults([threads.deferToThread(ask_reactor, i) for i in range(10)])
    print("from the reactor", answers)
    pool = ThreadPool(2, 4, name="ours")
    pool.start()
    on_pool = yield defer.gatherResults(
        [threads.deferToThreadPool(reactor, pool, square, i) for i in range(20)]
    )
    pool.stop()
    print("own pool", sum(on_pool))
    done = []
    finished = defer.Deferred()

    def note(i):
        done.append(i)
        if len(done) == 3:
            reactor.callFromThread(finished.callback, sorted(done))

    threads.callMultipleInThread([(note, (i,), {}) for i in range(3)])
    print("callMultipleInThread", (yield finished))
    semaphore = defer.DeferredSemaphore(2)
    peak = [0, 0]
    lock = threading.Lock()

    def limited(i):
        with lock:
            peak[0] += 1
            peak[1] = max(peak[1], peak[0])
        with lock:
            peak[0] -= 1
        return i

    limited_results = yield defer.gatherResults(
        [semaphore.run(threads.deferToThread, limited, i) for i in range(12)]
    )
    print("semaphore", sum(limited_results), "at most 2 at once:", peak[1] <= 2)


if __name__ == "__main__":
    run(main)
