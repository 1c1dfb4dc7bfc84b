"""While the program runs (a recording, read at its markers, no debugger stop and no idle
analysis), each pending Deferred's "why" is as fresh as the drain before the marker: the
reactor's timers are known at once (callLater, LoopingCall, addTimeout, not only deferLater),
and a Deferred whose wait goes through another that changed is read again (an inlineCallbacks
generator marked from inside reads "running now")."""

from __future__ import annotations

from procs import labelled_states_at, record_program

PROGRAM = r"""
from twisted.internet import defer, reactor, task
import deferred_graph

def tick():  # LOOP FUNCTION
    pass

loop = task.LoopingCall(tick)
looping = loop.start(30.0, now=False)
deferred_graph.label(looping, "loop")
slow = defer.Deferred()
slow.addTimeout(30, reactor)
slow.addErrback(lambda failure: None)
deferred_graph.label(slow, "timeout")
later = defer.Deferred()
reactor.callLater(30, later.callback, 1)
deferred_graph.label(later, "later")

@defer.inlineCallbacks
def main():
    d = defer.Deferred()
    reactor.callLater(0.01, d.callback, None)
    yield d
    deferred_graph.mark("inside")
    loop.stop()
    slow.cancel()
    reactor.stop()

deferred_graph.label(main(), "main")
deferred_graph.mark("set")
reactor.run()
"""


def test_timers_are_known_at_once_and_a_generator_marked_from_inside_is_running(tmp_path):
    recording = record_program(tmp_path, PROGRAM)
    program = tmp_path / "program.py"
    at_set = labelled_states_at(recording, "set")
    for label, how in (("loop", "LoopingCall"), ("timeout", "addTimeout"), ("later", "callLater")):
        why = at_set[label]["blockedBy"]
        assert why["kind"] == "timer" and how in why["text"], (label, why)
        assert why["text"].startswith("in "), why
    line = PROGRAM.lstrip("\n").splitlines().index("def tick():  # LOOP FUNCTION") + 1
    assert at_set["loop"]["blockedBy"]["location"] == {
        "file": str(program),
        "line": line,
        "function": "tick",
    }
    main = labelled_states_at(recording, "inside")["main"]["blockedBy"]
    assert main["kind"] == "generator" and main["text"] == "main() running now", main


# Forty inlineCallbacks generators await one Deferred, one new awaiter per drain: each adds a
# callback to it, which changes nothing the others read of it.
FAN_OUT = r"""
from twisted.internet import defer
import deferred_graph

ready = defer.Deferred()

@defer.inlineCallbacks
def waiter(i):
    yield ready

for i in range(40):
    waiter(i)
    deferred_graph.flush()
ready.callback(None)
deferred_graph.flush()
"""


def test_awaiters_of_one_deferred_are_not_read_again_for_each_new_one(tmp_path):
    """A Deferred's waiters are read again when what they read of it changes (it fires: each
    awaiter's generator goes on), not when another awaiter adds its callback."""
    events = list(record_program(tmp_path, FAN_OUT).events())
    changed = [e for e in events if e["kind"] == "changed"]
    assert len(changed) < 3 * 40, len(changed)
