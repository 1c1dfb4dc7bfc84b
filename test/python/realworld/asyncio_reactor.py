"""The asyncio reactor: Deferreds and asyncio futures crossing both ways (``Deferred.asFuture``,
``Deferred.fromFuture``), coroutines run by ``ensureDeferred`` awaiting both kinds, an asyncio
task cancelled through its Deferred, and a failing coroutine."""

import asyncio

from twisted.internet import asyncioreactor

LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)
asyncioreactor.install(LOOP)

from programs import run  # noqa: E402
from twisted.internet import defer, reactor, task  # noqa: E402


async def native(x):
    await asyncio.sleep(0)
    return x * 2


async def mixed(x):
    first = await task.deferLater(reactor, 0, lambda: x + 1)
    second = await defer.Deferred.fromFuture(asyncio.ensure_future(native(first)))
    return second


def from_asyncio(future):
    """An asyncio future awaited by asyncio itself, its outcome brought back as a Deferred."""

    async def native_await():
        return await future

    return defer.Deferred.fromFuture(asyncio.ensure_future(native_await()))


async def failing():
    await asyncio.sleep(0)
    raise KeyError("from a coroutine")


async def main_coroutine():
    loop = LOOP
    results = await defer.gatherResults([defer.ensureDeferred(mixed(i)) for i in range(30)])
    print("mixed", results[:5], sum(results))
    print("asFuture", await from_asyncio(defer.succeed(7).asFuture(loop)))
    pending = defer.Deferred()
    as_future = pending.asFuture(loop)
    reactor.callLater(0, pending.callback, "later")
    print("asFuture later", await from_asyncio(as_future))
    forever = asyncio.ensure_future(asyncio.sleep(3600))
    d = defer.Deferred.fromFuture(forever)
    d.cancel()
    try:
        await d
    except (defer.CancelledError, asyncio.CancelledError):
        print("cancelled through the Deferred")
    try:
        await defer.ensureDeferred(failing())
    except KeyError as error:
        print("coroutine failed:", error)


if __name__ == "__main__":
    run(lambda: defer.ensureDeferred(main_coroutine()))
