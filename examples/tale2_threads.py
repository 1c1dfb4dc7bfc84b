"""~*~ Twisted - A Python tale ~*~  Example 2: threads.

The company grew: five developers (threads) share the queue of customers under a lock.  Fifteen
customers at 3 seconds each now take 9 seconds, but the code is about managing concurrency, and
the output is interleaved.

Run: ``python tale2_threads.py [CUSTOMERS]`` with ``TALE_DELAY=0.1`` for a quick run.
"""

import threading

from example_settings import numbered_customers, timed
from tale1_blocking import install_wordpress


# The company grew. We now have many customers and I can't handle the
# workload. We are now 5 developers doing exactly the same thing.
def developers_day(customers):
    # But we now have to synchronize... a.k.a. bureaucracy
    lock = threading.Lock()

    def dev_day(id):
        print("Goodmorning from developer %d" % id, flush=True)
        # Yuck - I hate locks...
        lock.acquire()
        while customers:
            customer = customers.pop(0)
            lock.release()
            # My Python is less readable
            install_wordpress(customer)
            lock.acquire()
        lock.release()
        print("Bye from developer %d" % id, flush=True)

    # We go to work in the morning
    devs = [threading.Thread(target=dev_day, args=(i,)) for i in range(5)]
    [dev.start() for dev in devs]
    # We leave for the evening
    [dev.join() for dev in devs]


# We now get more done in the same time but our dev process got more
# complex. As we grew we spend more time managing queues than doing dev
# work. We even had occasional deadlocks when processes got extremely
# complex. The fact is that we are still mostly pressing buttons and
# waiting but now we also spend some time in meetings.
if __name__ == "__main__":
    with timed(2):
        developers_day(numbered_customers())
