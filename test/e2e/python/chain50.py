"""A chain of 50 links, each callback returning the next Deferred, paused at the end.

links[0] waits on links[1], ... links[48] waits on links[49], which is still pending: the tree
shows it as one row, "chain of 50 · root: links[49], pending", the graph as 50 nodes in a row
and what holds the last one (this module's list).
"""

from twisted.internet import defer

links = [defer.Deferred() for _ in range(50)]
# Every callback first, then fire in order: a link's own callback then runs before the
# _CONTINUE its predecessor appended, so each one waits on the next instead of unwinding.
for i in range(49):
    links[i].addCallback(lambda _, following=links[i + 1]: following)
for i in range(49):
    links[i].callback(None)
print("chain built", flush=True)  # BREAK chain
