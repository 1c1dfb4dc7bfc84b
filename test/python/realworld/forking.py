"""A forking program: Deferreds pending across fork, fired in the parent and in the child; the
child runs a small reactor of its own, and the parent waits for it before printing on (output
order is fixed)."""

import os
import sys

from twisted.internet import defer

pending = [defer.Deferred() for _ in range(20)]
for i, d in enumerate(pending):
    d.addCallback(lambda x, i=i: x + i)
fired_before = [defer.succeed(i) for i in range(10)]


def child():
    from twisted.internet import reactor, task

    for d in pending[:10]:
        d.callback(100)
    results = []

    @defer.inlineCallbacks
    def work():
        for i in range(5):
            results.append((yield task.deferLater(reactor, 0, lambda i=i: i * i)))
        reactor.stop()

    reactor.callWhenRunning(work)
    reactor.run()
    print("child", sum(d.result for d in pending[:10]), results)
    sys.stdout.flush()
    sys.exit(3)


def main():
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        child()
    _, status = os.waitpid(pid, 0)
    print("child exit", os.waitstatus_to_exitcode(status))
    for d in pending[10:]:
        d.callback(1)
    print(
        "parent",
        sum(d.result for d in pending[10:]),
        "still pending",
        sum(not d.called for d in pending),
    )


if __name__ == "__main__":
    main()
