"""treq against a local twisted.web site: JSON and text bodies, a POST, concurrent requests, a
per-request timeout on a response that never comes, a cancelled request and a refused
connection."""

import json

import treq
from programs import finish_hanging, refused_port, run
from twisted.internet import defer, reactor
from twisted.web import resource, server

HANGING = []


class Api(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        if request.path == b"/hang":
            HANGING.append(request)
            return server.NOT_DONE_YET
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"path": request.path.decode(), "n": len(request.args)}).encode()

    def render_POST(self, request):
        return b"posted " + request.content.read()


def failed(failure):
    return "failed: %s" % failure.type.__name__


@defer.inlineCallbacks
def main():
    port = reactor.listenTCP(0, server.Site(Api()), interface="127.0.0.1")
    base = "http://127.0.0.1:%d" % port.getHost().port
    response = yield treq.get(base + "/json", params={"a": "1"})
    print("json", (yield response.json()))
    response = yield treq.post(base + "/form", data=b"some bytes")
    print("post", (yield response.text()))
    bodies = yield defer.gatherResults(
        [treq.get(base + "/many/%d" % i).addCallback(treq.content) for i in range(25)]
    )
    print("concurrent", len(bodies), bodies[-1])
    timed = yield treq.get(base + "/hang", timeout=0.2).addErrback(failed)
    print("timeout", timed)
    d = treq.get(base + "/hang")
    d.addErrback(failed)
    d.cancel()
    print("cancelled", (yield d))
    refused = "http://127.0.0.1:%d/" % (yield refused_port(server.Site(Api())))
    print("refused", (yield treq.get(refused).addErrback(failed)))
    finish_hanging(HANGING)
    yield port.stopListening()


if __name__ == "__main__":
    run(main)
