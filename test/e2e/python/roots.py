"""Every kind of non-Deferred root of a wait, pending at once, paused in a reactor callback.

``waits["timer"]`` a deferLater timer, ``waits["thread"]`` a deferToThread job (its worker
blocked on an event), ``waits["process"]`` a child process's output, ``waits["connection"]``
a TCP client factory's Deferred, ``waits["lock"]`` the second acquire of a DeferredLock,
``waits["queue"]`` a DeferredQueue getter, and ``waits["orphan"]`` a Deferred whose callback
returned another that nothing can ever fire. The graph view draws each root as a node of its
own kind beside its Deferred, and marks the orphan.
"""

import threading

from twisted.internet import defer, protocol, reactor, task, threads, utils

release = threading.Event()


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
        "thread": threads.deferToThread(release.wait),
        # Not a Python child: debugpy would start a debug session of its own for that.
        "process": utils.getProcessOutput("/bin/sleep", ["30"]),
        "connection": factory.deferred,
        "lock": lock.acquire(),
        "queue": defer.DeferredQueue().get(),
        "orphan": outer,
    }
    reactor.callLater(0.5, paused, waits)


def paused(waits):
    print("all waiting", len(waits), flush=True)  # BREAK roots
    release.set()
    reactor.stop()


reactor.callWhenRunning(start)
reactor.run()
