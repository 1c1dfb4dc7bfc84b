"""The Deferred notebook (experiments 1, 2, 3, 3.a, 3.b, 4, 4.a, 4.b) as a script to step through.

Each notebook cell is one line here.  After every step, ``show()`` prints the notebook's
``status(...)`` — for each Deferred, its result (or "N/A" before it fires) and how many
callbacks are still pending — so the terminal, the debugger's variables and the Deferred Graph
view can be compared at every stop.

Debugging: lines marked ``# step:`` do one thing to a Deferred (set a breakpoint there to stop
*before* it); lines marked ``# BREAK <name>`` are the ``show()`` after a step (stop there to see
the state *after* it; ``<name>`` is also the graph's marker).

Run: ``python notebook.py`` (all experiments) or ``python notebook.py 3b 4`` (some of them).
"""

import sys

from twisted.internet import defer

from graph_hooks import label, mark, pending_callbacks


def status(*defers):
    """Print-ready state of Deferreds: (result, or "N/A" before firing; pending callbacks).

    Note d.callback (fires d) differs from d.callbacks (the pending callbacks; read through
    pending_callbacks() because Twisted 25.5+ warns when ``callbacks`` is read).
    """
    return [(getattr(d, "result", "N/A"), pending_callbacks(d)) for d in defers]


def show(step, **named):
    """After a step: label the Deferreds in the graph, print their status, mark the step.

    A value may be a list of Deferreds; its items are named ``name[0]``, ``name[1]``...
    """
    deferreds = {}
    for name, value in named.items():
        if isinstance(value, list):
            deferreds.update(("%s[%d]" % (name, i), d) for i, d in enumerate(value))
        else:
            deferreds[name] = value
    for name, d in deferreds.items():
        label(d, name)
    print(
        "%s: status(%s) = %s" % (step, ", ".join(deferreds), status(*deferreds.values())),
        flush=True,
    )
    mark(step)


def on_done(arg):
    print("on_done called with arg =", arg)
    return arg


# Experiment 1: a Deferred fires once.
def experiment_1():
    d = defer.Deferred()  # step: create d; d.called is False, d.result does not exist yet
    show("exp1/created", d=d)  # BREAK exp1/created
    print("d.called =", d.called)
    d.callback(3)  # step: fire d; called becomes True and the result is 3
    show("exp1/fired", d=d)  # BREAK exp1/fired
    print("d.called =", d.called)
    try:
        d.callback(6)  # step: firing again raises AlreadyCalledError
    except defer.AlreadyCalledError as error:
        print("AlreadyCalledError:", error)
    show("exp1/fired-again", d=d)  # BREAK exp1/fired-again


# Experiment 2: callbacks can be added before the value is known.
def foo(v):
    print("foo called")
    return v + 1


def experiment_2():
    d = defer.Deferred()  # step: create d
    show("exp2/created", d=d)  # BREAK exp2/created
    d.addCallback(foo)  # step: foo is d's one pending callback
    show("exp2/callback-added", d=d)  # BREAK exp2/callback-added
    print("d.called =", d.called)
    d.callback(3)  # step: foo runs with 3; its return value 4 becomes d's result
    show("exp2/fired", d=d)  # BREAK exp2/fired
    print(d)


# Experiment 3: a callback that returns another Deferred.
def chain_a_to_b(a, b):
    """a's first callback returns b, so a's second callback (on_done) has to wait for b."""

    def b_callback(arg):
        print("b_callback called with arg =", arg)
        return b  # a Deferred as a callback's result: a now waits on b

    return a.addCallback(b_callback).addCallback(on_done)


def experiment_3():
    a = defer.Deferred()  # step: create a
    b = defer.Deferred()  # step: create b
    chain_a_to_b(a, b)  # step: a has two callbacks, b none
    show("exp3/chained", a=a, b=b)  # BREAK exp3/chained
    return a, b


