"""The poetry server from "Twisted Introduction" (seed 003): serves a poem to whoever connects.

A ``PoetryFactory`` holds the poem; for every connection it builds a ``PoetryProtocol`` that
writes the poem and closes the connection.  With ``--num-bytes`` and ``--delay`` it sends the
poem slowly, a few bytes at a time, like the book's slow poetry server, so a client's Deferred
stays pending long enough to watch.

Run: ``python poetry_server.py [--port PORT] [--num-bytes N --delay SECONDS] [--serve N] [POEM]``
Port 0 (the default) picks a free port; the server prints "Serving POEM on 127.0.0.1:PORT.".
"""

import argparse
import os

from twisted.internet import reactor, task
from twisted.internet.protocol import Protocol, ServerFactory

DEFAULT_POEM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "poetry", "sonnet18.txt")


class PoetryProtocol(Protocol):
    def connectionMade(self):
        poem = self.factory.poem
        size = self.factory.num_bytes or len(poem)
        chunks = [poem[i : i + size] for i in range(0, len(poem), size)]
        self.sending = task.LoopingCall(self.send_next, iter(chunks))
        self.sending.start(self.factory.delay)

    def send_next(self, chunks):
        chunk = next(chunks, None)
        if chunk is None:
            self.sending.stop()
            self.transport.loseConnection()
        else:
            self.transport.write(chunk)

    def connectionLost(self, reason):
        if self.sending.running:  # the client hung up early
            self.sending.stop()
        self.factory.finished += 1
        if self.factory.finished == self.factory.serve:  # the last client we were to serve
            reactor.callLater(0, reactor.stop)


class PoetryFactory(ServerFactory):
    protocol = PoetryProtocol

    def __init__(self, poem, num_bytes=0, delay=0.0, serve=0):
        self.poem = poem
        self.num_bytes = num_bytes
        self.delay = delay
        self.serve = serve  # stop after this many connections (0: serve forever)
        self.finished = 0


def parse_args():
    parser = argparse.ArgumentParser(
        description="Serve a poem over TCP, like the book's poetry server."
    )
    parser.add_argument("poem", nargs="?", default=DEFAULT_POEM, help="the poem file to serve")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("POETRY_PORT", "0")),
        help="port to listen on (0: any free port, printed at start)",
    )
    parser.add_argument(
        "--iface", default="127.0.0.1", help="interface to listen on (default loopback)"
    )
    parser.add_argument(
        "--num-bytes", type=int, default=0, help="bytes per write (0: the whole poem)"
    )
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between writes")
    parser.add_argument(
        "--serve", type=int, default=0, help="exit after this many clients (0: never)"
    )
    return parser.parse_args()


def main():
    options = parse_args()
    with open(options.poem, "rb") as poem_file:
        poem = poem_file.read()
    factory = PoetryFactory(poem, options.num_bytes, options.delay, options.serve)
    port = reactor.listenTCP(options.port, factory, interface=options.iface)
    address = port.getHost()
    print(
        "Serving %s on %s:%d." % (os.path.basename(options.poem), address.host, address.port),
        flush=True,
    )
    reactor.run()


if __name__ == "__main__":
    main()
