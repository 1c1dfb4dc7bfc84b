"""What the real-world programs share: running one ``main()`` on the reactor, and the local
servers' bits (a port nobody listens on, finishing the requests left hanging)."""

from twisted.internet import defer, reactor


def run(main):
    """Run ``main()`` (a Deferred-returning function) on the reactor; a failure is printed."""
    d = defer.maybeDeferred(main)
    d.addErrback(lambda f: print("main failed:", f.getTraceback()))
    d.addBoth(lambda _: reactor.stop())
    reactor.run()


@defer.inlineCallbacks
def refused_port(factory):
    """A loopback port that was listening and no longer is: connecting to it is refused."""
    closed = reactor.listenTCP(0, factory, interface="127.0.0.1")
    number = closed.getHost().port
    yield closed.stopListening()
    return number


def finish_hanging(requests):
    """Finish the server requests the client gave up on (timeouts, cancellations)."""
    for request in requests:
        if not request.finished and not request._disconnected:
            request.finish()
