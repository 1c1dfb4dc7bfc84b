"""The classic bug, paused: a callback returns a Deferred that nothing will ever fire.

``user`` fired, and its callback ``load_profile()`` returned ``profile``, a Deferred nobody keeps
or fires: ``user`` waits on it for ever. At the BREAK line the panel marks both rows orphan
("nothing can ever fire it"), the header counts 1 orphan, and "Only stuck" keeps just these
two: ``report`` waits on a timer due in a minute — pending, but not stuck.
"""

from graph_hooks import label
from twisted.internet import defer, reactor, task


def load_profile(user):
    profile = label(defer.Deferred(), "profile")
    return profile  # the bug: returned, and nothing will ever fire it


user = label(defer.Deferred(), "user 7")
user.addCallback(load_profile)
user.addCallback(print)
user.callback({"id": 7})
report = label(task.deferLater(reactor, 60, lambda: None), "report")
print("user 7 waits for ever", flush=True)  # BREAK stuck
