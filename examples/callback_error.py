"""A callback that raises: the Deferred's result becomes a Failure the moment it happens.

Three orders arrive after ``EXAMPLE_DELAY`` seconds (default 2).  Parsing "2" works; parsing
"two" and "three" raises ValueError inside the callback, so those Deferreds now hold a Failure
and skip to the next errback.  "order 2" stays failed for another ``EXAMPLE_DELAY`` seconds and
is then handled by an errback that recovers; nobody ever handles "order 3": when it is garbage
collected, Twisted logs "Unhandled error in Deferred" (on stderr).

In the graph: "order 1", "order 2", "order 3".
Run: ``python callback_error.py`` (``EXAMPLE_DELAY=0.05`` for a quick run); exit status 0.
"""

import gc

from twisted.internet import defer, reactor

from example_settings import seconds
from graph_hooks import label, mark

DELAY = seconds("EXAMPLE_DELAY", 2.0)


def parse_quantity(text):
    return int(text)  # raises ValueError for "two"


def ship(quantity):
    print("Shipping", quantity, "items", flush=True)
    return quantity


def report(failure):
    print("Errback: the order could not be read:", failure.getErrorMessage(), flush=True)
    return 0  # recovered: the chain goes on with 0 items


def main():
    orders = [
        label(defer.Deferred().addCallback(parse_quantity), "order %d" % n) for n in (1, 2, 3)
    ]
    orders[0].addCallback(ship)
    mark("waiting")

    def orders_arrive():
        for order, text in zip(orders, ["2", "two", "three"]):
            order.callback(text)  # for "two" and "three", parse_quantity raises right here
        print("order 2 and order 3 have failed", flush=True)
        mark("failed")
        reactor.callLater(DELAY, handle_order_2)

    def handle_order_2():
        orders[1].addErrback(report)  # the Failure is handled; order 2's result becomes 0
        mark("handled")
        reactor.stop()

    reactor.callLater(DELAY, orders_arrive)
    reactor.run()
    del orders[:]
    # Freed with its Failure unhandled, order 3 makes Twisted log "Unhandled error in
    # Deferred".  On newer Twisted the Failure's traceback leads back to order 3 (a reference
    # cycle), which only the cycle collector frees: run it now rather than at some later time.
    gc.collect()
    mark("forgotten")


if __name__ == "__main__":
    main()
