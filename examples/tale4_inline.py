"""~*~ Twisted - A Python tale ~*~  Example 4: inlineCallbacks.

The same day as example 3, written with ``@defer.inlineCallbacks``: the installation reads top
to bottom and pauses at ``yield`` until the deferLater Deferred fires.  Each call of
``inline_install`` returns the Deferred of that generator.

In the graph: "installation for Customer N" (the inlineCallbacks Deferreds) and "join".
Run: ``python tale4_inline.py [CUSTOMERS]`` with ``TALE_DELAY=0.1`` for a quick run.
"""

from twisted.internet import defer, reactor, task

from example_settings import numbered_customers, tale_delay, timed
from graph_hooks import mark
from tale3_deferlater import twisted_developer_day

DELAY = tale_delay()


# Twisted gave us utilities that make our code way more readable!
@defer.inlineCallbacks
def inline_install(customer):
    print("Scheduling: Installation for", customer, flush=True)
    yield task.deferLater(reactor, DELAY, lambda: None)
    print("Callback: Finished installation for", customer, flush=True)
    print("All done for", customer, flush=True)
    mark("done/%s" % customer)


if __name__ == "__main__":
    with timed(4):
        # ... same as previously but using inline_install() instead of schedule_install()
        twisted_developer_day(numbered_customers(), install=inline_install)
        reactor.run()
