"""autobahn WebSockets over loopback (port 0): an echo server and a client sending text and
binary messages, waiting for each echo on a Deferred, then closing cleanly."""

from autobahn.twisted.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from programs import run
from twisted.internet import defer, reactor


class Echo(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        self.sendMessage(payload[::-1] if isBinary else payload.upper(), isBinary)


class Client(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.opened.callback(self)

    def onMessage(self, payload, isBinary):
        self.waiting.pop(0).callback((payload, isBinary))

    def ask(self, payload, isBinary=False):
        d = defer.Deferred()
        self.waiting.append(d)
        self.sendMessage(payload, isBinary)
        return d

    def onClose(self, wasClean, code, reason):
        self.factory.closed.callback((wasClean, code))


@defer.inlineCallbacks
def main():
    server = WebSocketServerFactory()
    server.protocol = Echo
    port = reactor.listenTCP(0, server, interface="127.0.0.1")
    url = "ws://127.0.0.1:%d" % port.getHost().port
    client = WebSocketClientFactory(url)
    client.protocol = Client
    client.opened, client.closed = defer.Deferred(), defer.Deferred()
    reactor.connectTCP("127.0.0.1", port.getHost().port, client)
    proto = yield client.opened
    proto.waiting = []
    answers = []
    for i in range(30):
        answers.append((yield proto.ask(("message %d" % i).encode())))
    binary = yield defer.gatherResults([proto.ask(bytes([i, 1, 2]), True) for i in range(10)])
    print("text", answers[0], answers[-1])
    print("binary", binary[:2])
    proto.sendClose(1000)
    print("closed", (yield client.closed))
    yield port.stopListening()


if __name__ == "__main__":
    run(main)
