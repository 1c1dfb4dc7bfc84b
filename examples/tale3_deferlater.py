"""~*~ Twisted - A Python tale ~*~  Example 3: Deferreds and deferLater.

We switch to Twisted Ltd.: they call us back when an installation completes.  Every customer's
installation is a Deferred from ``task.deferLater``; a ``DeferredList`` ("join") stops the
reactor when all have fired.  Fifteen customers take 3 seconds in one thread.

In the graph: "installation for Customer N" (each customer's Deferred) and "join".
Run: ``python tale3_deferlater.py [CUSTOMERS]`` with ``TALE_DELAY=0.1`` for a quick run.
"""

from twisted.internet import defer, reactor, task

from example_settings import numbered_customers, tale_delay, timed
from graph_hooks import label, mark

DELAY = tale_delay()


# Twisted has a slightly different approach
def schedule_install(customer):
    # They are calling us back when a Wordpress installation completes.
    # They connected the caller recognition system with our CRM and
    # we know exactly what a call is about and what has to be done next.
    #
    # We now design processes of what has to happen on certain events.
    def schedule_install_wordpress():
        def on_done():
            print("Callback: Finished installation for", customer, flush=True)

        print("Scheduling: Installation for", customer, flush=True)
        return task.deferLater(reactor, DELAY, on_done)

    def all_done(_):
        print("All done for", customer, flush=True)
        mark("done/%s" % customer)

    # For each customer, we schedule these processes on the CRM
    # and that is all our chief-Twisted developer has to do
    d = schedule_install_wordpress()
    d.addCallback(all_done)
    return d


# Yes, we don't need many developers anymore or any synchronization.
# ~~ Super-powered Twisted developer ~~
def twisted_developer_day(customers, install=schedule_install):
    print("Goodmorning from Twisted developer", flush=True)
    # Here's what has to be done today
    work = [label(install(customer), "installation for %s" % customer) for customer in customers]
    # Turn off the lights when done
    join = label(defer.DeferredList(work), "join")
    join.addCallback(lambda _: reactor.stop())
    print("Bye from Twisted developer!", flush=True)
    mark("scheduled")
    # Even his day is particularly short!


if __name__ == "__main__":
    with timed(3):
        twisted_developer_day(numbered_customers())
        # Reactor, our secretary uses the CRM and follows-up on events!
        reactor.run()