# Experiment 3.a: fire a, then b.
def experiment_3a(a, b):
    a.callback(3)  # step: b_callback returns b; a pauses, waiting on b (b holds a's continuation)
    show("exp3a/a-fired", a=a, b=b)  # BREAK exp3a/a-fired
    b.callback(4)  # step: b's value 4 goes on down a's chain to on_done; b.result becomes None
    show("exp3a/b-fired", a=a, b=b)  # BREAK exp3a/b-fired
    print(a)
    print(b)


# Experiment 3.b: fire b before a.
def experiment_3b():
    a = defer.Deferred()  # step: create a
    b = defer.Deferred()  # step: create b
    chain_a_to_b(a, b)  # step: the same chain as in experiment 3
    show("exp3b/chained", a=a, b=b)  # BREAK exp3b/chained
    b.callback(4)  # step: b fires first; with no callbacks its result is simply 4
    show("exp3b/b-fired", a=a, b=b)  # BREAK exp3b/b-fired
    a.callback(3)  # step: b_callback returns fired b: a takes its 4 at once, b.result becomes None
    show("exp3b/a-fired", a=a, b=b)  # BREAK exp3b/a-fired


# Experiment 4: a DeferredList fires when all its Deferreds have.
def experiment_4():
    deferreds = [defer.Deferred() for i in range(5)]  # step: five Deferreds
    join = defer.DeferredList(deferreds)  # step: join waits for all five
    join.addCallback(on_done)  # step: join's own callback
    show("exp4/joined", deferreds=deferreds, join=join)  # BREAK exp4/joined
    return deferreds, join


# Experiment 4.a: fire four, then the fifth.
def experiment_4a(deferreds, join):
    for i in range(4):
        deferreds[i].callback(i)  # step: fire one member; join keeps waiting
        show("exp4a/fired-%d" % i, deferreds=deferreds, join=join)
    deferreds[4].callback(4)  # step: the last member fires; join runs on_done with the results
    show("exp4a/all-fired", deferreds=deferreds, join=join)  # BREAK exp4a/all-fired
    print("join.result =", join.result)


# Experiment 4.b: fire all five in one go.
def experiment_4b():
    deferreds = [defer.Deferred() for i in range(5)]  # step: five new Deferreds
    join = defer.DeferredList(deferreds)  # step: a new join
    join.addCallback(on_done)  # step: join's callback
    show("exp4b/joined", deferreds=deferreds, join=join)  # BREAK exp4b/joined
    for i in range(5):
        deferreds[i].callback(i)  # step: fire every member
        show("exp4b/fired-%d" % i, deferreds=deferreds, join=join)
    print("The last Deferred has fired: on_done above printed join's result")
    show("exp4b/all-fired", deferreds=deferreds, join=join)  # BREAK exp4b/all-fired


def run_experiment_3a():
    experiment_3a(*experiment_3())


def run_experiment_4a():
    experiment_4a(*experiment_4())


EXPERIMENTS = {
    "1": experiment_1,
    "2": experiment_2,
    "3": experiment_3,
    "3a": run_experiment_3a,  # 3.a continues 3's a and b, as in the notebook
    "3b": experiment_3b,
    "4": experiment_4,
    "4a": run_experiment_4a,  # 4.a continues 4's Deferreds
    "4b": experiment_4b,
}
"""What ``python notebook.py NAME...`` can run; with no names, the notebook's cells in order."""

NOTEBOOK_ORDER = ["1", "2", "3a", "3b", "4a", "4b"]


def main(names):
    unknown = [name for name in names if name not in EXPERIMENTS]
    if unknown:
        sys.exit(
            "unknown experiment(s) %s; choose from %s"
            % (", ".join(unknown), ", ".join(EXPERIMENTS))
        )
    for name in names or NOTEBOOK_ORDER:
        print("--- Experiment %s ---" % name, flush=True)
        EXPERIMENTS[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
