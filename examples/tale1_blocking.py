"""~*~ Twisted - A Python tale ~*~  Example 1: blocking.

One developer installs Wordpress for each customer in turn and waits for every installation to
finish.  Four customers at 3 seconds each take 12 seconds.  (No Deferreds yet: this is the
"before" picture of the tale.)

Run: ``python tale1_blocking.py [CUSTOMERS]`` with ``TALE_DELAY=0.1`` for a quick run.
"""

from time import sleep

from example_settings import customers, tale_delay, timed
from graph_hooks import mark

DELAY = tale_delay()


# Hello, I'm a developer and I mainly setup Wordpress.
def install_wordpress(customer):
    # Our hosting company Threads Ltd. is bad. I start installation and...
    print("Start installation for %s" % customer, flush=True)
    # ...then wait till the installation finishes successfully. It is
    # boring and I'm spending most of my time waiting while consuming
    # resources (memory and some CPU cycles). It's because the process
    # is *blocking*.
    sleep(DELAY)
    print("All done for %s" % customer, flush=True)
    mark("done/%s" % customer)


# I do this all day long for our customers
def developer_day(customers):
    for customer in customers:
        install_wordpress(customer)


if __name__ == "__main__":
    with timed(1):
        developer_day(customers(["Bill", "Elon", "Steve", "Mark"]))
