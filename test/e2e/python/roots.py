"""Every kind of non-Deferred root of a wait, pending at once, paused in a reactor callback.

``waits["timer"]`` a deferLater timer, ``waits["thread"]`` a deferToThread job (its worker
waiting on an event), ``waits["process"]`` a child process's output, ``waits["connection"]``
a TCP client factory's Deferred, ``waits["lock"]`` the second acquire of a DeferredLock,
``waits["queue"]`` a DeferredQueue getter, and ``waits["orphan"]`` a Deferred whose callback
returned another that nothing can ever fire. The graph view draws each root as a node of its
own kind beside its Deferred, and marks the orphan.
"""

import threading

from twisted.internet import defer, protocol, reactor, task, threads, utils

release = threading.Event()


def hold():
    """The thread job: waits until the program ends (at most a minute)."""
    release.wait(60)


class PoemFactory(protocol.ClientFactory):
    protocol = protocol.Protocol

    def __init__(self):
        self.deferred = defer.Deferred()


def start():
    accept = protocol.Factory.forProtocol(protocol.Protocol)
    server = reactor.listenTCP(0, accept, interface="127.0.0.1")
    factory = PoemFactory()
    reactor.connectTCP("127.0.0.1", server.getHost().port, factory)
    lock = defer.DeferredLock()
    lock.acquire()
    outer = defer.succeed(None)
    outer.addCallback(lambda _: defer.Deferred())
    waits = {
        "timer": task.deferLater(reactor, 600, lambda: None),
        "thread": threads.deferToThread(hold),
        # Not a Python child: debugpy would start a debug session of its own for that.
        "process": utils.getProcessOutput("/bin/sleep", ["30"]),
        "connection": factory.deferred,
        "lock": lock.acquire(),
        "queue": defer.DeferredQueue().get(),
        "orphan": outer,
    }
    reactor.callLater(0.5, paused, waits)
    # However the program ends (the test continues it, or the debugger stops it with SIGTERM),
    # the worker is let go first: the reactor's shutdown joins its threads.
    reactor.addSystemEventTrigger("before", "shutdown", release.set)


def paused(waits):
    try:
        print("all waiting", len(waits), flush=True)  # BREAK roots
    finally:
        # Also when the print fails (the debugger gone, its output with it): the program ends.
        reactor.stop()


reactor.callWhenRunning(start)
reactor.run()
