"""The Deferred poetry client from "Twisted Introduction" (seed 003, client 4.0).

``get_poetry(host, port)`` returns a Deferred that fires with the poem once the server closes
the connection, or fails when the connection cannot be made.  ``poetry_main`` asks every server
at once and stops the reactor when each Deferred has fired one way or the other.

In the graph: "poem 1", "poem 2"... (one Deferred per server).
Run: ``python poetry_client.py [--wait SECONDS] [HOST:]PORT ...``; exit status 0 when every
poem arrived, 1 when one failed.  ``--wait`` retries a refused connection for that long (useful
when the server is started at the same moment).
"""

import argparse
import sys
import time

from twisted.internet import defer, reactor
from twisted.internet.protocol import ClientFactory, Protocol

from graph_hooks import label, mark


class PoetryProtocol(Protocol):
    poem = b""

    def dataReceived(self, data):
        self.poem += data

    def connectionLost(self, reason):
        self.poemReceived(self.poem)

    def poemReceived(self, poem):
        self.factory.poem_finished(poem)


class PoetryClientFactory(ClientFactory):
    protocol = PoetryProtocol

    def __init__(self, deferred, wait_until=0.0):
        self.deferred = deferred
        self.wait_until = wait_until

    def poem_finished(self, poem):
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.callback(poem.decode("utf-8"))

    def clientConnectionFailed(self, connector, reason):
        if time.monotonic() < self.wait_until:  # the server may still be starting
            reactor.callLater(0.1, connector.connect)
        elif self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(reason)


def get_poetry(host, port, wait=0.0):
    """Download a poem from the given host and port; return a Deferred of its text."""
    d = defer.Deferred()
    factory = PoetryClientFactory(d, time.monotonic() + wait)
    reactor.connectTCP(host, port, factory)
    return d


def parse_args():
    parser = argparse.ArgumentParser(description="Download poems from poetry servers.")
    parser.add_argument("addresses", nargs="+", metavar="[HOST:]PORT")
    parser.add_argument(
        "--wait", type=float, default=0.0, help="retry refused connections for this many seconds"
    )
    options = parser.parse_args()
    addresses = []
    for address in options.addresses:
        host, _, port = address.rpartition(":")
        if not port.isdigit():
            parser.error("%r is not [HOST:]PORT" % address)
        addresses.append((host or "127.0.0.1", int(port)))
    return addresses, options.wait


def poetry_main():
    addresses, wait = parse_args()
    poems = []
    errors = []

    def got_poem(poem):
        poems.append(poem)

    def poem_failed(err):
        print("Poem failed:", err.getErrorMessage(), file=sys.stderr)
        errors.append(err)

    def poem_done(_):
        mark("poem-done/%d" % (len(poems) + len(errors)))
        if len(poems) + len(errors) == len(addresses):
            reactor.stop()

    for number, (host, port) in enumerate(addresses, 1):
        d = label(get_poetry(host, port, wait), "poem %d" % number)
        d.addCallbacks(got_poem, poem_failed)
        d.addBoth(poem_done)
    mark("requested")

    reactor.run()

    for poem in poems:
        print(poem)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(poetry_main())
