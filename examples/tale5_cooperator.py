"""~*~ Twisted - A Python tale ~*~  Example 5: Cooperator with 5 slots.

With 10,000 customers example 4 would start 10,000 installations at once.  A
``task.Cooperator`` serves the customers through 5 ``coiterate`` slots sharing one generator:
at most 5 installations are pending at any moment, and a new one starts only when a slot frees
up (Scrapy limits CONCURRENT_ITEMS the same way).  Fifteen customers take 3 batches.

In the graph: "installation for Customer N", "slot 0".."slot 4" and "join".
Run: ``python tale5_cooperator.py [CUSTOMERS]`` with ``TALE_DELAY=0.1`` for a quick run.
"""

from twisted.internet import defer, reactor, task

from example_settings import numbered_customers, timed
from graph_hooks import label, mark
from tale4_inline import inline_install

SLOTS = 5


# The new "problem" is that we have to manage all this concurrency to
# avoid causing problems to others, but this is a nice problem to have.
def twisted_developer_day(customers):
    print("Goodmorning from Twisted developer", flush=True)
    # A generator, not a list: an installation starts only when a slot asks for it.
    work = (
        label(inline_install(customer), "installation for %s" % customer) for customer in customers
    )
    # We use the Cooperator mechanism to make the secretary not
    # service more than 5 customers simultaneously.
    coop = task.Cooperator()
    slots = [label(coop.coiterate(work), "slot %d" % i) for i in range(SLOTS)]
    join = label(defer.DeferredList(slots), "join")
    join.addCallback(lambda _: reactor.stop())
    print("Bye from Twisted developer!", flush=True)
    mark("scheduled")


if __name__ == "__main__":
    with timed(5):
        twisted_developer_day(numbered_customers())
        reactor.run()
    # We are now more lean than ever, our customers happy, our hosting
    # bills ridiculously low and our performance stellar.
    # ~*~ THE END ~*~
