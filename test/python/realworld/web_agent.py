"""A twisted.web site and an Agent client in one process, over loopback (port 0): successful
requests, a redirect, a 404 and a 500, a request that times out (``addTimeout`` on a response
the server never finishes), one cancelled by the client, one refused (a port nobody listens
on), a DeferredList over them, inlineCallbacks and ensureDeferred."""

from programs import finish_hanging, refused_port, run
from twisted.internet import defer, reactor
from twisted.web import resource, server
from twisted.web.client import Agent, RedirectAgent, readBody

HANGING = []  # requests the server never finishes until the end


class Hello(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello " + request.path


class Hang(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        HANGING.append(request)
        return server.NOT_DONE_YET


class Fail(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        raise ValueError("the handler failed")


def site():
    root = resource.Resource()
    root.putChild(b"hello", Hello())
    root.putChild(b"hang", Hang())
    root.putChild(b"fail", Fail())
    root.putChild(b"moved", resource.ForbiddenResource())
    from twisted.web.util import Redirect

    root.putChild(b"redirect", Redirect(b"/hello/again"))
    return server.Site(root)


def describe(failure):
    return "failed: %s" % failure.type.__name__


@defer.inlineCallbacks
def fetch(agent, url):
    response = yield agent.request(b"GET", url)
    body = yield readBody(response)
    return "%d %r" % (response.code, body[:40])


async def fetch_with_timeout(agent, url):
    d = agent.request(b"GET", url)
    d.addTimeout(0.2, reactor)
    try:
        await d
    except defer.TimeoutError:
        return "timed out"
    return "unexpected"


async def cancelled(agent, url):
    d = agent.request(b"GET", url)
    d.addErrback(describe)
    d.cancel()  # at once: while connecting, whatever the resolver does (a thread on 26.4)
    return await d


@defer.inlineCallbacks
def main():
    port = reactor.listenTCP(0, site(), interface="127.0.0.1")
    base = b"http://127.0.0.1:%d" % port.getHost().port
    refused = b"http://127.0.0.1:%d/" % (yield refused_port(server.Site(resource.Resource())))
    agent = RedirectAgent(Agent(reactor))
    calls = [
        fetch(agent, base + b"/hello/world"),
        fetch(agent, base + b"/redirect"),
        fetch(agent, base + b"/missing"),
        fetch(agent, base + b"/fail"),
        fetch(agent, base + b"/moved"),
        defer.ensureDeferred(fetch_with_timeout(agent, base + b"/hang")),
        defer.ensureDeferred(cancelled(agent, base + b"/hang")),
        fetch(agent, refused).addErrback(describe),
    ]
    results = yield defer.DeferredList(calls, consumeErrors=True)
    for ok, value in results:
        print(ok, value if ok else describe(value))
    sequential = []
    for i in range(20):
        sequential.append((yield fetch(agent, base + b"/hello/%d" % i)))
    print(len(sequential), sequential[-1])
    finish_hanging(HANGING)
    yield port.stopListening()


if __name__ == "__main__":
    run(main)
